"""docs/amazon-behaviours.md names, for each real-API behaviour, the test that shows planner
handles it: every test it names exists, and every behaviour names one."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "amazon-behaviours.md"


def _defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    }


def named_tests(cell: str) -> list[tuple[str, str]]:
    """(file, test) for each `tests/f.py::test_x` in a cell; `::test_y` reuses the last file."""
    found, current = [], ""
    for ref in re.findall(r"`([^`]*::[^`]*)`", cell):
        path, _, name = ref.partition("::")
        current = path or current
        found.append((current, name.split("[")[0]))
    return found


def rows() -> list[str]:
    return [
        line
        for line in DOC.read_text(encoding="utf-8").splitlines()
        if line.startswith("|") and not line.startswith(("| behaviour", "|---"))
    ]


def test_every_behaviour_names_a_test() -> None:
    assert rows(), "the document lists no behaviour"
    assert [r[:80] for r in rows() if not named_tests(r.rsplit("|", 2)[-2])] == []


def test_every_test_the_document_names_exists() -> None:
    missing = []
    for row in rows():
        for file, name in named_tests(row.rsplit("|", 2)[-2]):
            path = ROOT / file
            if not path.is_file() or name not in _defined_tests(path):
                missing.append(f"{file}::{name}")
    assert missing == []
