"""What every browser test does: sign in, open a phone, check a page for accessibility."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect

from reactions.domain import contacts
from tests.e2e.stack import DEMO_BACKUP_CODES, DEMO_PASSWORD, LiveStack

CLINIC_TZ = ZoneInfo("Europe/London")  # the demo clinic's time zone
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
MIN_TARGET_PX = 44
PHONES = ["Pixel 7", "iPhone 13"]
DESKTOP = {"viewport": {"width": 1366, "height": 900}}
# The demo clinic's two lines (seed_demo): its own while open (the default hours), else the out-of-hours one.
DEMO_CLINIC_PHONE, DEMO_OUT_OF_HOURS_PHONE = "+44 20 7946 0100", "+44 20 7946 0999"

_axe = Axe()
_codes = iter(DEMO_BACKUP_CODES)  # each backup code works once


# --- Checks run on every page -------------------------------------------------------------------


def check_page(page: Page) -> None:
    """axe-core finds no WCAG 2.1 A/AA violation; targets are big enough; focus is visible."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"

    small = page.evaluate(
        """(min) => Array.from(document.querySelectorAll(
              'button, .btn, select, textarea, summary, .nav-links a, .form-check, '
              + 'input:not([type=hidden]):not([type=checkbox]):not([type=radio])'))
            .filter(el => el.offsetParent !== null)
            .map(el => [el.outerHTML.slice(0, 80), el.getBoundingClientRect().height])
            .filter(([, height]) => height + 0.5 < min)""",
        MIN_TARGET_PX,
    )
    assert not small, f"{page.url}: touch targets under {MIN_TARGET_PX}px: {small}"

    focus_style = page.evaluate(
        """() => {
            // The first one shown: a hidden element cannot take focus.
            const el = Array.from(document.querySelectorAll(
                'main button, main .btn, main input:not([type=hidden]), main a')).find(el => el.offsetParent !== null);
            if (!el) return null;
            el.focus({focusVisible: true});
            const style = getComputedStyle(el);
            return [style.outlineStyle, style.outlineWidth, style.boxShadow];
        }"""
    )
    if focus_style is not None:
        outline, width, shadow = focus_style
        assert (outline != "none" and width != "0px") or shadow != "none", f"{page.url}: no visible focus"


def phone_context(browser: Browser, playwright, device: str) -> BrowserContext:
    profile = {k: v for k, v in playwright.devices[device].items() if k != "default_browser_type"}
    return browser.new_context(**profile, timezone_id="Europe/London", locale="en-GB")


def local_input(moment: datetime) -> str:
    """A datetime-local field's value in the clinic's time zone."""
    return moment.astimezone(CLINIC_TZ).strftime("%Y-%m-%dT%H:%M")


def fill_recent_infusion(page: Page, *, lot: str) -> None:
    """On the infusion form: a 35 g Privigen infusion given in the clinic that ended 2½ hours ago, so that its
    +2 h follow-up is due at once."""
    now = datetime.now(CLINIC_TZ)
    page.get_by_label("Given").check()
    page.locator("input[name=started_at]").fill(local_input(now - timedelta(hours=5, minutes=30)))
    page.locator("input[name=ended_at]").fill(local_input(now - timedelta(hours=2, minutes=30)))
    page.locator("select[name=product]").select_option("privigen")
    page.locator("input[name=lot_number]").fill(lot)
    page.locator("input[name=dose_grams]").fill("35")
    page.locator("input[name=setting][value=clinic]").check()


def sign_in(page: Page, stack: LiveStack, email: str, *, staff: bool = False) -> None:
    page.goto(f"{stack.base_url}/accounts/login/")
    check_page(page)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in", re.IGNORECASE)).click()
    if staff:
        expect(page).to_have_url(re.compile(r"/accounts/2fa/verify/"))
        check_page(page)
        page.locator("input[name=token]").fill(next(_codes))
        page.get_by_role("button", name="Continue").click()


def link_in(message, pattern: str) -> str:
    body = message.get_body(("plain",)).get_content()
    match = re.search(pattern, body)
    assert match, f"no link matching {pattern} in:\n{body}"
    return match.group(0)


def demo_clinic_line_now() -> str:
    """The number the app gives for an urgent report now: which line depends on the hour the tests run."""
    return contacts.urgent_line(
        datetime.now(CLINIC_TZ),
        phone=DEMO_CLINIC_PHONE,
        out_of_hours_phone=DEMO_OUT_OF_HOURS_PHONE,
        days=contacts.DEFAULT_OPEN_DAYS,
        opens_at=contacts.DEFAULT_OPENS_AT,
        closes_at=contacts.DEFAULT_CLOSES_AT,
    ).number
