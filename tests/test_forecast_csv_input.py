"""`planner forecast --csv`: bad files are refused with their line, never crash, write nothing."""

from __future__ import annotations

import contextlib
import csv
import io
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from planner.cli import main

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def forecast(folder: Path, text: str | bytes, *args: str) -> tuple[int, str]:
    """Run `planner forecast` on `text` saved as in.csv; the exit code and what it printed."""
    src = folder / "in.csv"
    if isinstance(text, bytes):
        src.write_bytes(text)
    else:
        src.write_text(text, encoding="utf-8", newline="")
    argv = ["forecast", "--csv", str(src), "--out", str(folder / "out.csv"), *args]
    printed = io.StringIO()
    with contextlib.redirect_stderr(printed), contextlib.redirect_stdout(printed):
        code = main(argv)
    return code, printed.getvalue()


def assert_refused(folder: Path, code: int, printed: str) -> None:
    """Exit 1, one line naming the file, no traceback, and nothing written beside the input."""
    assert code == 1, printed
    assert "Traceback" not in printed and "internal error" not in printed, printed
    assert len(printed.strip().splitlines()) == 1, printed
    assert "in.csv line" in printed, printed
    assert sorted(p.name for p in folder.iterdir()) == ["in.csv"], printed


def lines(*rows: str) -> str:
    return "sku,date,qty\n" + "".join(f"{r}\n" for r in rows)


def test_a_forecast_running_past_year_9999_names_the_latest_date(tmp_path: Path) -> None:
    text = lines("A,9999-12-20,1", "B,9999-12-26,2", "A,9999-12-21,3")
    code, printed = forecast(tmp_path, text, "--horizon", "14", "--freq", "D")
    assert_refused(tmp_path, code, printed)
    assert "line 3, column date" in printed and "past 9999-12-31" in printed
    # Six days are left after 9999-12-26: a horizon of 5 fits (the dates can be written).
    code, printed = forecast(tmp_path, text, "--horizon", "5", "--freq", "D")
    assert code == 0, printed
    rows = list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8")))
    assert max(r["date"] for r in rows) == "9999-12-31"


def test_monthly_forecast_from_december_9999_is_refused(tmp_path: Path) -> None:
    code, printed = forecast(
        tmp_path, lines("A,9999-11-15,1", "A,9999-12-02,1"), "--horizon", "1", "--freq", "M"
    )
    assert_refused(tmp_path, code, printed)
    assert "line 3, column date" in printed and "past 9999-12-31" in printed


def test_dates_spanning_millennia_are_refused_before_allocating(tmp_path: Path) -> None:
    """401 lines from year 1 to 9999 would be a 5 GiB grid: refused naming both ends."""
    rows = [f"S{i % 50},{date(2000, 1, 1) + timedelta(days=i)},1" for i in range(400)]
    rows[55] = "S7,0001-01-01,1"  # line 57
    rows[298] = "S9,9999-12-31,1"  # line 300
    code, printed = forecast(tmp_path, lines(*rows), "--horizon", "3", "--freq", "D")
    assert_refused(tmp_path, code, printed)
    assert "lines 57 and 300, column date" in printed
    assert "100,000" in printed


def test_too_many_skus_times_periods_is_refused(tmp_path: Path) -> None:
    """1,001 SKUs over 100,000 days: each series fits, the whole grid (100.1M cells) does not."""
    first, last = date(1900, 1, 1), date(1900, 1, 1) + timedelta(days=99_999)
    rows = [f"S{i},{first if i == 3 else first + timedelta(days=1)},1" for i in range(1001)]
    rows.append(f"S5,{last},1")
    code, printed = forecast(tmp_path, lines(*rows), "--horizon", "3")
    assert_refused(tmp_path, code, printed)
    assert "lines 5 and 1003, column date" in printed and "cells" in printed


def test_negative_quantity_names_line_and_column(tmp_path: Path) -> None:
    code, printed = forecast(tmp_path, lines("A,2026-01-01,5", "A,2026-01-02,-3"), "--horizon", "2")
    assert_refused(tmp_path, code, printed)
    assert "line 3, column qty" in printed and "can't be negative" in printed


@pytest.mark.parametrize("freq", ["D", "W", "M"])
def test_same_sku_and_date_twice_names_both_lines(tmp_path: Path, freq: str) -> None:
    text = lines("A,2026-01-01,5", "B,2026-01-03,1", "A,2026-01-02,4", "A,2026-01-02,4")
    code, printed = forecast(tmp_path, text, "--horizon", "2", "--freq", freq)
    assert_refused(tmp_path, code, printed)
    assert "lines 4 and 5, columns sku,date" in printed and "'A'" in printed


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (lines("A,2026-01-01,1e300"), "line 2, column qty"),
        (lines("A,2026-01-01,nan"), "line 2, column qty"),
        (lines("A,2026-01-01,1", "A\x00,2026-01-02,1"), "line 3, column sku"),
        (lines("A,2026-01-01,1", "A,2026-02-30,1"), "line 3, column date"),
        ("sku,date,qty,in_stock\nA,2026-01-01,1,maybe\n", "line 2, column in_stock"),
        (lines("A,2026-01-01,1", "B,2026-01-01," + "9" * 200_000), "line 3"),
        (b"sku,date,qty\nA,2026-01-01,1\nB\xff,2026-01-02,1\n", "line 3"),
        ("date,qty\n2026-01-01,1\n", "line 1: missing column(s) sku"),
    ],
)
def test_unreadable_values_name_their_line(tmp_path: Path, text: str | bytes, where: str) -> None:
    code, printed = forecast(tmp_path, text, "--horizon", "2")
    assert_refused(tmp_path, code, printed)
    assert where in printed


SKUS = st.sampled_from(["A", "B", " A", "=1+2", "+44", "-5", "@SUM(A1)", "a,b", 'q"t', "\tT"])
EARLY = st.dates(date(1, 1, 1), date(1, 5, 1)).map(date.isoformat)
LATE = st.dates(date(9999, 8, 1), date(9999, 12, 31)).map(date.isoformat)
GOOD_ROW = st.tuples(SKUS, EARLY | EARLY | EARLY | LATE, st.integers(0, 40).map(str))
ANY_ROW = st.tuples(
    SKUS | st.text(st.characters(exclude_categories=("Cs",)), max_size=5),
    EARLY | LATE | st.text(max_size=11),
    st.integers(-3, 40).map(str) | st.floats().map(repr) | st.text(max_size=4),
)


@given(
    good=st.lists(GOOD_ROW, min_size=1, max_size=8),
    odd=st.lists(ANY_ROW, max_size=2),
    at=st.integers(0, 8),
    freq=st.sampled_from(["D", "W", "M"]),
    horizon=st.integers(1, 150),
    quantiles=st.sampled_from([(), ("0.9",), ("0.5", "0.95")]),
)
@example(
    good=[("A", "0001-01-01", "0")], odd=[("", "", "")], at=0, freq="D", horizon=1, quantiles=()
)
@settings(max_examples=60, deadline=None)
def test_any_file_is_forecast_or_refused_with_its_line(
    good: list[tuple[str, str, str]],
    odd: list[tuple[str, str, str]],
    at: int,
    freq: str,
    horizon: int,
    quantiles: tuple[str, ...],
) -> None:
    """Readable rows with up to two rows of anything (odd SKUs, any date, text or negative
    quantities) among them: the file is forecast or refused, never a crash."""
    rows = good[:at] + odd + good[at:]
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(["sku", "date", "qty"])
    writer.writerows(rows)
    args = ["--horizon", str(horizon), "--freq", freq]
    if quantiles:
        args += ["--quantiles", ",".join(quantiles)]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        code, printed = forecast(folder, text.getvalue(), *args)
        assert "MemoryError" not in printed
        if code != 0:
            assert_refused(folder, code, printed)
            event("refused")
            return
        with (folder / "out.csv").open(encoding="utf-8", newline="") as fh:
            out = list(csv.reader(fh))
    event("written")
    assert out[0] == ["sku", "date", "forecast", "method", *(f"q{q}" for q in quantiles)]
    # A row of empty cells is a blank line (spreadsheets export them): skipped, not a SKU.
    skus = {sku.strip() for sku, day, qty in rows if any((sku, day, qty))}
    assert len(out) == 1 + len(skus) * horizon
    for sku, day, *numbers in out[1:]:
        assert not sku.startswith(FORMULA_START)
        escaped = sku[:1] == "'" and sku[1:] in skus and sku[1:].startswith(FORMULA_START)
        assert sku in skus or escaped
        date.fromisoformat(day)
        values = [float(numbers[0]), *map(float, numbers[2:])]
        assert all(0 <= v < float("inf") for v in values)
