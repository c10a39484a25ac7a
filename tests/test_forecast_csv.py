"""Bring-your-own-data forecasting: `planner forecast --csv IN --horizon H --out OUT`."""

from __future__ import annotations

import csv
import io
from datetime import date
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
    ],
)
def test_bad_csv_names_the_line_and_column(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        panel(text)


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
