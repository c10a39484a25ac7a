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
        # Dates and numbers as documented only: an ISO week, a compact date, digits run on
        # after the day, "1_000" and other scripts' digits (float() and fromisoformat take them)
        (lines("A,2026-W01-1,1"), "line 2, column date"),
        (lines("A,2026-01-01,1", "A,20260102,1"), "line 3, column date"),
        (lines("A,2026-01-0112,1"), "line 2, column date"),
        (lines("A,2026-01-01,1_000"), "line 2, column qty"),
        (lines("A,2026-01-01,\u0661\u0662"), "line 2, column qty"),
        (lines('A,2026-01-01,"1,5"'), "not a number (a decimal point, not a comma, and no"),
        (lines('A,2026-01-01,"1,000"'), "and no thousands separators"),
        # A bad value on a row that runs over two lines (a quoted note): the line it begins on
        (
            'sku,date,qty,note\nA,2026-01-01,1,x\nA,2026-01-02,bad,"two\nlines"\n',
            "line 3, column qty",
        ),
        # A decimal comma unquoted: a field more than the header, not qty 1 and a lost 5
        (lines("A,2026-01-01,1", "A,2026-01-02,1,5"), "line 3: 4 fields where the header has 3"),
        ("sku,date,qty,qty\nA,2026-01-01,1,2\n", "line 1: columns 3 and 4 are both 'qty'"),
        ("sku,date,qty,In Stock,instock\nA,2026-01-01,1,1,1\n", "are both 'in_stock'"),
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
        escaped = sku[:1] == "'" and sku[1:] in skus and sku[1:].startswith((*FORMULA_START, "'"))
        assert sku in skus or escaped
        date.fromisoformat(day)
        values = [float(numbers[0]), *map(float, numbers[2:])]
        assert all(0 <= v < float("inf") for v in values)


def test_a_stray_quote_names_the_line_it_opens_on_and_not_the_rest_of_the_file(
    tmp_path: Path,
) -> None:
    rows = [f"A,{date(2026, 1, 1) + timedelta(days=i)},1" for i in range(300)]
    rows[2] = 'A,2026-01-03,"1'  # line 4: the quote runs on to the end of the file
    code, printed = forecast(tmp_path, lines(*rows), "--horizon", "2")
    assert_refused(tmp_path, code, printed)
    assert "line 4: a quote" in printed and len(printed) < 300, printed


def test_extra_empty_cells_and_any_spelling_of_in_stock_are_read(tmp_path: Path) -> None:
    """Trailing empty cells (a spreadsheet's export) are no extra field; `In Stock` is the
    in_stock column: a SKU marked out of stock every day it sold gets a note saying so."""
    text = "sku,date,qty,In Stock\n" + "".join(
        f"A,{date(2026, 1, 1) + timedelta(days=i)},3,yes,,\n"
        f"B,{date(2026, 1, 1) + timedelta(days=i)},5,no,,\n"
        for i in range(60)
    )
    code, printed = forecast(tmp_path, text, "--horizon", "2")
    assert code == 0, printed
    assert "1 SKU(s) sold in days marked out of stock" in printed
    assert "have no day in stock at all and are forecast 0 (B)" in printed
    rows = list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8")))
    assert {r["sku"] for r in rows} == {"A", "B"}
    assert all(float(r["forecast"]) == 0 for r in rows if r["sku"] == "B")
    assert all(2 < float(r["forecast"]) < 4 for r in rows if r["sku"] == "A")


def test_weeks_or_months_beyond_what_fits_in_memory_are_refused(tmp_path: Path) -> None:
    """20,001 SKUs over 1,000 months: the grid fits, the engine's arrays of it would not."""
    rows = [f"S{i},2000-01-{1 + i % 28:02d},1" for i in range(20_001)]
    rows.append("S0,2083-04-01,1")
    code, printed = forecast(tmp_path, lines(*rows), "--horizon", "2", "--freq", "M")
    assert code == 1 and "Traceback" not in printed, printed
    assert "20,001 SKUs × 1,000 months" in printed and "split the file by SKU" in printed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_tiny_quantities_give_numbers_not_nan(tmp_path: Path) -> None:
    rows = [f"T,{date(2026, 1, 1) + timedelta(days=i)},1e-310" for i in range(60)]
    code, printed = forecast(tmp_path, lines(*rows), "--horizon", "2", "--quantiles", "0.5,0.99")
    assert code == 0, printed
    for r in csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8")):
        assert all(0 <= float(r[c]) < 1e-6 for c in ("forecast", "q0.5", "q0.99")), r


GOOD = lines(*(f"A,{date(2026, 1, 1) + timedelta(days=i)},2" for i in range(30)))


def _run(*argv: str) -> tuple[int, str]:
    printed = io.StringIO()
    with contextlib.redirect_stderr(printed), contextlib.redirect_stdout(printed):
        code = main(["forecast", *argv])
    return code, printed.getvalue()


def test_the_input_file_is_never_the_output(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text(GOOD, encoding="utf-8")
    for out in (src, tmp_path / "." / "in.csv"):
        code, printed = _run("--csv", str(src), "--out", str(out), "--horizon", "2")
        assert code == 1 and "is the input file" in printed, printed
        assert src.read_text(encoding="utf-8") == GOOD


def test_a_missing_output_folder_is_refused_not_created(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text(GOOD, encoding="utf-8")
    out = tmp_path / "typo" / "out.csv"
    code, printed = _run("--csv", str(src), "--out", str(out), "--horizon", "2")
    assert code == 1 and "folder" in printed and "does not exist" in printed, printed
    assert not (tmp_path / "typo").exists()


def test_a_users_file_beside_the_output_and_a_symlinked_output_are_respected(
    tmp_path: Path,
) -> None:
    src = tmp_path / "in.csv"
    src.write_text(GOOD, encoding="utf-8")
    (tmp_path / "out.csv.tmp").write_text("mine", encoding="utf-8")
    real = tmp_path / "shared" / "forecast.csv"
    real.parent.mkdir()
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "out.csv"
    link.symlink_to(real)
    code, printed = _run("--csv", str(src), "--out", str(link), "--horizon", "2")
    assert code == 0, printed
    assert (tmp_path / "out.csv.tmp").read_text(encoding="utf-8") == "mine"
    assert link.is_symlink() and link.resolve() == real.resolve()  # written through
    assert real.read_text(encoding="utf-8").startswith("sku,date,forecast,method")
    assert sorted(p.name for p in real.parent.iterdir()) == ["forecast.csv"]  # no temp left


def test_out_dash_writes_the_forecast_to_standard_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in.csv"
    src.write_text(GOOD, encoding="utf-8")
    code = main(["forecast", "--csv", str(src), "--out", "-", "--horizon", "2"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    rows = list(csv.DictReader(io.StringIO(captured.out)))
    assert [r["date"] for r in rows] == ["2026-01-31", "2026-02-01"]
    assert "to standard output" in captured.err
    assert not (tmp_path / "-").exists() and not Path("-").exists()


def test_a_long_daily_history_is_read_from_its_last_four_years_with_dates_kept(
    tmp_path: Path,
) -> None:
    """Ten years of days: the engine reads the last four, and what it reports by date (the
    day a level moved) is still the day in the file."""
    import numpy as np

    rng = np.random.default_rng(5)
    days = 3650
    first = date(2016, 1, 1)
    moved = days - 35  # K0 doubled five weeks before the end
    out = ["sku,date,qty"]
    for k in range(12):
        rate = np.full(days, 8.0)
        if k == 0:
            rate[moved:] *= 2
        qty = rng.poisson(rate)
        out += [f"K{k},{first + timedelta(days=t)},{q}" for t, q in enumerate(qty)]
    code, printed = forecast(tmp_path, "\n".join(out) + "\n", "--horizon", "28")
    assert code == 0, printed
    assert "K0 (" in printed, printed
    said = date.fromisoformat(printed.split("K0 (")[1].split("from ")[1][:10])
    assert abs((said - (first + timedelta(days=moved))).days) <= 7, printed
    rows = list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8")))
    k0 = sum(float(r["forecast"]) for r in rows if r["sku"] == "K0")
    k1 = sum(float(r["forecast"]) for r in rows if r["sku"] == "K1")
    assert k0 > 1.3 * k1 and 0.8 * 8 * 28 < k1 < 1.2 * 8 * 28


def test_a_stray_quote_in_a_column_planner_does_not_read_is_refused_too(tmp_path: Path) -> None:
    """An open quote in a note swallows the rows after it (the file ended early, silently);
    a note with a line break of its own is read."""
    rows = [f"A,2026-01-0{d},1,x" for d in range(1, 8)]
    rows[3] = 'A,2026-01-04,1,"oops'
    code, printed = forecast(
        tmp_path, "sku,date,qty,note\n" + "\n".join(rows) + "\n", "--horizon", "1"
    )
    assert_refused(tmp_path, code, printed)
    assert "line 5: a quote" in printed, printed
    # Rows after it that leave their empty note out (fewer commas than the header) as well.
    short = 'sku,date,qty,note\nA,2026-01-01,3,"oops\nA,2026-01-02,4\nB,2026-01-03,7\n'
    code, printed = forecast(tmp_path, short, "--horizon", "1")
    assert_refused(tmp_path, code, printed)
    assert "line 2: a quote" in printed, printed
    note = (
        'sku,date,qty,note\nA,2026-01-01,1,"a note\nover two lines"\n'
        'A,2026-01-02,3,"Address:\n12 High St, Flat 2, London, UK"\nA,2026-01-03,2,x\n'
    )
    code, printed = forecast(tmp_path, note, "--horizon", "1")
    assert code == 0, printed


@pytest.mark.parametrize("day", ["2026-01-02Z", "2026-01-02+01:00", "2026-01-02T00:00:00+02:00"])
def test_a_date_with_a_time_zone_is_read(tmp_path: Path, day: str) -> None:
    code, printed = forecast(tmp_path, lines("A,2026-01-01,1", f"A,{day},3"), "--horizon", "1")
    assert code == 0, printed
    rows = list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8")))
    assert [r["date"] for r in rows] == ["2026-01-03"]


def test_dev_stdout_appends_to_the_file_the_shell_opened(tmp_path: Path) -> None:
    """`--out /dev/stdout >> log`: the forecast is added to the log, not written over it."""
    import subprocess
    import sys

    src = tmp_path / "in.csv"
    src.write_text(GOOD, encoding="utf-8")
    log = tmp_path / "log.txt"
    log.write_text("yesterday's line\n", encoding="utf-8")
    argv = [sys.executable, "-m", "planner", "forecast", "--csv", str(src), "--horizon", "2"]
    with log.open("a", encoding="utf-8") as fh:
        done = subprocess.run([*argv, "--out", "/dev/stdout"], stdout=fh, stderr=subprocess.PIPE)
    assert done.returncode == 0, done.stderr
    text = log.read_text(encoding="utf-8").splitlines()
    assert text[0] == "yesterday's line" and text[1] == "sku,date,forecast,method"
    assert len(text) == 4


def test_out_dash_is_utf8_whatever_the_locale(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    src = tmp_path / "in.csv"
    src.write_text(lines("日本,2026-01-01,3", "日本,2026-01-02,3"), encoding="utf-8")
    argv = [sys.executable, "-m", "planner", "forecast", "--csv", str(src), "--horizon", "1"]
    env = {**os.environ, "PYTHONIOENCODING": "latin-1"}
    done = subprocess.run([*argv, "--out", "-"], capture_output=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode("utf-8").splitlines()[1].startswith("日本,2026-01-03,")


def test_a_replaced_output_keeps_its_permissions(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text(GOOD, encoding="utf-8")
    out = tmp_path / "out.csv"
    out.write_text("old", encoding="utf-8")
    out.chmod(0o640)
    code, printed = _run("--csv", str(src), "--out", str(out), "--horizon", "2")
    assert code == 0, printed
    assert out.stat().st_mode & 0o777 == 0o640
    assert out.read_text(encoding="utf-8").startswith("sku,")


def test_running_out_of_memory_is_said_plainly(tmp_path: Path) -> None:
    """A machine with less memory than a file needs (here: a limit 400 MB above what planner
    takes to start): exit 1, the out-of-memory message, no traceback, nothing written."""
    import resource
    import subprocess
    import sys

    probe = (
        "import planner.cli, planner.forecast.csvio, numpy; print(open('/proc/self/status').read())"
    )
    status = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout
    peak = next((ln for ln in status.splitlines() if ln.startswith("VmPeak:")), None)
    if peak is None:
        pytest.skip("no /proc/self/status VmPeak here to size the memory limit by")
    limit = int(peak.split()[1]) * 1024 + 400 * 2**20

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    # 1,000 SKUs over 100,000 days: a 1.6 GB grid, allowed by the limits, refused by the machine.
    first, last = date(1900, 1, 1), date(1900, 1, 1) + timedelta(days=99_999)
    src = tmp_path / "in.csv"
    src.write_text(lines(*(f"S{i},{first},1" for i in range(1000)), f"S0,{last},1"), "utf-8")
    argv = [sys.executable, "-m", "planner", "forecast", "--csv", str(src), "--horizon", "3"]
    done = subprocess.run(
        [*argv, "--out", str(tmp_path / "out.csv")],
        capture_output=True, text=True, preexec_fn=cap, timeout=600,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "error: out of memory" in done.stderr and "split a CSV by SKU" in done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


@pytest.mark.parametrize(
    ("exc", "memory"),
    [
        (MemoryError(), True),
        (OSError(12, "Cannot allocate memory"), True),  # ENOMEM from the OS (a mmap, a fork)
        (ImportError("x.so: failed to map segment from shared object"), True),
        (OSError(2, "No such file or directory"), False),
        (ImportError("No module named 'x'"), False),
    ],
)
def test_the_ways_a_machine_runs_out_of_memory_are_told_apart(
    exc: BaseException, memory: bool
) -> None:
    from planner.cli import _out_of_memory

    assert _out_of_memory(exc) is memory


def test_dot_slash_dash_is_a_file_and_a_trailing_slash_a_folder(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text(GOOD, encoding="utf-8")
    import os

    here = Path.cwd()
    os.chdir(tmp_path)
    try:
        code, printed = _run("--csv", "in.csv", "--out", "./-", "--horizon", "2")
        assert code == 0 and printed.rstrip().endswith(f"to {tmp_path / '-'}"), printed
        assert (tmp_path / "-").read_text(encoding="utf-8").startswith("sku,date,forecast")
        code, printed = _run("--csv", "in.csv", "--out", "typo/", "--horizon", "2")
        assert code == 1 and "names a folder" in printed, printed
        assert not (tmp_path / "typo").exists()
    finally:
        os.chdir(here)


def test_a_read_only_output_or_an_overlong_name_is_refused_before_forecasting(
    tmp_path: Path,
) -> None:
    src = tmp_path / "in.csv"
    src.write_text(GOOD, encoding="utf-8")
    kept = tmp_path / "kept.csv"
    kept.write_text("last week's", encoding="utf-8")
    kept.chmod(0o444)  # read-only, for root too
    code, printed = _run("--csv", str(src), "--out", str(kept), "--horizon", "2")
    assert code == 1 and "is read-only" in printed, printed
    assert kept.read_text(encoding="utf-8") == "last week's"
    long = tmp_path / ("f" * 300 + ".csv")
    code, printed = _run("--csv", str(src), "--out", str(long), "--horizon", "2")
    assert code == 1 and "file name is over" in printed and ".tmp" not in printed, printed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "kept.csv"]


def test_a_title_line_and_standard_input_get_a_hint(tmp_path: Path) -> None:
    code, printed = forecast(tmp_path, "Sales export, December\n" + GOOD, "--horizon", "2")
    assert code == 1 and "a title line above the header?" in printed, printed
    code, printed = _run("--csv", "-", "--out", str(tmp_path / "o.csv"), "--horizon", "2")
    assert code == 1 and "standard input is not read" in printed, printed


def test_a_span_names_its_lines_in_file_order_and_which_date_is_where(tmp_path: Path) -> None:
    code, printed = forecast(tmp_path, lines("A,9000-01-01,1", "A,0100-01-01,1"), "--horizon", "1")
    assert_refused(tmp_path, code, printed)
    assert "lines 2 and 3, column date" in printed
    assert "the first date 0100-01-01 is on line 3, the last 9000-01-01 on line 2" in printed
