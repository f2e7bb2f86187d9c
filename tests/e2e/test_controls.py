"""Controls a person with a tremor, a weak grip or low vision can use, measured in Chromium, not read from CSS.

Every patient page on a Pixel 7's full screen (412×915): each control a patient taps is at least 44×44 px,
where the size of a checkbox or radio is the area whose tap reaches it (its wrapping or stretched label),
found by hit-testing the page. Every visible form control on patient and clinician pages has a border of at
least 3:1 against the background it sits on (WCAG 1.4.11).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from reactions.domain import catalogue
from tests.e2e.helpers import DESKTOP, MIN_TARGET_PX, sign_in
from tests.e2e.stack import LiveStack

PHONE_SCREEN = {"width": 412, "height": 915}  # a Pixel 7's whole screen
MIN_CONTRAST = 3.0

# Every tappable control of the page that is shown, with the box a tap on it lands in.
# - A checkbox or radio counts with the box around it (its wrapping label, or the .form-check row whose
#   label is stretched over it) only if a tap at that box's corners and centre reaches it: hit-tested
#   with elementFromPoint, so a label that merely sits beside a small box does not count.
# - Links inside running text are left out: WCAG 2.5.8 exempts an inline target "in a sentence or whose
#   size is otherwise constrained by the line-height of non-target text". A link counts as in a sentence
#   when it is laid out inline inside a paragraph, a definition or an alert that has other words than the
#   link's own. A link that is a line of a list (an infusion, a report) is not a sentence: it is measured.
# - Elements moved off the screen until focused (the skip link) are left out: nobody can tap them there.
TARGETS_JS = """
(min) => {
  const inRunningText = (el) => {
    if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
    let block = el.parentElement;
    while (block && getComputedStyle(block).display.startsWith('inline')) block = block.parentElement;
    if (!block || !block.matches('p, dd, .alert, .alert *, .form-text')) return false;
    const rest = block.textContent.replace(el.textContent, '');
    return /[\\p{L}\\p{N}]/u.test(rest);
  };
  // Points 4 px inside each corner (inside a rounded corner too) and the centre: where a tap can land.
  const missed = (box, input) => {
    const r = box.getBoundingClientRect();
    const points = [[r.left + 4, r.top + 4], [r.right - 4, r.top + 4], [r.left + 4, r.bottom - 4],
                    [r.right - 4, r.bottom - 4], [(r.left + r.right) / 2, (r.top + r.bottom) / 2]];
    const labels = Array.from(input.labels || []);
    return points.map(([x, y]) => document.elementFromPoint(x, y))
      .filter(hit => !(hit && (hit === input || labels.includes(hit.closest('label')))))
      .map(hit => hit ? hit.tagName.toLowerCase() + '.' + hit.className : 'nothing');
  };
  const out = [];
  const controls = document.querySelectorAll(
    'a[href], button, summary, select, textarea, input:not([type=hidden])');
  for (const el of controls) {
    if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
    if (el.closest('[hidden]')) continue;
    let box = el, why = '';
    if (el.type === 'checkbox' || el.type === 'radio') {
      const around = el.closest('label') || el.closest('.form-check') || el.parentElement;
      around.scrollIntoView({block: 'center', behavior: 'instant'});
      const misses = missed(around, el);
      if (misses.length) why = ` (a tap on its row reaches ${misses.join(', ')})`; else box = around;
    } else if (inRunningText(el)) {
      continue;
    }
    box.scrollIntoView({block: 'center', behavior: 'instant'});
    const r = box.getBoundingClientRect();
    if (r.right <= 0) continue;  // parked off the left edge until focused
    if (r.width + 0.5 < min || r.height + 0.5 < min) {
      const name = (el.labels && el.labels[0] ? el.labels[0].textContent : el.textContent || el.name || '')
        .trim().replace(/\\s+/g, ' ').slice(0, 50);
      out.push(`${el.tagName.toLowerCase()}${el.type ? '[' + el.type + ']' : ''} "${name}": `
               + `${Math.round(r.width)}×${Math.round(r.height)}${why}`);
    }
  }
  return out;
}
"""

# Each shown form control's border against the background of what it sits on: the first ancestor with a
# background that is not transparent (alpha blended over the ones below it, the page white at the bottom).
CONTRAST_JS = """
() => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) => {
    const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  };
  const backgroundOf = (el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    return layers.reverse().reduce((acc, c) => over(c, acc), [255, 255, 255, 1]);
  };
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [l1, l2] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (l1 + 0.05) / (l2 + 0.05);
  };
  if (document.activeElement) document.activeElement.blur();
  const out = [];
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
    const style = getComputedStyle(el);
    if (style.borderTopStyle === 'none' || parseFloat(style.borderTopWidth) === 0) {
      out.push({control: el.name || el.id, ratio: 0, border: 'none', background: ''});
      continue;
    }
    const around = backgroundOf(el.parentElement);
    const border = over(parse(style.borderTopColor), around);
    out.push({control: (el.name || el.id) + (el.value && el.type === 'radio' ? '=' + el.value : ''),
              ratio: ratio(border, around), border: style.borderTopColor,
              background: `rgb(${around.slice(0, 3).map(Math.round).join(', ')})`});
  }
  return out;
}
"""


def small_targets(page: Page) -> list[str]:
    return page.evaluate(TARGETS_JS, MIN_TARGET_PX)


def border_contrasts(page: Page) -> list[dict]:
    return page.evaluate(CONTRAST_JS)


def full_screen_phone(browser: Browser, playwright, **kwargs) -> BrowserContext:
    profile = {k: v for k, v in playwright.devices["Pixel 7"].items() if k != "default_browser_type"}
    return browser.new_context(
        **{**profile, "viewport": PHONE_SCREEN}, timezone_id="Europe/London", locale="en-GB", **kwargs
    )


@pytest.fixture(scope="module")
def patient_pages(stack: LiveStack, browser: Browser, playwright) -> dict:
    """Alex's pages (demo patient1: infusions with reports), found by following links as a person would."""
    context = full_screen_phone(browser, playwright)
    page = context.new_page()
    sign_in(page, stack, "patient1@demo.test")
    page.goto(f"{stack.base_url}/")
    report_form = page.get_by_role("link", name=re.compile("Report symptoms|How are you", re.I)).first
    report_form = report_form.get_attribute("href")
    report = page.get_by_role("link", name=re.compile("Reported")).first.get_attribute("href")
    infusion = page.locator("a[href^='/infusions/'][href$='/']").filter(has_text=re.compile(r"\d{4}")).first
    infusion = infusion.get_attribute("href")
    state = context.storage_state()
    context.close()
    return {
        "state": state,
        "paths": [
            "/",
            "/infusions/new/",
            infusion,
            infusion + "edit/",
            report_form,
            report,
            "/profile/",
            "/profile/access/",
            "/profile/delete/",
            "/summary/",
        ],
        "report_form": report_form,
    }


@pytest.fixture(scope="module")
def clinician_state(stack: LiveStack, browser: Browser) -> dict:
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    sign_in(page, stack, "clinician@demo.test", staff=True)
    page.goto(f"{stack.base_url}/clinic/patients/")
    patient = page.get_by_role("link", name="Sam Rivera").get_attribute("href")
    page.goto(stack.base_url + patient)
    infusion = page.locator("li.given").first.get_by_role("link").first.get_attribute("href")
    page.goto(f"{stack.base_url}/clinic/flags/")
    flag = page.locator("a[href^='/clinic/flags/'][href$='/']").filter(has_text=re.compile(r"\w")).first
    flag = flag.get_attribute("href")
    state = context.storage_state()
    context.close()
    return {
        "state": state,
        "paths": [
            "/clinic/flags/",
            flag,
            "/clinic/patients/",
            patient,
            infusion,
            infusion + "report/",
            "/clinic/invite/",
            "/clinic/products/",
            "/clinic/account/",
        ],
    }


def test_every_control_on_every_patient_page_is_at_least_44_px_square(stack, browser, playwright, patient_pages):
    problems = {}
    for path in ["/accounts/login/", "/accounts/password/reset/"]:
        context = full_screen_phone(browser, playwright)
        page = context.new_page()
        page.goto(stack.base_url + path)
        problems[path] = small_targets(page)
        context.close()
    context = full_screen_phone(browser, playwright, storage_state=patient_pages["state"])
    page = context.new_page()
    for path in patient_pages["paths"]:
        page.goto(stack.base_url + path)
        assert "/accounts/login/" not in page.url, path
        problems[path] = small_targets(page)
    # The report form with its details shown: a common symptom and a warning sign ticked.
    page.goto(stack.base_url + patient_pages["report_form"])
    page.get_by_role("checkbox", name="Headache", exact=True).check()
    page.get_by_role("checkbox", name="Dark or brown urine", exact=True).check()
    problems["report form, two symptoms ticked"] = small_targets(page)
    context.close()
    problems = {path: found for path, found in problems.items() if found}
    assert not problems, problems


def test_a_tap_anywhere_on_a_symptoms_card_ticks_it_and_the_keyboard_does_too(
    stack, browser, playwright, patient_pages, shots
):
    context = full_screen_phone(browser, playwright, storage_state=patient_pages["state"])
    page = context.new_page()
    page.goto(stack.base_url + patient_pages["report_form"])
    print(f"report form at 412×915: {page.evaluate('document.documentElement.scrollHeight')} px tall")
    shots(page, "report-form")
    headache = page.get_by_role("checkbox", name="Headache", exact=True)
    card = page.locator(".symptom").filter(has=headache)
    box = card.bounding_box()
    assert box["height"] >= MIN_TARGET_PX and box["width"] >= MIN_TARGET_PX, box
    # The far right edge of the card, well away from the box and its words.
    card.tap(position={"x": box["width"] - 6, "y": box["height"] - 6})
    expect(headache).to_be_checked()
    expect(card.get_by_role("group", name="How bad is it?")).to_be_visible()
    card.get_by_role("radio", name="Moderate", exact=True).tap()
    expect(card.get_by_role("radio", name="Moderate", exact=True)).to_be_checked()
    # Tapping the card's details answers them; it never unticks the symptom.
    details = card.locator(".symptom-details").bounding_box()
    page.mouse.click(details["x"] + details["width"] - 3, details["y"] + 3)
    expect(headache).to_be_checked()
    headache.focus()
    page.keyboard.press("Space")
    expect(headache).not_to_be_checked()

    every_card = page.locator(".symptom")
    for index in range(every_card.count()):
        card = every_card.nth(index)
        sign = card.locator(".symptom-toggle")
        box = card.bounding_box()
        card.tap(position={"x": box["width"] - 10, "y": 10})  # inside its rounded corner
        expect(sign).to_be_checked()
    context.close()


def test_every_form_control_has_a_border_of_at_least_3_to_1(stack, browser, playwright, patient_pages, clinician_state):
    measured = {}
    context = full_screen_phone(browser, playwright, storage_state=patient_pages["state"])
    page = context.new_page()
    for path in patient_pages["paths"]:
        page.goto(stack.base_url + path)
        measured[path] = border_contrasts(page)
    page.goto(stack.base_url + patient_pages["report_form"])
    page.get_by_role("checkbox", name="Dark or brown urine", exact=True).check()
    measured["report form, a warning sign ticked"] = border_contrasts(page)
    context.close()

    desk = browser.new_context(**DESKTOP, storage_state=clinician_state["state"])
    page = desk.new_page()
    for path in clinician_state["paths"]:
        page.goto(stack.base_url + path)
        assert "/accounts/" not in page.url, path
        measured[path] = border_contrasts(page)
    page.goto(stack.base_url + "/clinic/flags/")
    page.locator("summary", has_text="Filters").click()
    measured["queue, filters open"] = border_contrasts(page)
    desk.close()

    # The check has teeth: checkboxes, radios, text fields and selects of both roles were measured.
    assert sum(len(controls) for controls in measured.values()) > 100
    assert len(measured[patient_pages["report_form"]]) > len(catalogue.OFFERED)
    weak = {path: [c for c in controls if c["ratio"] < MIN_CONTRAST] for path, controls in measured.items()}
    weak = {path: found for path, found in weak.items() if found}
    assert not weak, weak


# Each shown button's words: their vertical centre against the button's, and their contrast with its fill.
BUTTONS_JS = """
() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = (c) => {
    const [r, g, b] = rgb(c).slice(0, 3).map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const fill = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const c = getComputedStyle(node).backgroundColor;
      if (rgb(c).length === 3 || rgb(c)[3] === 1) return c;
    }
    return 'rgb(255, 255, 255)';
  };
  return Array.from(document.querySelectorAll('main .btn')).filter(el => el.checkVisibility()).map(el => {
    const box = el.getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(el);
    const words = range.getBoundingClientRect();
    const [a, b] = [lum(getComputedStyle(el).color), lum(fill(el))].sort((x, y) => y - x);
    return {button: el.textContent.trim().replace(/\\s+/g, ' '), height: box.height,
            offset: Math.abs((words.top + words.bottom) / 2 - (box.top + box.bottom) / 2),
            contrast: (a + 0.05) / (b + 0.05)};
  });
}
"""


def test_buttons_have_their_words_centred_and_readable(stack, browser, playwright, patient_pages, clinician_state):
    buttons = []
    context = full_screen_phone(browser, playwright, storage_state=patient_pages["state"])
    page = context.new_page()
    page.goto(f"{stack.base_url}/")
    expect(page.get_by_role("link", name="Add an infusion")).to_be_visible()  # says what it adds
    for path in patient_pages["paths"]:
        page.goto(stack.base_url + path)
        buttons += page.evaluate(BUTTONS_JS)
    context.close()
    desk = browser.new_context(**DESKTOP, storage_state=clinician_state["state"])
    page = desk.new_page()
    for path in clinician_state["paths"]:
        page.goto(stack.base_url + path)
        buttons += page.evaluate(BUTTONS_JS)
    desk.close()

    names = {button["button"] for button in buttons}
    assert {"Add an infusion", "Filters", "Printable summary", "FHIR bundle (JSON)"} <= names, names
    # Centred within 2 px, and words at 4.5:1 (WCAG 1.4.3) so that no live button looks greyed out.
    off = [b for b in buttons if b["offset"] > 2 or b["contrast"] < 4.5]
    assert not off, off
