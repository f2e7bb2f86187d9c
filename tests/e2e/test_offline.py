"""Installable and offline-tolerant: a report filled without a connection is kept, then sent."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.e2e.helpers import check_page, demo_clinic_line_now, phone_context, sign_in
from tests.e2e.stack import LiveStack


def test_the_app_is_installable(stack: LiveStack, browser: Browser, playwright):
    context = phone_context(browser, playwright, "Pixel 7")
    page = context.new_page()
    page.goto(f"{stack.base_url}/accounts/login/")
    manifest_url = page.locator("link[rel=manifest]").get_attribute("href")
    manifest = page.request.get(stack.base_url + manifest_url).json()
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert page.request.get(stack.base_url + icon["src"]).ok, icon
    # The service worker installs and takes control of the pages.
    script_url = page.evaluate("""Promise.race([navigator.serviceWorker.ready.then(r => r.active.scriptURL),
                                  new Promise(resolve => setTimeout(() => resolve('not ready'), 10000))])""")
    assert script_url.endswith("/sw.js"), script_url
    context.close()


def test_a_report_filled_offline_is_kept_on_the_phone_and_sent_when_the_connection_returns(
    stack: LiveStack, browser: Browser, playwright, shots
):
    context = phone_context(browser, playwright, "iPhone 13")
    page = context.new_page()
    sign_in(page, stack, "patient1@demo.test")  # Alex: an infusion ended two hours ago
    page.goto(f"{stack.base_url}/")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15_000)  # clients.claim()
    page.get_by_role("link", name=re.compile("Report symptoms|How are you", re.I)).first.click()
    expect(page.get_by_role("button", name="Send report")).to_be_visible()

    # The connection drops while Alex fills in the form, with a warning sign.
    context.set_offline(True)
    expect(page.locator("#connection-status")).to_contain_text("You are offline")
    page.locator("input[name=s_fast_heartbeat]").check()
    page.locator("input[name=s_fast_heartbeat_grade][value=moderate]").check()
    page.locator("select[name=s_fast_heartbeat_onset]").select_option("1_6h")
    page.get_by_role("button", name="Send report").click()

    # Kept on the phone, said so, and the advice does not wait for the connection: call the clinic.
    expect(page.locator("[data-outbox-message]")).to_contain_text("Saved on this phone")
    expect(page.locator("[data-outbox-urgent]")).to_be_visible()
    expect(page.locator("[data-outbox-urgent]")).to_contain_text(f"call your clinic now on {demo_clinic_line_now()}")
    expect(page.locator("[data-outbox-emergency]")).to_be_hidden()
    assert page.evaluate("IvigOutbox.all().then(entries => entries.length)") == 1
    check_page(page)
    shots(page, "kept-offline", full_page=False, docs="phone-offline")

    # Another page while offline: the app's offline page, not a browser error.
    page.goto(f"{stack.base_url}/profile/")
    expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
    expect(page.locator("[data-outbox-status]")).to_be_visible()
    # The offline page knows no number itself: it shows the one remembered with the kept report.
    expect(page.locator("[data-outbox-urgent]").get_by_role("link")).to_have_attribute(
        "href", f"tel:{demo_clinic_line_now()}"
    )
    check_page(page)
    shots(page, "offline-page", full_page=False)

    # Back online: the kept report is sent, and the answer is shown: call the clinic.
    context.set_offline(False)
    # Named by its heading: the offline page's own advice ("…call your clinic now on…") is an alert too.
    urgent = page.get_by_role("alert", name=re.compile("Call your clinic now"))
    expect(urgent).to_be_visible(timeout=20_000)
    assert page.evaluate("IvigOutbox.all().then(entries => entries.length)") == 0
    # The clinic hears about it as about any urgent report.
    stack.wait_for_mail(
        lambda m: m["Subject"].startswith("Urgent:") and "Alex Morgan" in m.get_body(("plain",)).get_content(),
        timeout=20,
        what="the urgent alert for the report sent after reconnecting",
    )
    context.close()
