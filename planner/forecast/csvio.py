"""Bring-your-own-data forecasting: long-format CSV in, per-period forecasts out.

Input: a header line with at least ``sku,date,qty`` (optional ``in_stock``), one row per SKU and
period. Periods not listed between a SKU's first and last row count as zero demand (sparse files
leave zeros out); periods before a SKU's first row are treated as "not yet selling" (censored),
so a late launch is not mistaken for months of zero demand. ``in_stock`` is a fraction 0..1 or
yes/no/true/false (out of stock = censored demand).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from planner.domain.errors import InvalidInput

REQUIRED = ("sku", "date", "qty")
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f"}


@dataclass(frozen=True, slots=True)
class Panel:
    """Series on a regular grid: skus × periods, with the first period's date."""

    skus: list[str]
    start: date
    freq: str
    qty: NDArray[np.float64]
    in_stock: NDArray[np.float64]


def period_of(d: date, origin: date, freq: str) -> int:
    if freq == "D":
        return (d - origin).days
    if freq == "W":
        return (d - origin).days // 7
    return (d.year - origin.year) * 12 + d.month - origin.month


def period_date(origin: date, k: int, freq: str) -> date:
    """The date labelling period k on a grid starting at origin."""
    if freq == "D":
        return origin + timedelta(days=k)
    if freq == "W":
        return origin + timedelta(weeks=k)
    months = origin.month - 1 + k
    return date(origin.year + months // 12, months % 12 + 1, 1)


def _parse_stock(text: str, where: str) -> float:
    low = text.strip().lower()
    if low == "" or low in _TRUE:
        return 1.0
    if low in _FALSE:
        return 0.0
    try:
        value = float(low)
    except ValueError:
        raise InvalidInput(
            f"{where}, column in_stock: {text!r} is not a fraction or yes/no"
        ) from None
    if not 0.0 <= value <= 1.0 or value != value:
        raise InvalidInput(f"{where}, column in_stock: {text!r} must be between 0 and 1")
    return value


def _parse_row(row: dict[str, str | None], where: str) -> tuple[str, date, float, float]:
    sku = (row.get("sku") or "").strip()
    if not sku:
        raise InvalidInput(f"{where}, column sku: empty")
    raw_date = (row.get("date") or "").strip()
    try:
        day = date.fromisoformat(raw_date[:10])
    except ValueError:
        raise InvalidInput(
            f"{where}, column date: {raw_date!r} is not a date (YYYY-MM-DD)"
        ) from None
    raw_qty = (row.get("qty") or "").strip()
    try:
        qty = float(raw_qty)
    except ValueError:
        raise InvalidInput(f"{where}, column qty: {raw_qty!r} is not a number") from None
    if qty != qty or qty in (float("inf"), float("-inf")):
        raise InvalidInput(f"{where}, column qty: {raw_qty!r} is not a finite number")
    stock = _parse_stock(row.get("in_stock") or "", where)
    return sku, day, qty, stock


def read_panel(path: Path, *, freq: str) -> Panel:
    """Read a long-format CSV into a dense panel; errors name the line and the column."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidInput(f"no such file: {path}") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} is not UTF-8 text") from None
    return parse_panel(io.StringIO(text), name=str(path), freq=freq)


def parse_panel(stream: Iterable[str], *, name: str, freq: str) -> Panel:
    if freq not in ("D", "W", "M"):
        raise InvalidInput(f"unknown frequency {freq!r}", hint="use D, W or M")
    reader = csv.DictReader(stream)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InvalidInput(
            f"{name} line 1: missing column(s) {', '.join(missing)}",
            hint="the header must name sku,date,qty (and optionally in_stock)",
        )
    reader.fieldnames = header
    rows = [
        _parse_row(row, f"{name} line {reader.line_num}") for row in reader if any(row.values())
    ]
    if not rows:
        raise InvalidInput(f"{name}: no data rows after the header")
    return _to_panel(rows, freq)


def _to_panel(rows: Sequence[tuple[str, date, float, float]], freq: str) -> Panel:
    first_day = min(r[1] for r in rows)
    origin = first_day if freq != "M" else first_day.replace(day=1)
    skus = sorted({r[0] for r in rows})
    index = {s: i for i, s in enumerate(skus)}
    series = np.fromiter((index[r[0]] for r in rows), dtype=np.int64, count=len(rows))
    period = np.fromiter((period_of(r[1], origin, freq) for r in rows), np.int64, len(rows))
    n_periods = int(period.max()) + 1
    qty = np.zeros((len(skus), n_periods))
    np.add.at(qty, (series, period), [r[2] for r in rows])
    stock = np.ones((len(skus), n_periods))
    np.minimum.at(stock, (series, period), [r[3] for r in rows])
    first = np.full(len(skus), n_periods, dtype=np.int64)
    np.minimum.at(first, series, period)
    before = np.arange(n_periods)[None, :] < first[:, None]
    stock[before] = 0.0
    return Panel(skus, origin, freq, qty, stock)


def write_forecast(
    path: Path, panel: Panel, mean: NDArray[np.float64], methods: Sequence[str]
) -> int:
    """Write `sku,date,forecast,method`, one row per SKU and future period; returns rows."""
    n_periods = panel.qty.shape[1]
    horizon = mean.shape[1]
    dates = [
        period_date(panel.start, n_periods + k, panel.freq).isoformat() for k in range(horizon)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["sku", "date", "forecast", "method"])
        for i, sku in enumerate(panel.skus):
            for k in range(horizon):
                writer.writerow([sku, dates[k], f"{mean[i, k]:.4f}", methods[i]])
    tmp.replace(path)  # never leave a half-written output behind
    return len(panel.skus) * horizon
