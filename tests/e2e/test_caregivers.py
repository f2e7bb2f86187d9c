"""A caregiver's journey in a real browser: invited by the patient, joins, reports for them; the patient sees it."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.e2e.helpers import check_page, link_in, phone_context, sign_in
from tests.e2e.stack import LiveStack

CAREGIVER_EMAIL = "casey.carer@example.test"


def test_a_patient_invites_a_caregiver_who_reports_for_them(stack: LiveStack, browser: Browser, playwright, shots):
    # Sam, on a phone, invites Casey from the profile.
    patient_context = phone_context(browser, playwright, "Pixel 7")
    patient = patient_context.new_page()
    sign_in(patient, stack, "patient2@demo.test")
    patient.goto(f"{stack.base_url}/profile/")
    patient.get_by_role("link", name="Invite or remove a caregiver").click()
    check_page(patient)
    patient.get_by_label("Their name").fill("Casey Carer")
    patient.get_by_label("Their e-mail address").fill(CAREGIVER_EMAIL)
    patient.get_by_role("button", name="Send invitation").click()
    expect(patient.locator("main")).to_contain_text(f"Invitation sent to {CAREGIVER_EMAIL}")
    check_page(patient)
    shots(patient, "caregiver-invited")

    # The invitation e-mail names nobody in its subject; Casey opens its link on their own phone.
    invitation = stack.wait_for_mail(lambda m: m["To"] == CAREGIVER_EMAIL, what="the caregiver invitation")
    assert invitation["Subject"] == "An invitation to help with follow-up questions"
    carer_context = phone_context(browser, playwright, "Pixel 7")
    carer = carer_context.new_page()
    carer.goto(link_in(invitation, r"http://\S+/care/invitation/\S+/"))
    check_page(carer)
    shots(carer, "caregiver-invitation")
    carer.get_by_label("Choose a password").fill("a-long-carer-password-42")
    carer.get_by_label("Type the password again").fill("a-long-carer-password-42")
    carer.get_by_role("button", name="Create my account and accept").click()

    # Every page says whose record this is; Casey reports a headache for Sam.
    expect(carer.locator(".helping-banner")).to_contain_text("You are helping Sam")
    check_page(carer)
    carer.get_by_role("link", name=re.compile("Report symptoms|How are you", re.I)).first.click()
    expect(carer.locator(".helping-banner")).to_contain_text("You are helping Sam")
    carer.get_by_label("Headache", exact=True).check()
    row = carer.locator(".symptom").filter(has=carer.get_by_label("Headache", exact=True))
    row.get_by_label("Mild", exact=True).check()
    row.get_by_label("When did it start?").select_option(index=1)
    carer.get_by_role("button", name="Send report").click()
    expect(carer.locator("main")).to_contain_text("Reported by Casey Carer (caregiver)")
    check_page(carer)
    shots(carer, "caregiver-report")
    carer_context.close()

    # Sam sees who reported it.
    patient.goto(f"{stack.base_url}/")
    expect(patient.locator("main")).to_contain_text("Reported by Casey Carer (caregiver)")
    check_page(patient)
    patient_context.close()
