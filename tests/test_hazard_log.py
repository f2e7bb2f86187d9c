"""The hazard log (docs/clinical-safety.md) names the tests that prove its controls: each must exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "docs" / "clinical-safety.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")


def _references() -> list[tuple[str, str]]:
    return REFERENCE.findall(LOG.read_text())


def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_every_hazard_names_a_cause_an_effect_controls_tests_and_a_source():
    hazards = re.split(r"^## ", LOG.read_text(), flags=re.M)[1:]
    assert len(hazards) >= 10
    for hazard in hazards:
        title = hazard.splitlines()[0]
        for part in ("**Cause.**", "**Effect.**", "**Controls.**", "**Tests.**", "**Source.**", "**Residual risk.**"):
            assert part in hazard, f"{title}: no {part}"
        assert REFERENCE.search(hazard), f"{title}: names no test"


def _missing(references: list[tuple[str, str]]) -> list[str]:
    missing = []
    for path, name in references:
        file = ROOT / path
        if not file.is_file() or name not in _test_functions(file):
            missing.append(f"{path}::{name}")
    return missing


def test_every_test_the_hazard_log_names_exists():
    references = _references()
    assert len(references) >= 40
    assert _missing(references) == []


def test_the_check_catches_a_renamed_test_and_a_moved_file():
    assert _missing([("tests/test_hazard_log.py", "test_no_such_test"), ("tests/nowhere.py", "test_x")]) == [
        "tests/test_hazard_log.py::test_no_such_test",
        "tests/nowhere.py::test_x",
    ]
