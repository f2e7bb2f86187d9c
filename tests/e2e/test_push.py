"""Notifications in the browser: never asked for on first load, offered after a report, shown by the service worker.

No push service is reachable here, so a real pushManager.subscribe() cannot complete (the subscribe
view is tested with the keys a browser makes in tests/views/test_push.py). The service worker's side is
real: Chromium's DevTools protocol delivers a push message to it (ServiceWorker.deliverPushMessage), as
a push service would, and the page then reads the notification it shows.
"""

from __future__ import annotations

import json
import re
import time

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.helpers import check_page, phone_context, sign_in
from tests.e2e.stack import LiveStack
from tests.e2e.test_triage import open_report_form, tick

# Counts every request for permission or subscription a page makes, before any of its own scripts run.
COUNT_ASKS = """
  window.__asked = [];
  if (window.Notification) {
    const ask = Notification.requestPermission.bind(Notification);
    Notification.requestPermission = (...args) => { window.__asked.push("permission"); return ask(...args); };
  }
  if (window.PushManager) {
    const subscribe = PushManager.prototype.subscribe;
    PushManager.prototype.subscribe = function (...args) {
      window.__asked.push("subscribe");
      return subscribe.apply(this, args);
    };
  }
"""


def _wait_for_service_worker(page: Page) -> None:
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15_000)  # clients.claim()


def test_no_page_asks_for_notifications_on_its_own(stack: LiveStack, browser: Browser, playwright):
    context = phone_context(browser, playwright, "Pixel 7")
    context.add_init_script(COUNT_ASKS)
    page = context.new_page()
    sign_in(page, stack, "patient1@demo.test")
    for path in ("/infusions/new/", "/profile/", "/"):
        page.goto(f"{stack.base_url}{path}")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__asked") == [], path
        assert page.evaluate("Notification.permission") == "default", path
    _wait_for_service_worker(page)
    page.get_by_role("link", name=re.compile("Report symptoms|How are you", re.I)).first.click()
    expect(page.get_by_role("button", name="Send report")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__asked") == []
    assert page.evaluate("Notification.permission") == "default"
    context.close()


def test_after_a_report_the_phone_is_offered_notifications_and_asked_only_on_a_tap(
    stack: LiveStack, browser: Browser, playwright, shots
):
    context = phone_context(browser, playwright, "Pixel 7")
    context.add_init_script(COUNT_ASKS)
    context.grant_permissions(["notifications"], origin=stack.base_url)
    page = context.new_page()
    open_report_form(page, stack, "patient2@demo.test")
    tick(page, "Headache", grade="Mild")
    page.get_by_role("button", name="Send report").click()
    expect(page).to_have_url(re.compile(r"/reports/\d+/$"))

    offer = page.get_by_role("region", name="Get follow-up questions as notifications on this phone?")
    expect(offer).to_be_visible(timeout=15_000)  # once the service worker is ready and nothing is subscribed
    assert page.evaluate("window.__asked") == []
    check_page(page)
    shots(page, "push-offer", full_page=False)

    # The tap asks; this machine reaches no push service, so the subscription fails, and the page says so.
    offer.get_by_role("button", name="Turn on notifications").click()
    expect(offer.get_by_role("status")).to_contain_text(
        re.compile("could not be turned on|will come by e-mail"), timeout=60_000
    )
    assert page.evaluate("window.__asked")[:2] == ["permission", "subscribe"]
    check_page(page)

    # "Not now" is remembered on this phone: the next report page does not offer it again.
    page.reload()
    expect(offer).to_be_visible(timeout=15_000)
    offer.get_by_role("button", name="Not now").click()
    expect(offer).to_be_hidden()
    page.reload()
    page.wait_for_load_state("networkidle")
    time.sleep(1)  # push.js decides after the service worker is ready
    expect(offer).to_be_hidden()
    context.close()


def test_the_profile_shows_this_devices_notifications(stack: LiveStack, browser: Browser, playwright, shots):
    context = phone_context(browser, playwright, "Pixel 7")
    context.grant_permissions(["notifications"], origin=stack.base_url)
    page = context.new_page()
    sign_in(page, stack, "patient1@demo.test")
    page.goto(f"{stack.base_url}/profile/")
    section = page.get_by_role("region", name="Notifications")
    expect(section).to_contain_text("Notifications on this device: off", timeout=15_000)
    expect(section.get_by_role("button", name="Turn on for this device")).to_be_visible()
    expect(section).to_contain_text("No device gets notifications yet.")
    check_page(page)
    shots(page, "profile-notifications")
    context.close()


def _push_registration(context: BrowserContext, page: Page, origin: str) -> str:
    """The service worker registration's id, as DevTools names it."""
    cdp = context.new_cdp_session(page)
    registrations: dict[str, str] = {}

    def updated(event: dict) -> None:
        for registration in event["registrations"]:
            if not registration.get("isDeleted"):
                registrations[registration["scopeURL"]] = registration["registrationId"]

    cdp.on("ServiceWorker.workerRegistrationUpdated", updated)
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while f"{origin}/" not in registrations and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert f"{origin}/" in registrations, registrations
    page.__cdp = cdp  # type: ignore[attr-defined]  (kept alive with the page)
    return registrations[f"{origin}/"]


def _notifications(page: Page, script: str, *, count: int, timeout: float = 10) -> list[dict]:
    deadline = time.monotonic() + timeout
    while len(shown := page.evaluate(script)) < count:
        assert time.monotonic() < deadline, f"{len(shown)} notifications shown, not {count}"
        page.wait_for_timeout(200)
    return shown


def test_the_service_worker_shows_a_pushed_notification(stack: LiveStack, browser: Browser, playwright, shots):
    context = phone_context(browser, playwright, "Pixel 7")
    context.grant_permissions(["notifications"], origin=stack.base_url)
    page = context.new_page()
    sign_in(page, stack, "patient1@demo.test")
    page.goto(f"{stack.base_url}/")
    _wait_for_service_worker(page)

    registration_id = _push_registration(context, page, stack.base_url)
    message = {"title": "ivigtrack", "body": "A follow-up question is waiting for you.", "url": "/profile/"}
    page.__cdp.send(  # type: ignore[attr-defined]
        "ServiceWorker.deliverPushMessage",
        {"origin": stack.base_url, "registrationId": registration_id, "data": json.dumps(message)},
    )
    shown = """navigator.serviceWorker.ready.then(r => r.getNotifications()).then(list => list.map(n => ({
                 title: n.title, body: n.body, url: n.data && n.data.url, tag: n.tag, icon: n.icon, badge: n.badge
               })))"""
    (notification,) = _notifications(page, shown, count=1)
    assert notification["title"] == "ivigtrack"
    assert notification["body"] == "A follow-up question is waiting for you."
    assert notification["url"] == f"{stack.base_url}/profile/"  # a page of the app, opened on a tap
    assert notification["tag"] == notification["url"]  # the same message twice shows once
    assert re.search(r"/static/icons/icon-192\.\w+\.png$", notification["icon"])
    assert re.search(r"/static/icons/badge-96\.\w+\.png$", notification["badge"])

    # A payload naming another site opens the app's home instead.
    page.__cdp.send(  # type: ignore[attr-defined]
        "ServiceWorker.deliverPushMessage",
        {
            "origin": stack.base_url,
            "registrationId": registration_id,
            "data": json.dumps({"title": "ivigtrack", "body": "x", "url": "https://elsewhere.example/phish"}),
        },
    )
    urls = {n["url"] for n in _notifications(page, shown, count=2)}
    assert urls == {f"{stack.base_url}/profile/", f"{stack.base_url}/"}
    context.close()
