"""Patient pages on a phone's first visit: at most 60 KB transferred, compressed, in total."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser

from tests.e2e.helpers import phone_context, sign_in
from tests.e2e.stack import LiveStack

BUDGET_BYTES = 60 * 1024
PATIENT_PAGES = ["/accounts/login/", "/", "/infusions/new/", "/profile/", "REPORT_FORM"]


@pytest.fixture(scope="module")
def signed_in_state(stack: LiveStack, browser: Browser, playwright) -> dict:
    context = phone_context(browser, playwright, "Pixel 7")
    page = context.new_page()
    sign_in(page, stack, "patient1@demo.test")
    page.goto(f"{stack.base_url}/")
    report = page.get_by_role("link", name=re.compile("Report symptoms|How are you", re.I)).first.get_attribute("href")
    state = context.storage_state()
    context.close()
    return {"state": state, "report_form": report}


@pytest.mark.parametrize("path", PATIENT_PAGES)
def test_first_load_of_a_patient_page_stays_under_60_kb(stack, browser, playwright, signed_in_state, path):
    path = signed_in_state["report_form"] if path == "REPORT_FORM" else path
    state = None if path == "/accounts/login/" else signed_in_state["state"]
    # A new context: empty HTTP cache, no service worker yet — a first visit.
    profile = {k: v for k, v in playwright.devices["Pixel 7"].items() if k != "default_browser_type"}
    context = browser.new_context(**profile, storage_state=state)
    page = context.new_page()
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(stack.base_url + path)
    page.wait_for_load_state("networkidle")
    assert not page.url.endswith("/accounts/login/?next=" + path), "not signed in"

    rows, total = [], 0
    for response in responses:
        sizes = response.request.sizes()
        transferred = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        encoding = response.headers.get("content-encoding", "-")
        rows.append(f"  {transferred:>7} B  {encoding:<5} {response.request.resource_type:<10} {response.url}")
        total += transferred
    context.close()
    report = f"{path}: {total / 1024:.1f} KB in {len(responses)} responses\n" + "\n".join(rows)
    print(report)
    assert total <= BUDGET_BYTES, report
    # Static files come compressed, with far-future caching (content-hashed names).
    for response in responses:
        if "/static/" in response.url and response.url.endswith((".css", ".js")):
            assert response.headers.get("content-encoding") in ("br", "gzip"), response.url
            assert "max-age=315360000" in response.headers.get("cache-control", ""), response.url
