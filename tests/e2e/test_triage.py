"""Triage in the browser: one number to call for each tier, online, offline, and when staff enter a report.

Patients use a phone-sized screen and find what they tap by its role or label, as a person would. The
demo clinic is in Great Britain (emergency number 999); an urgent report calls its line while it is open
and its out-of-hours line when closed, so the expected number depends on when the tests run.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.helpers import DESKTOP, check_page, demo_clinic_line_now, phone_context, sign_in
from tests.e2e.stack import LiveStack

EMERGENCY_NUMBER = "999"
CLINIC_NUMBER = "clinic"  # the demo clinic's line at the time of the test (demo_clinic_line_now)


def number_now(number: str) -> str:
    return demo_clinic_line_now() if number == CLINIC_NUMBER else number


def open_report_form(page: Page, stack: LiveStack, email: str) -> None:
    sign_in(page, stack, email)
    page.goto(f"{stack.base_url}/")
    page.get_by_role("link", name=re.compile("Report symptoms|How are you", re.I)).first.click()
    expect(page.get_by_role("button", name="Send report")).to_be_visible()


def symptom(page: Page, label: str) -> Locator:
    """The row of one symptom of the report form: its checkbox, grades and onset."""
    return page.locator(".symptom").filter(has=page.get_by_label(label, exact=True))


def tick(page: Page, label: str, *, grade: str = "Moderate", onset: str = "1–6 hours after") -> None:
    page.get_by_label(label, exact=True).check()
    answer(page, label, grade=grade, onset=onset)


def answer(page: Page, label: str, *, grade: str = "Moderate", onset: str = "1–6 hours after") -> None:
    row = symptom(page, label)
    row.get_by_label(grade, exact=True).check()
    row.get_by_label("When did it start?").select_option(label=onset)


def tel_links(page: Page) -> list[str]:
    return page.locator("a[href^='tel:']").evaluate_all("links => links.map(link => link.getAttribute('href'))")


# --- Online: what the patient is told to do -----------------------------------------------------


@pytest.mark.parametrize(
    ("sign", "heading", "number"),
    [
        ("Trouble breathing, wheezing or gasping", f"Call {EMERGENCY_NUMBER} now", EMERGENCY_NUMBER),
        ("Dark or brown urine", "Call your clinic now", CLINIC_NUMBER),
    ],
    ids=["emergency", "urgent"],
)
def test_a_warning_sign_gives_one_number_to_call(
    stack: LiveStack, browser: Browser, playwright, shots, sign, heading, number
):
    number = number_now(number)
    context = phone_context(browser, playwright, "Pixel 7")
    page = context.new_page()
    open_report_form(page, stack, "patient2@demo.test")
    tick(page, sign)
    page.get_by_role("button", name="Send report").click()

    alert = page.get_by_role("alert", name=re.compile(heading))
    expect(alert).to_be_visible()
    calls = alert.get_by_role("link", name=re.compile("^Call"))
    expect(calls).to_have_count(1)
    expect(calls).to_have_attribute("href", f"tel:{number}")
    # One number on the whole page: the emergency page never offers the clinic, nor the urgent one 999.
    assert tel_links(page) == [f"tel:{number}"], tel_links(page)
    assert alert.bounding_box()["y"] < page.viewport_size["height"], "the advice is not on the first screen"
    check_page(page)
    shots(page, "advice", full_page=False)
    context.close()


def test_notes_that_name_a_warning_sign_ask_for_it_to_be_ticked(stack: LiveStack, browser: Browser, playwright, shots):
    context = phone_context(browser, playwright, "iPhone 13")
    page = context.new_page()
    open_report_form(page, stack, "patient2@demo.test")
    chest = "Chest pain or pressure, or pain on breathing in"

    page.get_by_label("Anything else you want your care team to know").fill("I have crushing chest pain")
    prompt = page.locator("[data-red-flags]")
    expect(prompt).to_be_visible(timeout=10_000)
    expect(prompt).to_contain_text(chest)
    check_page(page)
    prompt.scroll_into_view_if_needed()
    shots(page, "notes-prompt", full_page=False)
    prompt.get_by_role("button", name=f"✓ {chest}").click()
    expect(page.get_by_label(chest, exact=True)).to_be_checked()
    expect(prompt).to_be_hidden()  # nothing left to tick

    answer(page, chest)
    page.get_by_role("button", name="Send report").click()
    alert = page.get_by_role("alert", name=re.compile(f"Call {EMERGENCY_NUMBER} now"))
    expect(alert).to_be_visible()
    expect(alert.get_by_role("link", name=f"Call {EMERGENCY_NUMBER}")).to_have_attribute(
        "href", f"tel:{EMERGENCY_NUMBER}"
    )
    context.close()


# --- Offline: the kept report says what to do before it is sent -----------------------------------


@pytest.mark.parametrize(
    ("sign", "shown", "hidden", "words", "number"),
    [
        (
            "Trouble breathing, wheezing or gasping",
            "[data-outbox-emergency]",
            "[data-outbox-urgent]",
            f"call {EMERGENCY_NUMBER} now",
            EMERGENCY_NUMBER,
        ),
        (
            "Dark or brown urine",
            "[data-outbox-urgent]",
            "[data-outbox-emergency]",
            "call your clinic now",
            CLINIC_NUMBER,
        ),
    ],
    ids=["emergency", "urgent"],
)
def test_a_report_kept_offline_says_which_number_to_call(
    stack: LiveStack, browser: Browser, playwright, sign, shown, hidden, words, number
):
    number = number_now(number)
    context = phone_context(browser, playwright, "Pixel 7")
    page = context.new_page()
    open_report_form(page, stack, "patient2@demo.test")
    context.set_offline(True)
    expect(page.locator("#connection-status")).to_contain_text("You are offline")
    tick(page, sign)
    page.get_by_role("button", name="Send report").click()

    kept = page.locator("[data-outbox-status]")
    expect(kept).to_contain_text("Saved on this phone")
    expect(kept.locator(shown)).to_be_visible()
    expect(kept.locator(shown)).to_contain_text(words)
    expect(kept.locator(shown).get_by_role("link")).to_have_attribute("href", f"tel:{number}")
    expect(kept.locator(hidden)).to_be_hidden()
    check_page(page)
    # Closed while still offline: the kept report dies with the browser context, unsent.
    context.close()


# --- Staff: a report given by phone -------------------------------------------------------------


def test_a_clinician_enters_a_phoned_in_urgent_report_and_lands_on_its_flag(
    stack: LiveStack, browser: Browser, playwright, shots
):
    desk = browser.new_context(**DESKTOP)
    page = desk.new_page()
    sign_in(page, stack, "clinician@demo.test", staff=True)
    page.goto(f"{stack.base_url}/clinic/patients/")
    check_page(page)
    page.get_by_role("link", name="Sam Rivera").click()
    check_page(page)
    # Sam's infusion of three days ago (by its lot: another journey may have logged a newer one for Sam).
    page.locator("li.given").filter(has_text="lot G7790C").first.get_by_role("link").first.click()
    page.get_by_role("link", name="Enter a report given by phone or in the clinic").click()
    check_page(page)

    page.get_by_role("group", name="How was it reported?").get_by_label("Phone call to the clinic").check()
    tick(page, "Dark or brown urine", onset="1–3 days after")
    page.get_by_role("button", name="Send report").click()

    expect(page).to_have_url(re.compile(r"/clinic/flags/\d+/$"))
    main = page.locator("main")
    expect(main).to_contain_text("Saved as “Urgent, today”")
    expect(main.locator(".badge-severe")).to_contain_text("Urgent, today")
    expect(main).to_contain_text("Phone call to the clinic")
    expect(page.get_by_role("link", name=re.compile("^Call Sam Rivera"))).to_have_attribute(
        "href", re.compile(r"^tel:\+44")
    )
    expect(page.get_by_role("button", name="Contacted the patient")).to_be_visible()
    check_page(page)
    shots(page, "staff-entry-flag")
    desk.close()
