"""Every `.venv/bin/planner …` example in README.md's code blocks runs, in order, on the demo.

The examples are read from the README when the tests are collected, so a line added to the
README is tested without touching this file. They run in the README's order in one working
directory, after `planner demo`, as a person following the README would run them.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from planner.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"
PROGRAM = ".venv/bin/planner"

# Only what needs a person's real accounts or runs until stopped; the reason is the skip text.
NEEDS_MORE_THAN_THE_DEMO = {
    "init": "asks its questions at a terminal (`planner init` without --yes)",
    "init --yes": "checks a real Google service-account key file (real credentials)",
    "serve": "serves Slack and the scheduler until stopped",
}


def readme_examples(text: str) -> list[str]:
    """The planner command lines of the README's code blocks, continuation lines joined."""
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    lines: list[str] = []
    for block in blocks:
        joined = re.sub(r"\\\n\s*", " ", block)
        lines += [x.strip() for x in joined.splitlines() if x.strip().startswith(PROGRAM + " ")]
    return lines


def skip_reason(args: list[str]) -> str | None:
    words = [a for a in args if not a.startswith("--config")]
    if not words:
        return None
    if words[0] == "init":
        key = "init --yes" if "--yes" in words else "init"
        return NEEDS_MORE_THAN_THE_DEMO[key]
    return NEEDS_MORE_THAN_THE_DEMO.get(words[0])


def readme_files(text: str) -> dict[str, str]:
    """Files the README shows in full for its examples: a block after `<!-- readme-csv: NAME -->`
    or `<!-- readme-file: NAME -->` (planner.toml's exchange rate for the JPY vendor)."""
    found = re.findall(r"<!-- readme-(?:csv|file): (\S+) -->\s*```\w*\n(.*?)```", text, re.DOTALL)
    return dict(found)


EXAMPLES = readme_examples(README.read_text("utf-8"))


def write_sales_csv(path: Path) -> None:
    """The file the README's `forecast --csv sales.csv` example reads (a person's own)."""
    start = date.today() - timedelta(days=120)
    rows = ["sku,date,qty"] + [
        f"{sku},{start + timedelta(days=d)},{(d * k) % 7 + k}"
        for k, sku in enumerate(("MUG-1", "TEA-1"), start=1)
        for d in range(120)
    ]
    path.write_text("\n".join(rows) + "\n", "utf-8")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A directory where `planner demo` has run, as the README's examples expect."""
    where = tmp_path_factory.mktemp("readme")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(where)
        mp.delenv("PLANNER_LOG_LEVEL", raising=False)
        assert main(["demo"]) == 0
        write_sales_csv(where / "sales.csv")
        for name, content in readme_files(README.read_text("utf-8")).items():
            (where / name).write_text(content, "utf-8")
        yield where


def test_the_readme_has_examples_to_run() -> None:
    assert len(EXAMPLES) >= 15, EXAMPLES  # the extraction found the README's command list
    assert any(line.startswith(f"{PROGRAM} plan") for line in EXAMPLES)


@pytest.mark.parametrize("line", EXAMPLES)
def test_readme_example_runs(
    line: str, workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = shlex.split(line, comments=True)[1:]
    reason = skip_reason(args)
    if reason is not None:
        pytest.skip(reason)
    monkeypatch.chdir(workdir)
    code = main(args)
    captured = capsys.readouterr()
    assert code == 0, f"{line}\n{captured.out[-2000:]}\n{captured.err[-2000:]}"
    assert "Traceback" not in captured.err
