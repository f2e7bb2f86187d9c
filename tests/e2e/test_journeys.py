"""The patient's and the clinician's journeys in a real browser, against the running app.

Every page a journey visits is checked with axe-core (WCAG 2.1 A and AA), for touch targets and
visible focus. The transfer budget and the offline behaviour have their own tests.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import (
    DESKTOP,
    PHONES,
    check_page,
    fill_recent_infusion,
    link_in,
    phone_context,
    sign_in,
)
from tests.e2e.stack import LiveStack

# --- The patient -----------------------------------------------------------------------------


@pytest.mark.parametrize("device", PHONES)
def test_patient_on_a_phone_from_invitation_to_an_emergency(
    stack: LiveStack, browser: Browser, playwright, device, shots
):
    email = f"new.patient.{device.replace(' ', '').lower()}@example.test"

    # A clinician invites the patient (on a desktop).
    desk = browser.new_context(**DESKTOP)
    staff_page = desk.new_page()
    sign_in(staff_page, stack, "clinician@demo.test", staff=True)
    staff_page.goto(f"{stack.base_url}/clinic/invite/")
    check_page(staff_page)
    staff_page.get_by_label("E-mail address").fill(email)
    staff_page.get_by_label("Name").fill("Riley Patient")
    staff_page.get_by_role("button", name=re.compile("invit", re.IGNORECASE)).click()
    desk.close()

    # The invitation arrives by e-mail; the patient opens it on the phone.
    invitation = stack.wait_for_mail(lambda m: m["To"] == email, what="the invitation")
    context = phone_context(browser, playwright, device)
    page = context.new_page()
    page.goto(link_in(invitation, r"http://\S+/invitation/\S+/"))
    check_page(page)
    shots(page, "invitation")
    page.get_by_label("Choose a password").fill("a-long-new-password-42")
    page.get_by_label("Type the password again").fill("a-long-new-password-42")
    page.get_by_role("button", name=re.compile("join|create|continue|save", re.IGNORECASE)).click()

    # Home: the first thing to do is to log today's infusion.
    expect(page.locator("h1")).to_be_visible()
    check_page(page)
    shots(page, "home-new-patient", docs="phone-home" if device == "Pixel 7" else "")

    # Log an infusion that ended 2½ hours ago: its +2 h follow-up is due at once.
    page.goto(f"{stack.base_url}/infusions/new/")
    check_page(page)
    fill_recent_infusion(page, lot="P100777")
    shots(page, "infusion-form")
    page.get_by_role("button", name=re.compile("save", re.IGNORECASE)).click()
    expect(page).to_have_url(re.compile(r"/infusions/\d+/$"))
    check_page(page)
    infusion_url = page.url

    # The follow-up e-mail arrives; its one-tap link opens a page whose button records the answer.
    prompt = stack.wait_for_mail(
        lambda m: m["To"] == email and m["Subject"].startswith("How have you been"), what="the follow-up prompt"
    )
    page.goto(link_in(prompt, r"http://\S+/f/[^/\s]+/"))
    check_page(page)
    shots(page, "one-tap-followup", docs="phone-one-tap" if device == "Pixel 7" else "")
    page.get_by_role("button", name=re.compile("No new symptoms")).click()
    expect(page.locator("main")).to_contain_text(re.compile("thank", re.IGNORECASE))
    check_page(page)

    # Later: mild symptoms.
    page.goto(infusion_url + "report/")
    check_page(page)
    headache = page.locator(".symptom").filter(has=page.get_by_role("checkbox", name="Headache", exact=True))
    headache.get_by_role("checkbox", name="Headache", exact=True).check()
    headache.get_by_role("radio", name="Mild", exact=True).check()
    headache.get_by_label("When did it start?").select_option(label="1–6 hours after")
    shots(page, "report-mild", docs="phone-report" if device == "Pixel 7" else "")
    page.get_by_role("button", name="Send report").click()
    expect(page.locator(".messages [role=status]")).to_contain_text("Thank you")
    check_page(page)

    # Later still: an emergency sign. The message is unmissable, announced, and has one number: 999.
    page.goto(infusion_url + "report/")
    # A warning sign is sent as soon as it is ticked: no grade or onset holds it back.
    page.get_by_role("group", name="Breathing or swallowing").get_by_label(
        "Trouble breathing, wheezing or gasping", exact=True
    ).check()
    page.get_by_role("button", name="Send report").click()
    emergency = page.get_by_role("alert", name=re.compile("Call 999 now"))
    expect(emergency).to_be_visible()
    expect(emergency.get_by_role("link", name="Call 999")).to_have_attribute("href", "tel:999")
    assert emergency.bounding_box()["y"] < page.viewport_size["height"], (
        "the emergency message is not on the first screen"
    )
    check_page(page)
    shots(page, "emergency", full_page=False, docs="phone-urgent" if device == "Pixel 7" else "")
    context.close()


# --- The clinician -----------------------------------------------------------------------------


def check_queue_layout(page: Page) -> None:
    """On a 1366 px screen the queue uses the screen: only the symptoms wrap, the CSV exports show without
    opening the filters, and no filter's chosen option is cut off."""
    assert page.locator("main").evaluate("m => m.getBoundingClientRect().width") > 1250
    # Every column but "What" (the symptoms) holds its text on one line.
    wrapped = page.locator(".table thead th, .table tbody td:not(:nth-child(3))").evaluate_all(
        """cells => cells.filter(cell => {
            const range = document.createRange();
            range.selectNodeContents(cell);
            return range.getBoundingClientRect().height > 1.5 * parseFloat(getComputedStyle(cell).lineHeight);
        }).map(cell => cell.innerText)"""
    )
    assert wrapped == [], wrapped
    expect(page.get_by_role("link", name="Download these events as CSV")).to_be_visible()
    expect(page.get_by_role("link", name="infusions as CSV")).to_be_visible()
    page.locator("summary", has_text="Filters").click()
    cut = page.locator("form select").evaluate_all(
        """selects => selects.filter(s => {
            const style = getComputedStyle(s);
            const context = document.createElement("canvas").getContext("2d");
            context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
            const room = s.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
            return Array.from(s.options).some(o => context.measureText(o.text).width > room);
        }).map(s => s.name)"""
    )
    assert cut == [], f"options cut off in: {cut}"
    page.locator("summary", has_text="Filters").click()


def test_clinician_sees_a_severe_event_arrive_acknowledges_it_and_records_the_outcome(
    stack: LiveStack, browser: Browser, playwright, shots
):
    desk = browser.new_context(**DESKTOP)
    page = desk.new_page()
    sign_in(page, stack, "clinician@demo.test", staff=True)
    page.goto(f"{stack.base_url}/clinic/flags/")
    check_page(page)
    shots(page, "queue-before")
    assert "Jo Chen" not in page.locator(".flag-severe").all_inner_texts().__str__()

    # Jo, on a phone, reports a painful swollen leg after yesterday's infusion.
    phone = phone_context(browser, playwright, "Pixel 7")
    patient_page = phone.new_page()
    sign_in(patient_page, stack, "patient3@demo.test")
    patient_page.goto(f"{stack.base_url}/")
    patient_page.get_by_role("link", name=re.compile("Report symptoms|How are you", re.IGNORECASE)).first.click()
    leg = patient_page.locator(".symptom").filter(
        has=patient_page.get_by_label("A painful, swollen, warm or red leg or arm", exact=True)
    )
    leg.get_by_role("checkbox", name="A painful, swollen, warm or red leg or arm", exact=True).check()
    leg.get_by_role("radio", name="Severe", exact=True).check()
    leg.get_by_label("When did it start?").select_option(index=1)
    patient_page.get_by_role("button", name="Send report").click()
    expect(patient_page.get_by_role("alert", name=re.compile("Call your clinic now"))).to_be_visible()
    phone.close()

    # Within seconds every clinician of the clinic gets the alert e-mail, its subject without the patient's name…
    alert = stack.wait_for_mail(
        lambda m: (
            m["To"] == "clinician@demo.test"
            and m["Subject"] == "Urgent: a patient needs a call from the clinic today"
            and "Jo Chen" in m.get_body(("plain",)).get_content()
        ),
        timeout=20,
        what="the urgent alert",
    )
    # …and the open queue shows it without a click (it refreshes itself) among the severe events, after
    # Sam's, unacknowledged for an hour: who has waited longest comes first.
    rows = page.locator(".flag-severe")
    jo = rows.filter(has_text="Jo Chen")
    expect(jo).to_be_visible(timeout=15_000)
    expect(jo).to_contain_text("Urgent, today")  # a word, not only a colour
    expect(rows.first).to_contain_text("Sam Rivera")
    check_page(page)
    shots(page, "queue-severe-event", docs="desktop-queue")
    check_queue_layout(page)

    page.goto(link_in(alert, r"http://\S+/clinic/flags/\d+/"))
    check_page(page)
    expect(page.get_by_role("link", name=re.compile("^Call Jo Chen"))).to_have_attribute("href", "tel:+447700900303")
    page.get_by_label(re.compile("Note \\(what you did")).fill("Phoned Jo: going to the emergency department now.")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("main")).to_contain_text("Phoned Jo")
    check_page(page)
    page.get_by_role("combobox", name=re.compile(r"^Outcome\W*$")).select_option("emergency_visit")
    page.get_by_role("button", name="Close with this outcome").click()
    expect(page.locator("main")).to_contain_text(re.compile("closed|emergency", re.IGNORECASE))
    check_page(page)
    shots(page, "flag-closed", docs="desktop-flag")

    # From the navigation, their own account: the language of their pages and of their e-mails.
    page.get_by_role("link", name="Account").click()
    check_page(page)
    page.get_by_role("combobox", name="Language").select_option("es")
    page.get_by_role("button", name="Save language").click()
    expect(page.locator("main")).to_contain_text("Su idioma se ha guardado.")
    expect(page.get_by_role("link", name="Eventos con alerta")).to_be_visible()
    check_page(page)
    page.get_by_role("combobox", name="Idioma").select_option("")  # back to the browser's, for the other tests
    page.get_by_role("button", name="Guardar idioma").click()
    expect(page.locator("main")).to_contain_text("Your language is saved.")
    desk.close()
