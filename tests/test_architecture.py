"""The layer rule of ARCHITECTURE.md, enforced: imports point inward only."""

from __future__ import annotations

import ast
import logging
from collections.abc import Mapping, Set
from pathlib import Path

import grimp
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


def import_loops(imports: Mapping[str, Set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    loops: list[list[str]] = []
    for root in sorted(imports):
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(sorted(imports[root])))]
        while work:
            module, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(imports[target]))))
                elif target in on_stack:
                    low[module] = min(low[module], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[module])
            if low[module] == index[module]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == module:
                        break
                if len(component) > 1:
                    loops.append(sorted(component))
    return loops


def test_import_loops_are_found() -> None:
    imports = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert import_loops(imports) == [["a", "b", "c"]]


def test_no_module_imports_itself_through_others() -> None:
    # Every import between two of our modules, except a package's own face: its __init__
    # re-exporting what lies inside it (planner.ports -> planner.ports.lease) is no loop.
    graph = grimp.build_graph("planner", "bot", "sheets", cache_dir=None)
    imports = {
        module: {
            imported
            for imported in graph.find_modules_directly_imported_by(module)
            if imported in graph.modules and not imported.startswith(module + ".")
        }
        for module in graph.modules
    }
    loops = import_loops(imports)
    assert loops == [], "import loops between modules:\n" + "\n".join(
        " <-> ".join(loop) for loop in loops
    )
