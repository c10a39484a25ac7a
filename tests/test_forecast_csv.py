"""Bring-your-own-data forecasting: `planner forecast --csv IN --horizon H --out OUT`."""

from __future__ import annotations

import contextlib
import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest

from planner.cli import main
from planner.domain.errors import InvalidInput
from planner.forecast.csvio import parse_panel


def panel(text: str, freq: str = "D"):  # type: ignore[no-untyped-def]
    return parse_panel(io.StringIO(text), name="in.csv", freq=freq)


def test_sparse_rows_become_zeros_and_days_before_launch_are_censored() -> None:
    p = panel("sku,date,qty\nA,2026-01-01,3\nA,2026-01-04,2\nB,2026-01-03,5\n")
    assert p.skus == ["A", "B"] and p.start == date(2026, 1, 1)
    assert p.qty.tolist() == [[3, 0, 0, 2], [0, 0, 5, 0]]
    assert p.in_stock.tolist() == [[1, 1, 1, 1], [0, 0, 1, 1]]


def test_in_stock_column_accepts_fractions_and_yes_no() -> None:
    p = panel("sku,date,qty,in_stock\nA,2026-01-01,3,no\nA,2026-01-02,1,0.5\nA,2026-01-03,2,\n")
    assert p.in_stock.tolist() == [[0.0, 0.5, 1.0]]


def test_weekly_and_monthly_dates_fall_into_their_periods() -> None:
    weekly = panel("sku,date,qty\nA,2026-01-05,1\nA,2026-01-19,4\n", "W")
    assert weekly.qty.tolist() == [[1, 0, 4]]
    monthly = panel("sku,date,qty\nA,2026-01-15,1\nA,2026-03-02,4\nA,2026-03-20,1\n", "M")
    assert monthly.start == date(2026, 1, 1) and monthly.qty.tolist() == [[1, 0, 5]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sku,qty\nA,1\n", "line 1: missing column(s) date"),
        ("sku,date,qty\nA,2026-13-01,1\n", "line 2, column date: '2026-13-01' is not a date"),
        ("sku,date,qty\nA,2026-01-01,1\n,2026-01-02,1\n", "line 3, column sku: empty"),
        ("sku,date,qty\nA,2026-01-01,lots\n", "line 2, column qty: 'lots' is not a number"),
        ("sku,date,qty,in_stock\nA,2026-01-01,1,2\n", "line 2, column in_stock"),
        ("sku,date,qty\n", "no data rows"),
        ("\n\nsku,qty\nA,1\n", "line 3: missing column(s) date"),
        ("\n,,\nsku,date,qty\n", "line 3: the header has no data rows"),
        ("", "is empty: it must start with the header sku,date,qty"),
        ("\n \n", "is empty: it must start with the header sku,date,qty"),
        ("sku;date;qty\nA;2026-01-01;1\n", "separated by semicolons: save it comma-separated"),
        ("sku\tdate\tqty\nA\t2026-01-01\t1\n", "separated by tabs: save it comma-separated"),
    ],
)
def test_bad_csv_names_the_line_and_column(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        panel(text)


def test_blank_lines_above_the_header_are_skipped() -> None:
    # Some exports leave a title gap; the header is the first line with anything in it.
    p = panel("\n ,\nsku,date,qty\nA,2026-01-01,3\n\n , \nA,2026-01-02,1\n")
    assert p.skus == ["A"] and p.qty.tolist() == [[3, 1]]
    with pytest.raises(InvalidInput, match="line 4, column date"):
        panel("\n\nsku,date,qty\nA,soon,3\n")


def _write_daily(path: Path, skus: int = 3, days: int = 90) -> None:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["sku", "date", "qty"])
        for s in range(skus):
            for d in range(days):
                day = date(2026, 1, 1).toordinal() + d
                w.writerow([f"S{s}", date.fromordinal(day).isoformat(), (s + 1) * (1 + d % 7 // 5)])


def test_cli_writes_one_row_per_sku_and_future_period(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    _write_daily(src)
    code = main(["forecast", "--csv", str(src), "--horizon", "14", "--freq", "D",
                 "--out", str(dst)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    rows = list(csv.DictReader(dst.open()))
    assert len(rows) == 3 * 14
    assert {"sku", "date", "forecast", "method"} <= set(rows[0])
    assert rows[0]["date"] == "2026-04-01" and rows[13]["date"] == "2026-04-14"
    s2 = [float(r["forecast"]) for r in rows if r["sku"] == "S2"]
    assert 3 < sum(s2) / len(s2) < 6  # S2 sells 3 on weekdays and 6 at weekends


def test_cli_bad_input_leaves_no_output_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text("sku,date,qty\nA,2026-01-01,1\nA,yesterday,2\n")
    assert main(["forecast", "--csv", str(src), "--horizon", "3", "--out", str(dst)]) == 1
    assert "line 3, column date" in capsys.readouterr().err
    assert not dst.exists()
    assert main(["forecast", "--csv", str(src), "--out", str(dst)]) == 2  # --horizon missing


def _forecast(tmp_path: Path, *args: str) -> tuple[int, list[dict[str, str]], str]:
    """`planner forecast` on tmp_path/in.csv; exit code, output rows and what it printed."""
    dst = tmp_path / "out.csv"
    argv = ["forecast", "--csv", str(tmp_path / "in.csv"), "--out", str(dst), *args]
    printed = io.StringIO()
    with contextlib.redirect_stderr(printed), contextlib.redirect_stdout(printed):
        code = main(argv)
    rows = list(csv.DictReader(dst.open(encoding="utf-8"))) if dst.exists() else []
    return code, rows, printed.getvalue()


def test_without_quantiles_the_columns_are_exactly_sku_date_forecast_method(
    tmp_path: Path,
) -> None:
    _write_daily(tmp_path / "in.csv", skus=1, days=60)
    code, rows, printed = _forecast(tmp_path, "--horizon", "3")
    assert code == 0, printed
    assert list(rows[0]) == ["sku", "date", "forecast", "method"]


def test_quantile_columns_follow_the_forecast_and_grow_with_the_level(tmp_path: Path) -> None:
    _write_daily(tmp_path / "in.csv")
    code, rows, printed = _forecast(tmp_path, "--horizon", "7", "--quantiles", "0.95,0.5,0.9")
    assert code == 0, printed
    assert list(rows[0]) == ["sku", "date", "forecast", "method", "q0.95", "q0.5", "q0.9"]
    for r in rows:
        assert all(len(r[c].split(".")[1]) == 4 for c in ("forecast", "q0.95", "q0.5", "q0.9"))
        q50, q90, q95 = float(r["q0.5"]), float(r["q0.9"]), float(r["q0.95"])
        assert q50 <= q90 <= q95
        # Steady sellers: the upper quantiles of a day's demand lie above its mean. (The median
        # of right-skewed demand lies below the mean, so 0.5 is not compared.)
        assert q90 >= float(r["forecast"]) and q90 < q95


@pytest.mark.parametrize(
    ("value", "named"),
    [("0.9,abc", "'abc'"), ("1.5", "'1.5'"), ("0", "'0'"), ("0.9,", "''"), ("0.9,0.90", "'0.90'")],
)
def test_bad_quantile_levels_are_refused_naming_the_value(
    tmp_path: Path, value: str, named: str
) -> None:
    _write_daily(tmp_path / "in.csv", skus=1, days=30)
    code, _, printed = _forecast(tmp_path, "--horizon", "3", "--quantiles", value)
    assert code == 2 and "--quantiles" in printed and named in printed, printed
    assert not (tmp_path / "out.csv").exists()


def test_skus_a_spreadsheet_would_run_as_formulas_are_written_as_text(tmp_path: Path) -> None:
    skus = ['=HYPERLINK("http://x","y")', "+4412", "-7", "@SUM(A1:A9)", "PLAIN-1", "'quoted"]
    skus += ["=X", "'=X"]  # two SKUs: written the same, a program could not tell them apart
    lines = [f'"{s.replace(chr(34), chr(34) * 2)}",2026-01-0{d},2' for s in skus for d in (1, 2)]
    (tmp_path / "in.csv").write_text("sku,date,qty\n" + "\n".join(lines) + "\n")
    code, rows, printed = _forecast(tmp_path, "--horizon", "1")
    assert code == 0, printed
    written = {r["sku"] for r in rows}
    assert written == {
        """'=HYPERLINK("http://x","y")""",
        "'+4412",
        "'-7",
        "'@SUM(A1:A9)",
        "PLAIN-1",
        "''quoted",
        "'=X",
        "''=X",
    }
    # The documented way back: drop one leading quote where one of = + - @ tab CR ' follows.
    back = {w[1:] if w[:1] == "'" and w[1:2] in "=+-@\t\r'" and w[1:2] else w for w in written}
    assert back == set(skus)


def test_daily_rows_are_summed_into_weeks_counted_from_the_first_date(tmp_path: Path) -> None:
    """2026-01-01 is a Thursday: weeks run Thursday to Wednesday, and the forecast's follow on.
    The frequency may be typed in lower case."""
    _write_daily(tmp_path / "in.csv", skus=1, days=7 * 20)  # S0 sells 1 a day, 2 at weekends
    code, rows, printed = _forecast(tmp_path, "--horizon", "2", "--freq", "w")
    assert code == 0, printed
    after = [date(2026, 1, 1) + timedelta(weeks=w) for w in (20, 21)]
    assert [r["date"] for r in rows] == [d.isoformat() for d in after]
    assert all(8 <= float(r["forecast"]) <= 10 for r in rows)  # 5x1 + 2x2 = 9 a week


def test_daily_rows_are_summed_into_calendar_months(tmp_path: Path) -> None:
    with (tmp_path / "in.csv").open("w") as fh:
        fh.write("sku,date,qty\n")
        for d in range(365):
            fh.write(f"A,{date.fromordinal(date(2025, 1, 1).toordinal() + d)},3\n")
    code, rows, printed = _forecast(tmp_path, "--horizon", "2", "--freq", "M")
    assert code == 0, printed
    assert [r["date"] for r in rows] == ["2026-01-01", "2026-02-01"]
    assert all(80 <= float(r["forecast"]) <= 95 for r in rows)  # 3 a day, about 91 a month


def test_one_day_out_of_stock_leaves_a_month_of_daily_rows_mostly_observed() -> None:
    # 30 daily rows of June, one of them out of stock: June's demand is read from 29 days, not
    # thrown away as if the whole month had been out of stock.
    lines = ["sku,date,qty,in_stock"]
    lines += [f"A,2026-06-{d:02d},3,{'no' if d == 15 else 'yes'}" for d in range(1, 31)]
    lines += ["A,2026-07-01,3,yes"]
    panel = parse_panel(io.StringIO("\n".join(lines) + "\n"), name="in.csv", freq="M")
    assert panel.in_stock[0, 0] == pytest.approx(29 / 30)
    assert panel.qty[0, 0] == 90.0


def _daily_lines(sku: str, first: date, last: date, qty: int = 3) -> list[str]:
    days = range(first.toordinal(), last.toordinal() + 1)
    return [f"{sku},{date.fromordinal(d)},{qty}" for d in days]


def test_a_month_the_daily_rows_only_partly_cover_counts_as_that_part() -> None:
    """Daily rows to 4 March: March holds 4 days of sales, not a month's. B's rows start on
    20 January: its January is 12 days of selling. Whole months read as before."""
    lines = ["sku,date,qty", *_daily_lines("A", date(2026, 1, 1), date(2026, 3, 4))]
    lines += _daily_lines("B", date(2026, 1, 20), date(2026, 3, 4))
    p = panel("\n".join(lines) + "\n", "M")
    assert p.qty.tolist() == [[93, 84, 12], [36, 84, 12]]
    assert p.in_stock[0].tolist() == pytest.approx([1.0, 1.0, 4 / 31])
    assert p.in_stock[1].tolist() == pytest.approx([12 / 31, 1.0, 4 / 31])
    assert p.last_covered == (4, 31)


def test_a_week_the_daily_rows_only_partly_cover_counts_as_that_part() -> None:
    # Weeks run from Thursday 1 January; the rows end on Saturday 17 January: 3 of 7 days.
    lines = ["sku,date,qty", *_daily_lines("A", date(2026, 1, 1), date(2026, 1, 17))]
    p = panel("\n".join(lines) + "\n", "W")
    assert p.qty.tolist() == [[21, 21, 9]]
    assert p.in_stock[0].tolist() == pytest.approx([1.0, 1.0, 3 / 7])
    assert p.last_covered == (3, 7)


@pytest.mark.parametrize(
    ("dates", "freq"),
    [
        ([date(2026, 1, 5) + timedelta(weeks=w) for w in range(6)], "W"),  # weekly rows
        ([date(2026, m, 1) for m in range(1, 7)], "M"),  # monthly rows on the 1st
        ([date(2026, m + 1, 1) - timedelta(days=1) for m in range(1, 7)], "M"),  # month ends
        ([date(2025, m, 15) for m in range(1, 13)], "M"),  # mid-month labels
    ],
)
def test_rows_that_each_stand_for_a_whole_period_are_read_whole(
    dates: list[date], freq: str
) -> None:
    p = panel("sku,date,qty\n" + "".join(f"A,{d},5\n" for d in dates), freq)
    assert p.in_stock.tolist() == [[1.0] * len(dates)]
    assert p.last_covered is None


@pytest.mark.parametrize(
    ("rows", "freq"),
    [
        # Monthly rows, A labelled on the 1st and B on the 15th.
        ([f"A,2025-{m:02d}-01,93" for m in range(1, 13)]
         + [f"B,2025-{m:02d}-15,93" for m in range(1, 13)], "M"),
        # Weekly rows, A's on Sundays and B's on Mondays; C has one stray Sunday row first.
        ([f"A,{date(2025, 1, 5) + timedelta(weeks=w)},21" for w in range(30)]
         + [f"B,{date(2025, 1, 6) + timedelta(weeks=w)},21" for w in range(30)]
         + ["C,2025-01-12,5"]
         + [f"C,{date(2025, 1, 13) + timedelta(weeks=w)},21" for w in range(29)], "W"),
    ],
)  # fmt: skip
def test_skus_labelled_on_different_days_are_read_as_the_files_periods(
    rows: list[str], freq: str
) -> None:
    p = panel("sku,date,qty\n" + "\n".join(rows) + "\n", freq)
    assert p.last_covered is None
    started = p.in_stock[p.in_stock > 0]
    assert started.min() == 1.0


def test_weekly_rows_in_months_cover_their_own_weeks() -> None:
    """Saturday rows, the last on 7 March: March holds that row's 7 days, not the 13 from the
    1st (the days before the 7th are in February's last row)."""
    weeks = [date(2025, 11, 1) + timedelta(weeks=w) for w in range(19)]  # to 2026-03-07
    p = panel("sku,date,qty\n" + "".join(f"A,{d},21\n" for d in weeks), "M")
    assert p.last_covered == (7, 31)
    assert p.in_stock[0, -1] == pytest.approx(7 / 31)
    assert p.in_stock[0, :-1].tolist() == [1.0, 1.0, 1.0, 1.0]


def test_slow_sellers_alone_in_their_months_do_not_outvote_a_daily_file() -> None:
    """One fast daily seller and two that sold twice in two years: the rows are days (the fast
    seller's rows share their months), so the fast seller's 4 days of November count as 4/30."""
    lines = ["sku,date,qty", *_daily_lines("FAST", date(2025, 1, 1), date(2026, 11, 4))]
    lines += ["SLOW1,2025-03-10,1", "SLOW1,2026-02-10,1", "SLOW2,2025-05-10,1"]
    lines += ["SLOW2,2026-06-10,1"]
    p = panel("\n".join(lines) + "\n", "M")
    assert p.last_covered == (4, 30)
    assert p.in_stock[p.skus.index("FAST"), -1] == pytest.approx(4 / 30)


def test_a_sku_whose_one_row_is_the_files_last_day_keeps_it() -> None:
    # NEW sold 3 on 1 November, the file's last day: 1/30 of November, kept at the engine's
    # 5 % floor instead of leaving NEW with nothing seen (a forecast of 0).
    lines = ["sku,date,qty", *_daily_lines("A", date(2026, 8, 1), date(2026, 11, 1))]
    p = panel("\n".join([*lines, "NEW,2026-11-01,3"]) + "\n", "M")
    assert p.in_stock[p.skus.index("NEW")].tolist() == [0.0, 0.0, 0.0, 0.05]
    assert p.last_covered == (1, 30)
    # The same with an in_stock column: half in stock on 1 and 2 November is kept at the floor
    # too; a day all but out of stock (0.01) is not raised to it.
    half = [f"{line},yes" for line in lines[1:]] + ["NEW,2026-11-01,3,0.5", "NEW,2026-11-02,1,0.5"]
    p = panel("\n".join(["sku,date,qty,in_stock", *half, "OUT,2026-11-02,1,0.01"]) + "\n", "M")
    assert p.in_stock[p.skus.index("NEW"), -1] == 0.05
    assert p.in_stock[p.skus.index("OUT"), -1] < 0.05


def test_a_file_within_one_month_says_how_much_of_it_the_rows_hold() -> None:
    lines = ["sku,date,qty", *_daily_lines("A", date(2026, 11, 1), date(2026, 11, 4))]
    p = panel("\n".join([*lines, *_daily_lines("B", date(2026, 11, 2), date(2026, 11, 4))]), "M")
    assert p.last_covered == (4, 30)
    assert p.in_stock[:, 0].tolist() == pytest.approx([4 / 30, 3 / 30])


def test_monthly_forecast_of_daily_rows_that_end_early_in_a_month(tmp_path: Path) -> None:
    """A seller's daily export runs to 4 November (a stranger's data: 40 SKUs, 1-4 a day): the
    months ahead are forecast at about a month's demand, and the note says why November counts
    for 4 days. Read as a whole month, November's 4 days pulled the forecast to about 0.8."""
    last, start = date(2026, 11, 4), date(2025, 1, 1)
    rates = [1 + (k % 4) for k in range(40)]
    with (tmp_path / "in.csv").open("w", encoding="utf-8") as fh:
        fh.write("sku,date,qty\n")
        for k, rate in enumerate(rates):
            for d in range(start.toordinal(), last.toordinal() + 1):
                day = date.fromordinal(d)
                qty = rate * (2 if day.weekday() >= 5 else 1) + (d + k) % 3 - 1
                fh.write(f"SKU-{k},{day},{qty}\n")
    code, rows, printed = _forecast(tmp_path, "--horizon", "2", "--freq", "M")
    assert code == 0, printed
    assert (
        "note: the last month (from 2026-11-01) holds 4 of its 30 days: it counts as that part "
        "of a month, rather than as a whole month's sales"
    ) in printed
    assert {r["date"] for r in rows} == {"2026-12-01", "2027-01-01"}
    for r in rows:
        rate = rates[int(r["sku"].split("-")[1])]
        month = 31 * rate * 9 / 7  # weekends twice a weekday
        assert 0.9 * month <= float(r["forecast"]) <= 1.1 * month, r


def test_a_weekly_catalogue_gets_its_christmas_week(tmp_path: Path) -> None:
    """A gift seller's weekly file, four Christmases at four times the usual week (a stranger's
    data, not the demo): the forecast's peak falls on the week that holds 25 December."""
    first = date(2022, 1, 3)
    weeks = [first + timedelta(weeks=w) for w in range(205)]  # to 2025-12-01
    with (tmp_path / "in.csv").open("w", encoding="utf-8") as fh:
        fh.write("sku,date,qty\n")
        for k in range(12):
            for d in weeks:
                xmas = d <= date(d.year, 12, 25) < d + timedelta(days=7)
                fh.write(f"GIFT-{k},{d},{(10 + k) * (4 if xmas else 1) + (d.toordinal() % 3)}\n")
    code, rows, printed = _forecast(tmp_path, "--horizon", "8", "--freq", "W")
    assert code == 0, printed
    for k in range(12):
        ahead = {r["date"]: float(r["forecast"]) for r in rows if r["sku"] == f"GIFT-{k}"}
        # 2025-12-22 holds Christmas Day; 2025-12-08 and 2026-01-12 are ordinary weeks.
        assert ahead["2025-12-22"] > 1.25 * max(ahead["2025-12-08"], ahead["2026-01-12"]), ahead


def test_a_fortnight_the_whole_shop_sold_nothing_is_named_as_an_outage(tmp_path: Path) -> None:
    """Ten SKUs selling 8 a day each; 2026-03-02 to 2026-03-15 nothing sold, no in_stock column:
    the note names those days, and the forecast keeps the level of the days around them."""
    with (tmp_path / "in.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["sku", "date", "qty"])
        for s in range(10):
            for d in range(120):
                day = date(2026, 1, 1) + timedelta(days=d)
                shut = date(2026, 3, 2) <= day <= date(2026, 3, 15)
                w.writerow([f"S{s}", day.isoformat(), 0 if shut else 8])
    code, rows, printed = _forecast(tmp_path, "--horizon", "28", "--freq", "D")
    assert code == 0, printed
    assert "note: 2026-03-02 to 2026-03-15: every SKU together sold under 5 %" in printed
    assert all(7.5 <= float(r["forecast"]) <= 8.5 for r in rows)
