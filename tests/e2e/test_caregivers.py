"""A caregiver's journey in a real browser: invited by the patient, joins, reports for them; the patient sees it."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Browser, expect

from tests.e2e.helpers import check_page, fill_recent_infusion, link_in, phone_context, sign_in
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

    # Casey would rather get Sam's questions by text: their own number, on their own account page.
    carer.locator(".nav-menu summary").click()  # a phone: the menu is folded
    carer.locator(".nav-menu").get_by_role("link", name="Your account").click()
    check_page(carer)
    carer.get_by_label("Phone number").fill("07400 654321")
    carer.get_by_role("button", name="Save phone number").click()
    expect(carer.locator(".messages")).to_contain_text("Your phone number is saved.")
    carer.get_by_label("By e-mail").uncheck()
    carer.get_by_label("By text message").check()
    carer.get_by_role("button", name="Save", exact=True).click()
    expect(carer.locator(".messages")).to_contain_text("How we send your follow-up messages is saved.")
    check_page(carer)
    shots(carer, "caregiver-account")

    # Casey logs Sam's infusion that ended 2½ hours ago: its +2 h question is due at once, and comes to
    # Casey's phone as a text with a link of Casey's own.
    carer.goto(f"{stack.base_url}/infusions/new/")
    fill_recent_infusion(carer, lot="P100888")
    carer.get_by_role("button", name=re.compile("save", re.IGNORECASE)).click()
    expect(carer).to_have_url(re.compile(r"/infusions/\d+/$"))
    text = _wait_for_text(stack, "+447400654321")
    assert "the person you help" in text and "Sam" not in text
    carer.goto(re.search(r"http://\S+/s/\S+", text).group(0))
    expect(carer.locator(".helping-banner")).to_contain_text("You are helping Sam")
    check_page(carer)
    carer.get_by_role("button", name=re.compile("No new symptoms")).click()
    expect(carer.locator("main")).to_contain_text(re.compile("thank", re.IGNORECASE))
    carer_context.close()

    # Sam sees who reported it.
    patient.goto(f"{stack.base_url}/")
    expect(patient.locator("main")).to_contain_text("Reported by Casey Carer (caregiver)")
    check_page(patient)
    patient_context.close()


def _wait_for_text(stack: LiveStack, to: str, timeout: float = 30) -> str:
    """The body of the first text to this number the stack's worker wrote under var/sms/ (the file backend)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted((stack.workdir / "var" / "sms").glob("*.txt")):
            head, _blank, body = path.read_text(encoding="utf-8").partition("\n\n")
            if f"To: {to}" in head.splitlines():
                return body.strip()
        time.sleep(0.3)
    raise AssertionError(f"no text to {to} within {timeout} s")
