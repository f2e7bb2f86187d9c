"""Browser tests: Debian's Chromium driven by Playwright (pytest-playwright) against the live stack.

`playwright install` cannot download browsers here, so the system Chromium is launched through
`executable_path`. Without Chromium the tests are skipped with a loud reason; `make test`
installs it with apt first where it can.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from tests.e2e.stack import LiveStack

# Playwright's sync API runs an event loop in the test thread, and Django refuses ORM calls from such
# a thread. These tests never use the test database (the app runs on its own), and they run last,
# so nothing here lifts Django's guard (DJANGO_ALLOW_ASYNC_UNSAFE would also leak into subprocesses).

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
# What this machine's Chromium needs: no sandbox as root, no GPU, and no calls home (the network is closed).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _why_no_browser() -> str | None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed (make test installs it)"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _why_no_browser()
    e2e, others = [], []
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)
            if reason:
                # Loud on purpose: skipped browser tests prove nothing.
                item.add_marker(pytest.mark.skip(reason=f"BROWSER TESTS NOT RUN: {reason}"))
            e2e.append(item)
        else:
            others.append(item)
    items[:] = others + e2e  # the slow browser journeys last, after the fast tests have spoken


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    db = settings.DATABASES["default"]
    database_url = os.environ.get("DATABASE_URL", "") if db["ENGINE"].endswith("postgresql") else ""
    live = LiveStack(
        tmp_path_factory.mktemp("e2e-stack"),
        database_url=database_url,
        redis_url=settings.REDIS_URL,
        extra_env={"QUEUE_REFRESH_SECONDS": "3"},
    )
    live.start()
    yield live
    live.stop()


class Shots:
    """Screenshots of a journey, kept as test artefacts under test-artifacts/e2e/<test>/."""

    def __init__(self, name: str) -> None:
        self.folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", name)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.count = 0

    def __call__(self, page, step: str, *, full_page: bool = True, docs: str = "") -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=full_page)
        # E2E_DOCS_DIR=docs/screenshots make test: refresh the README's pictures (one screen each).
        if docs and os.environ.get("E2E_DOCS_DIR"):
            page.screenshot(path=str(Path(os.environ["E2E_DOCS_DIR"]) / f"{docs}.png"))
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return Shots(request.node.name)
