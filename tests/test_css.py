"""The trimmed Bootstrap (scripts/build_css.sh) keeps every Bootstrap class the app uses."""

from __future__ import annotations

import re
from pathlib import Path

import crispy_bootstrap5
import crispy_forms

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "static" / "vendor" / "bootstrap-5.3.9"
CLASS_IN_CSS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
TOKEN = re.compile(r"[\w-]+")  # how purgecss reads content: runs of word characters and dashes


def _classes(css_file: Path) -> set[str]:
    css = re.sub(r"/\*.*?\*/", "", css_file.read_text(), flags=re.S)
    css = re.sub(r"url\([^)]*\)", "", css)  # file names inside url() are not classes
    return set(CLASS_IN_CSS.findall(css))


def _content_tokens() -> set[str]:
    sources = [
        *ROOT.glob("templates/**/*.html"),
        *ROOT.glob("reactions/**/*.py"),
        *ROOT.glob("static/js/*.js"),
        *Path(crispy_forms.__file__).parent.glob("**/*.html"),
        *Path(crispy_forms.__file__).parent.glob("**/*.py"),
        *Path(crispy_bootstrap5.__file__).parent.glob("**/*.html"),
        *Path(crispy_bootstrap5.__file__).parent.glob("**/*.py"),
    ]
    tokens: set[str] = set()
    for source in sources:
        tokens |= set(TOKEN.findall(source.read_text(errors="replace")))
    return tokens


def _selector_class_sets(css_file: Path) -> list[set[str]]:
    """The classes of each selector in the file (`.btn.active:hover` -> {"btn", "active"})."""
    css = re.sub(r"/\*.*?\*/", "", css_file.read_text(), flags=re.S)
    selectors = []
    for group in re.findall(r"([^{}]+)\{", css):
        if group.lstrip().startswith("@"):
            continue
        selectors += [set(CLASS_IN_CSS.findall(selector)) for selector in group.split(",")]
    return [classes for classes in selectors if classes]


def test_every_bootstrap_rule_the_app_can_match_is_in_the_trimmed_css():
    tokens, trimmed = _content_tokens(), _classes(VENDOR / "bootstrap.purged.min.css")
    # A rule the app can match: all of its selector's classes occur in the app's content.
    needed = set().union(*(c for c in _selector_class_sets(VENDOR / "bootstrap.min.css") if c <= tokens))
    missing = sorted(needed - trimmed)
    assert not missing, f"run scripts/build_css.sh: the trimmed Bootstrap lacks {missing}"
    assert {"btn", "form-control", "alert", "table", "container", "invalid-feedback"} <= needed  # the check has teeth


def test_classes_built_at_run_time_are_kept():
    trimmed = _classes(VENDOR / "bootstrap.purged.min.css")
    # Django message levels (alert-{{ message.tags }}) and app.js's connection banner.
    assert {"alert-success", "alert-info", "alert-warning", "alert-danger"} <= trimmed


def test_the_trimmed_css_keeps_bootstraps_licence_and_is_small():
    css = (VENDOR / "bootstrap.purged.min.css").read_text()
    assert "Licensed under MIT" in css[:400]
    assert len(css) < 80_000
