"""Lighthouse 12 (mobile) on the patient pages of the running app; fails below the quality bars.

    make lighthouse                  # or: .venv/bin/python scripts/lighthouse.py

Starts the app as in production (tests/e2e/stack.py: gunicorn with DEBUG off, compressed static
files, Celery worker and beat, demo data on a throwaway database), signs in as a demo patient
with the system Chromium, and runs `npx lighthouse@12` against each page with the session cookie.
Reports go to var/lighthouse/. Needs Node.js with npm (npx fetches Lighthouse once) and Chromium.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ivigtrack.settings")

LIGHTHOUSE = "lighthouse@12.8.2"  # 13 needs a newer Node.js than this machine's 20
BARS = {"performance": 0.95, "accessibility": 1.0, "best-practices": 0.95}
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update "
    "--disable-sync --no-first-run --disable-quic"
)
OUT = ROOT / "var" / "lighthouse"


def main() -> int:
    import django

    django.setup()
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
    from tests.e2e.helpers import sign_in
    from tests.e2e.stack import LiveStack

    if not shutil.which("npx"):
        print("lighthouse: npx (Node.js) is needed", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    stack = LiveStack(
        Path(tempfile.mkdtemp(prefix="ivigtrack-lighthouse-")),
        database_url=os.environ.get("DATABASE_URL", ""),
        redis_url=os.environ.get("REDIS_URL", ""),
    )
    stack.start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            sign_in(page, stack, "patient1@demo.test")  # Alex: an infusion ended two hours ago
            page.goto(f"{stack.base_url}/")
            report_form = page.get_by_role("link", name=re.compile("Report symptoms|How are you", re.I)).first
            report_path = report_form.get_attribute("href")
            cookies = "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())
            browser.close()
        prompt = stack.wait_for_mail(
            lambda m: m["To"] == "patient1@demo.test" and m["Subject"].startswith("How are you"),
            what="Alex's follow-up prompt",
        )
        one_tap = re.search(r"http://\S+/f/[^/\s]+/", prompt.get_body(("plain",)).get_content()).group(0)
        pages = {
            "sign in": ("/accounts/login/", False),
            "home": ("/", True),
            "log an infusion": ("/infusions/new/", True),
            "report symptoms": (report_path, True),
            "profile": ("/profile/", True),
            "follow-up link": (one_tap.removeprefix(stack.base_url), False),
        }  # (the offline page leaves for the home page as soon as it finds the network: not measurable here)
        rows = [
            run_lighthouse(name, stack.base_url + path, cookies if signed_in else "")
            for name, (path, signed_in) in pages.items()
        ]
    finally:
        stack.stop()

    print(f"\nLighthouse {LIGHTHOUSE.split('@')[1]}, mobile (simulated slow 4G, 4x CPU slowdown)\n")
    print(f"| page | {' | '.join(BARS)} |")
    print(f"|---|{'---|' * len(BARS)}")
    failures = []
    for name, scores in rows:
        print(f"| {name} | " + " | ".join(f"{scores[c]:.2f}" for c in BARS) + " |")
        failures += [f"{name}: {c} {scores[c]:.2f} < {bar}" for c, bar in BARS.items() if scores[c] < bar]
    print(f"\nbars: {', '.join(f'{c} ≥ {bar}' for c, bar in BARS.items())}; reports in {OUT.relative_to(ROOT)}/")
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


def run_lighthouse(name: str, url: str, cookies: str) -> tuple[str, dict[str, float]]:
    slug = re.sub(r"\W+", "-", name)
    report = OUT / f"{slug}.json"
    headers = OUT / f"{slug}.headers.json"
    headers.write_text(json.dumps({"Cookie": cookies} if cookies else {}))
    command = [
        "npx",
        "--yes",
        LIGHTHOUSE,
        url,
        "--quiet",
        "--output=json",
        f"--output-path={report}",
        "--only-categories=" + ",".join(BARS),
        f"--chrome-flags={CHROME_FLAGS}",
        f"--extra-headers={headers}",
    ]
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    if result.returncode or not report.exists():
        raise RuntimeError(f"lighthouse failed on {url}:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    data = json.loads(report.read_text())
    if data.get("runtimeError"):
        raise RuntimeError(f"lighthouse could not load {url}: {data['runtimeError']}")
    final_url = data.get("finalDisplayedUrl") or data.get("finalUrl", "")
    if cookies and "/accounts/login/" in final_url:
        raise RuntimeError(f"{name}: Lighthouse was sent to the sign-in page; the session cookie did not work")
    # A category without a score (a gatherer failed) counts as 0: a check that could not run has not passed.
    scores = {c: data["categories"][c]["score"] or 0.0 for c in BARS}
    print(f"{name}: " + ", ".join(f"{c} {s:.2f}" for c, s in scores.items()), flush=True)
    return name, scores


if __name__ == "__main__":
    sys.exit(main())
