"""The layer rule of ARCHITECTURE.md, enforced: imports point inward only."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold() -> None:
    # The contracts live in pyproject.toml ([tool.importlinter]); 0 means every one is kept.
    # import-linter's CLI configures logging with dictConfig, which disables every logger that
    # exists already (planner's own): they are switched back on for the tests that follow.
    loggers = logging.root.manager.loggerDict.values()
    was_on = [lg for lg in loggers if isinstance(lg, logging.Logger) and not lg.disabled]
    try:
        assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0
    finally:
        for logger in was_on:
            logger.disabled = False


def test_only_the_config_module_reads_the_environment() -> None:
    offenders = []
    for path in sorted((ROOT / "planner").rglob("*.py")) + sorted((ROOT / "bot").rglob("*.py")):
        if "config" in path.relative_to(ROOT).parts[1:2] or path.name == "config.py":
            continue
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
