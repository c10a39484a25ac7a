"""Bring-your-own-data forecasting: long-format CSV in, per-period forecasts out.

Input: a header line with at least ``sku,date,qty`` (optional ``in_stock``), one row per SKU and
date. Periods not listed from a SKU's first row to the file's last date count as zero demand
(sparse files leave zeros out); periods before a SKU's first row are treated as "not yet
selling" (censored), so a late launch is not mistaken for months of zero demand. ``in_stock``
is a fraction 0..1 or yes/no/true/false (out of stock = censored demand). With ``W`` or ``M``
the rows of one week (seven days counted from the file's first date) or one calendar month are
summed, and the period's in-stock share is the mean of its rows'. Where the rows are days or
weeks (not whole periods), a SKU's first period and the file's last count for the share of them
the rows cover (daily rows that end on the 4th hold 4 days of that month, ``_edge_coverage``).

Input is refused, naming the file, line and column, when a value does not parse, a quantity is
negative, a SKU has the same date twice, the grid of SKUs × periods would be too large to hold
(``MAX_PERIODS``, ``MAX_CELLS``) or the forecast would run past 9999-12-31. docs/forecast-csv.md
describes the format for users.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import shutil
import sys
import tempfile
import unicodedata
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Protocol, TextIO

import numpy as np
from numpy.typing import NDArray

from planner.domain.errors import InvalidInput
from planner.forecast.base import FloatArray
from planner.forecast.history import DEFAULT_CLEANING

REQUIRED = ("sku", "date", "qty")
OPTIONAL = ("in_stock",)
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f"}
UNIT = {"D": "day", "W": "week", "M": "month"}

# The grid is SKUs × periods, two float64 arrays of it (16 bytes a cell). One series may span
# at most MAX_PERIODS periods (274 years of days), and the whole grid at most MAX_CELLS cells
# (1.6 GB; 1,000 SKUs × 100,000 days peaked at 2.0 GB in all): 100,000 SKUs × 730 days (73
# million) fits. The engine reads the last MAX_HISTORY periods of it
# (``planner.forecast.panel``), at a cost per cell that grows with them: weeks and months are
# held to MAX_FORECAST_CELLS of those (3,000 series × 1,566 weeks, 4.7 million, took 0.89 GB
# more; 5,000 × 1,200 months 0.73 GB; 20,000 × 1,461 days 1.29 GB), under 4 GB in all.
MAX_PERIODS = 100_000
MAX_CELLS = 100_000_000
MAX_FORECAST_CELLS = {"D": MAX_CELLS, "W": 20_000_000, "M": 20_000_000}
# More units than this on one line is not a quantity (and would overflow the error model).
MAX_QTY = 1e12
# OWASP "CSV Injection": a cell starting with one of these runs as a formula in a spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Written with a leading quote: formulas, and text that starts with a quote itself (else `'=X`
# and `=X` would both come out as `'=X`).
QUOTED_START = (*FORMULA_START, "'")
# A number as people write one in a CSV: ASCII digits, a decimal point, an exponent (float()
# alone also takes "1_000", other scripts' digits and surrounding spaces).
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NOT_FINITE = {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
# YYYY-MM-DD, alone, before a time (after a T or a space) or before a time zone.
_DATE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ].*|Z|[+-][0-9]{2}(?::?[0-9]{2})?)?", re.DOTALL
)
_LAST_MONTH = date.max.year * 12 + date.max.month - 1


@dataclass(frozen=True, slots=True)
class Panel:
    """Series on a regular grid: skus × periods, with the first period's date."""

    skus: list[str]
    start: date
    freq: str
    qty: NDArray[np.float64]
    in_stock: NDArray[np.float64]
    # (days the rows cover, days in it) when the last week or month is only partly covered.
    last_covered: tuple[int, int] | None = None


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


def _last_period(origin: date, freq: str) -> int:
    """The index of the last period whose label date is at most 9999-12-31."""
    if freq == "D":
        return date.max.toordinal() - origin.toordinal()
    if freq == "W":
        return (date.max.toordinal() - origin.toordinal()) // 7
    return _LAST_MONTH - (origin.year * 12 + origin.month - 1)


def _parse_stock(text: str, name: str, line: int) -> float:
    low = text.strip().lower()
    if low == "" or low in _TRUE:
        return 1.0
    if low in _FALSE:
        return 0.0
    value = float(low) if _NUMBER.fullmatch(low) else float("nan")
    if not 0.0 <= value <= 1.0:  # NaN fails this too
        raise InvalidInput(
            f"{name} line {line}, column in_stock: {text!r} is not a fraction from 0 to 1 or yes/no"
        )
    return value


def _parse_qty(text: str, name: str, line: int) -> float:
    if not _NUMBER.fullmatch(text) and text.lower() not in _NOT_FINITE:
        comma = re.fullmatch(r"[0-9]+(?:,[0-9]+)+", text)
        hint = " (a decimal point, not a comma, and no thousands separators)" if comma else ""
        raise InvalidInput(f"{name} line {line}, column qty: {text!r} is not a number{hint}")
    qty = float(text)
    if 0.0 <= qty <= MAX_QTY:
        return qty
    where = f"{name} line {line}, column qty: {text!r}"
    if qty != qty or qty in (float("inf"), float("-inf")):
        raise InvalidInput(f"{where} is not a finite number")
    if qty < 0:
        raise InvalidInput(
            f"{where} is negative; demand can't be negative "
            "(net returns out of the day's sales, or leave them out)"
        )
    raise InvalidInput(f"{where} is more than {MAX_QTY:,.0f} units on one line")


def _parse_date(text: str, name: str, line: int) -> int:
    """The date's ordinal (0001-01-01 is 1)."""
    try:
        if not _DATE.fullmatch(text):
            raise ValueError(text)  # fromisoformat alone takes 20260101 and 2026-W01-1 as well
        return date.fromisoformat(text[:10]).toordinal()
    except ValueError:
        raise InvalidInput(
            f"{name} line {line}, column date: {text!r} is not a date (YYYY-MM-DD)"
        ) from None


def _check_sku(sku: str, name: str, line: int) -> str:
    if not sku:
        raise InvalidInput(f"{name} line {line}, column sku: empty")
    if not sku.isprintable() and any(unicodedata.category(c) == "Cc" for c in sku):
        raise InvalidInput(
            f"{name} line {line}, column sku: {sku!r} holds a control character "
            "(a line break, tab or NUL)"
        )
    return sku


def read_panel(path: Path, *, freq: str, horizon: int = 0) -> Panel:
    """Read a long-format CSV into a dense panel; errors name the file, line and column.

    With ``horizon`` the file is also refused when that many periods after its last date run
    past 9999-12-31 (the forecast's dates could not be written)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return parse_panel(fh, name=str(path), freq=freq, horizon=horizon)
    except FileNotFoundError:
        stdin = (
            " (standard input is not read: give a file, or /dev/stdin)" if str(path) == "-" else ""
        )
        raise InvalidInput(f"no such file: {path}{stdin}") from None
    except UnicodeDecodeError:
        raise InvalidInput(_not_utf8(path)) from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None


def _not_utf8(path: Path) -> str:
    """Name the line of the first byte that is not UTF-8 (read again: this is the rare case)."""
    raw = path.read_bytes()
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return f"{path} line {line}: byte {raw[exc.start]:#04x} is not UTF-8 (save as CSV UTF-8)"
    return f"{path} is not UTF-8 text (save as CSV UTF-8)"


class _CsvReader(Protocol):
    """What `csv.reader` returns: rows, and the count of physical lines read so far."""

    @property
    def line_num(self) -> int: ...

    def __iter__(self) -> Iterator[list[str]]: ...


class _Rows:
    """The parsed rows as compact columns (24 to 32 bytes a row, not a few hundred as objects)."""

    def __init__(self) -> None:
        self.sku_ids: dict[str, int] = {}
        self.series = array("i")  # fewer than MAX_CELLS SKUs
        self.day = array("i")  # ordinals up to 3,652,059
        self.qty = array("d")
        self.stock = array("d")  # only with an in_stock column
        self.line = array("q")


def parse_panel(stream: Iterable[str], *, name: str, freq: str, horizon: int = 0) -> Panel:
    if freq not in UNIT:
        raise InvalidInput(f"unknown frequency {freq!r}", hint="use D, W or M")
    reader = csv.reader(stream)
    try:
        first = next(reader, None)
        while first is not None and not any(cell.strip() for cell in first):
            first = next(reader, None)  # blank lines above the header (an export's title gap)
        if first is None:
            raise InvalidInput(f"{name} is empty: it must start with the header sku,date,qty")
        at = reader.line_num
        header = _header(first, name, at)
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise InvalidInput(
                f"{name} line {at}: missing column(s) {', '.join(missing)}; "
                "the header must name sku,date,qty (and optionally in_stock)"
                + (_separator_hint(first) or _title_hint(missing))
            )
        rows = _read_rows(reader, header, name)
    except csv.Error as exc:
        raise InvalidInput(f"{name} line {reader.line_num}: {exc}") from None
    if not rows.line:
        raise InvalidInput(f"{name} line {at}: the header has no data rows under it")
    return _to_panel(rows, name, freq, horizon)


def _header(cells: list[str], name: str, line: int) -> list[str]:
    """The header's column names, those planner reads in their own spelling: any letter case,
    and spaces, hyphens or underscores anywhere (`In Stock`, `in-stock`, `instock`). A column it
    reads named twice is refused rather than one of them picked."""
    own = {re.sub(r"[\s_-]+", "", c): c for c in (*REQUIRED, *OPTIONAL)}
    header = [own.get(re.sub(r"[\s_-]+", "", h.lower()), h.strip().lower()) for h in cells]
    for column in own.values():
        at = [i + 1 for i, h in enumerate(header) if h == column]
        if len(at) > 1:
            raise InvalidInput(
                f"{name} line {line}: columns {at[0]} and {at[1]} are both {column!r} "
                f"({cells[at[0] - 1].strip()!r}, {cells[at[1] - 1].strip()!r}); keep one"
            )
    return header


def _title_hint(missing: list[str]) -> str:
    """A hint when none of the columns is there: a title line above the header."""
    if len(missing) < len(REQUIRED):
        return ""
    return "; a title line above the header? the header must be the first line with text"


def _separator_hint(header: list[str]) -> str:
    """A hint when the header is one cell holding another separator: spreadsheets set to a
    European locale save "CSV" with semicolons."""
    if len(header) != 1:
        return ""
    for sep, called in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
        if sep in header[0]:
            return f"; its columns are separated by {called}: save it comma-separated (CSV UTF-8)"
    return ""


def _read_rows(reader: _CsvReader, header: list[str], name: str) -> _Rows:
    rows = _Rows()
    i_sku, i_date, i_qty = (header.index(c) for c in REQUIRED)
    i_stock = header.index("in_stock") if "in_stock" in header else None
    used = [i for i in (i_sku, i_date, i_qty, i_stock) if i is not None]
    width = max(used) + 1
    sku_ids = rows.sku_ids
    dates: dict[str, int] = {}
    ended = reader.line_num  # the physical line the previous row ended on
    rows_of = iter(reader)
    while True:
        try:
            row = next(rows_of, None)
        except csv.Error as exc:
            raise InvalidInput(
                f"{name} line {reader.line_num}: {exc} (is a quote opened on line {ended + 1} "
                "or after it left unclosed?)"
            ) from None
        if row is None:
            break
        began, line = ended + 1, reader.line_num  # physical lines: a quoted line break counts
        ended = line
        if not any(row):
            continue  # a blank line, or one of empty cells
        if line > began and _runs_on(row, used, i_date):
            raise InvalidInput(
                f'{name} line {began}: a quote (") opened on this line runs on to line {line}; '
                "close it, or remove a stray quote"
            )
        if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
            raise InvalidInput(
                f"{name} line {began}: {len(row)} fields where the header has {len(header)}; a "
                "comma inside a value (a decimal comma, a SKU with a comma) needs the value in "
                "quotes, or a decimal point"
            )
        if len(row) < width:
            row += [""] * (width - len(row))
        sku = row[i_sku].strip()
        if not sku and not "".join(row).strip():
            continue  # a line of blank cells, as above the header
        # Messages name the line a row begins on (a quoted line break makes it end later).
        sid = sku_ids.get(sku)
        if sid is None:
            sid = sku_ids[_check_sku(sku, name, began)] = len(sku_ids)
        raw_date = row[i_date].strip()
        day = dates.get(raw_date)
        if day is None:  # many rows share a date: parse each text once
            day = dates[raw_date] = _parse_date(raw_date, name, began)
        rows.series.append(sid)
        rows.day.append(day)
        rows.qty.append(_parse_qty(row[i_qty].strip(), name, began))
        if i_stock is not None:
            rows.stock.append(_parse_stock(row[i_stock], name, began))
        rows.line.append(began)
    return rows


def _runs_on(row: list[str], used: list[int], i_date: int) -> bool:
    """Whether a quote left open swallowed the lines after it: a line break in a column planner
    reads, or in another one a line break followed by what looks like a row of the file (a
    date where the date column is). A quoted note or address over several lines is fine."""
    for i, cell in enumerate(row):
        lines = cell.splitlines()
        if len(lines) < 2:
            continue
        if i in used:
            return True
        for text in lines[1:]:
            parts = text.split(",")
            if len(parts) > i_date and _DATE.fullmatch(parts[i_date].strip().strip('"')):
                return True
    return False


def _to_panel(rows: _Rows, name: str, freq: str, horizon: int) -> Panel:
    day = np.frombuffer(rows.day, dtype=np.int32).astype(np.int64)
    line = np.frombuffer(rows.line, dtype=np.int64)
    series = np.frombuffer(rows.series, dtype=np.int32).astype(np.int64)
    _refuse_duplicates(series, day, line, rows.sku_ids, name)
    lo, hi = int(day.argmin()), int(day.argmax())
    first_day, last_day = date.fromordinal(int(day[lo])), date.fromordinal(int(day[hi]))
    origin = first_day if freq != "M" else first_day.replace(day=1)
    n_periods = period_of(last_day, origin, freq) + 1
    n_skus = len(rows.sku_ids)
    span = (
        f"the first date {first_day} is on line {line[lo]}, the last {last_day} on line {line[hi]}"
    )
    ends = " and ".join(str(n) for n in sorted({int(line[lo]), int(line[hi])}))
    if n_periods > MAX_PERIODS:
        raise InvalidInput(
            f"{name} lines {ends}, column date: {n_periods:,} {UNIT[freq]}s "
            f"from first to last date, more than {MAX_PERIODS:,} in one series ({span}); "
            "check those dates"
        )
    if n_skus * n_periods > MAX_CELLS:
        raise InvalidInput(
            f"{name} lines {ends}, column date: {n_skus:,} SKUs × "
            f"{n_periods:,} {UNIT[freq]}s is {n_skus * n_periods:,} cells, more than "
            f"{MAX_CELLS:,} ({span}); split the file or use a longer --freq"
        )
    from planner.forecast.panel import MAX_HISTORY

    read = min(n_periods, MAX_HISTORY[freq])
    if n_skus * read > MAX_FORECAST_CELLS[freq]:
        raise InvalidInput(
            f"{name}: {n_skus:,} SKUs × {read:,} {UNIT[freq]}s (the last {MAX_HISTORY[freq]:,} "
            f"at most are read) is {n_skus * read:,} cells to forecast in {UNIT[freq]}s, more "
            f"than {MAX_FORECAST_CELLS[freq]:,} fit in memory; split the file by SKU, or check "
            f"the dates ({span})"
        )
    if horizon > 0 and n_periods - 1 + horizon > _last_period(origin, freq):
        raise InvalidInput(
            f"{name} line {line[hi]}, column date: forecasting {horizon} {UNIT[freq]}(s) "
            f"after the latest date {last_day} runs past 9999-12-31"
        )
    skus = sorted(rows.sku_ids)
    rank = np.empty(n_skus, dtype=np.int64)  # rank[id] = the sorted position of SKU id
    rank[[rows.sku_ids[s] for s in skus]] = np.arange(n_skus)
    # At 73 million rows each array here is 584 MB: free what is no longer needed as we go.
    series = rank[series]
    period = _periods(day, origin, freq)
    dates = _sku_dates(series, day, n_skus) if freq != "D" else None
    del day
    rows.day = rows.series = array("i")
    first = np.full(n_skus, n_periods, dtype=np.int64)
    np.minimum.at(first, series, period)
    cell = series  # series * n_periods + period, in place
    cell *= n_periods
    cell += period
    del period, series
    # Several days in one week or month: their quantities add up, and the period's in-stock
    # share is the mean of its rows' (one day out of stock in a month of daily rows leaves the
    # month 29/30 observed, not censored whole).
    size = n_skus * n_periods
    summed = np.bincount(cell, weights=np.frombuffer(rows.qty), minlength=size)
    qty = np.asarray(summed, dtype=np.float64).reshape(n_skus, n_periods)
    flat = np.ones(size)
    listed = np.bincount(cell, minlength=size) if rows.stock or dates is not None else None
    if rows.stock:
        assert listed is not None
        shares = np.bincount(cell, weights=np.frombuffer(rows.stock), minlength=size)
        np.divide(shares, listed, out=flat, where=listed > 0)
    stock = flat.reshape(n_skus, n_periods)
    stock[np.arange(n_periods)[None, :] < first[:, None]] = 0.0
    last_covered = None
    if dates is not None and listed is not None:  # weeks or months: the edge periods' cover
        per_cell = listed.reshape(n_skus, n_periods)
        shared = np.where(per_cell > 1, per_cell, 0).sum(axis=1)  # rows beside another
        alone = (per_cell == 1).sum(axis=1)  # rows alone in their SKU's period
        step = _row_step(shared, alone, dates.weekly)
        if step is not None:
            last_covered = _edge_coverage(stock, first, dates, last_day, step, origin, freq)
    return Panel(skus, origin, freq, qty, stock, last_covered)


@dataclass(frozen=True, slots=True)
class _SkuDates:
    """Each SKU's dates, as far as what its rows stand for goes."""

    first: NDArray[np.int64]  # its first date (ordinal)
    phase: NDArray[np.int64]  # a date on its weekly grid: its first or its last
    weekly: NDArray[np.bool_]  # 9 in 10 of its dates or more lie a multiple of 7 days apart


def _sku_dates(series: NDArray[np.int64], day: NDArray[np.int64], n_skus: int) -> _SkuDates:
    """Read against the first date and against the last, so one stray row at either end does
    not take a SKU's weekly rows for days."""
    n_rows = np.bincount(series, minlength=n_skus)
    first = np.full(n_skus, int(day.max()), dtype=np.int64)
    np.minimum.at(first, series, day)
    last = np.full(n_skus, int(day.min()), dtype=np.int64)
    np.maximum.at(last, series, day)
    share = []
    for anchor in (first, last):
        on = np.bincount(series, weights=(day - anchor[series]) % 7 == 0, minlength=n_skus)
        share.append(on / np.maximum(n_rows, 1))
    phase = np.where(share[0] >= share[1], first, last)
    weekly = np.maximum(share[0], share[1]) >= 0.9
    return _SkuDates(first, phase, weekly)


def _row_step(
    shared: NDArray[np.int64], alone: NDArray[np.int64], weekly: NDArray[np.bool_]
) -> int | None:
    """Days each row of the file stands for, by a vote of its rows (per SKU: ``shared`` rows
    beside another of the SKU in a week or month asked for, ``alone`` rows without). None
    unless more rows are shared than alone: each row is then a whole period (weekly rows for W;
    monthly rows, whichever day labels them, for M or W). Otherwise 7 where more of the shared
    rows belong to SKUs with ``weekly`` dates (weekly rows asked for in months), else 1 (daily
    rows). Rows vote, not SKUs: a file is one export, and neither slow sellers' few sales, each
    alone in its month, nor one stray row, nor SKUs labelled on different days change what its
    rows are."""
    if shared.sum() <= alone.sum():
        return None
    in_weeks = shared[weekly].sum()
    return 7 if in_weeks > shared.sum() - in_weeks else 1


def _edge_coverage(
    stock: NDArray[np.float64],
    first_period: NDArray[np.int64],
    dates: _SkuDates,
    last_day: date,
    step: int,
    origin: date,
    freq: str,
) -> tuple[int, int] | None:
    """Scale the in-stock share of the weeks or months the rows only partly cover: each SKU's
    first (its rows start mid-month) and the file's last (daily rows to the 4th of a month hold
    4 days of its sales, not a month's). A row stands for ``step`` days from its date (on each
    SKU's weekly grid for weekly rows; rows left out are days or weeks without sales); the
    covered days of a period are those of its rows' slots from the SKU's first date to the
    file's last. The engine reads sales over a share f with weight f
    (``planner.forecast.history``: scaled up at most ``max_scale`` times; ``_share`` keeps f at
    ``min_in_stock`` or more where the rows' own share is). Returns the last period's
    (covered, total) days, as far as any SKU's rows reach into it, when it is partial."""
    n_periods = stock.shape[1]
    bounds = _period_bounds(origin, n_periods, freq)
    selling = np.flatnonzero(first_period < n_periods)  # SKUs with a row
    if not len(selling):
        return None
    end = last_day.toordinal() + 1

    def covered(k: NDArray[np.int64], skus: NDArray[np.int64]) -> NDArray[np.int64]:
        """Days of period k that the SKUs' row slots (phase + step·j) stand for."""
        lo = np.maximum(bounds[k], dates.first[skus])
        hi = np.minimum(bounds[k + 1], end)
        phase = dates.phase[skus]
        slots = (hi - phase + step - 1) // step - (lo - phase + step - 1) // step
        out: NDArray[np.int64] = np.minimum(slots * step, bounds[k + 1] - bounds[k])
        return out

    last_period = n_periods - 1
    k = first_period[selling]
    days_first = covered(k, selling)
    stock[selling, k] = _share(stock[selling, k], days_first, bounds[k + 1] - bounds[k])
    before = selling[k < last_period]  # SKUs whose first period is not the last
    days = covered(np.full(len(before), last_period, dtype=np.int64), before)
    total = int(bounds[last_period + 1] - bounds[last_period])
    stock[before, last_period] = _share(stock[before, last_period], days, np.int64(total))
    reach = int(max(days.max(initial=0), days_first[k == last_period].max(initial=0)))
    return (reach, total) if reach < total else None


def _share(
    listed: FloatArray, days: NDArray[np.int64], total: NDArray[np.int64] | np.int64
) -> FloatArray:
    """The in-stock share of a period its rows cover part of: their own share (the mean of
    their ``in_stock``) times the part covered, never under the engine's ``min_in_stock`` where
    their own share is not under it (the engine would have read the period, had it been whole):
    a SKU whose one row is the file's last day, the 1st of a month, keeps it (at that weight)
    rather than being left with nothing seen."""
    floor = DEFAULT_CLEANING.min_in_stock
    part = listed * (days / total)
    out: FloatArray = np.where(listed >= floor, np.maximum(part, floor), part)
    return out


def _period_bounds(origin: date, n_periods: int, freq: str) -> NDArray[np.int64]:
    """The first day (ordinal) of each of n_periods weeks or months, and of the one after (as an
    ordinal, so a last month of December 9999 still has an end)."""
    if freq == "W":
        return origin.toordinal() + 7 * np.arange(n_periods + 1, dtype=np.int64)
    first = origin.year * 12 + origin.month - 1  # months since year 0
    months = np.arange(first, first + n_periods + 1, dtype=np.int64)
    as_days = (months - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")
    return as_days.astype(np.int64) + date(1970, 1, 1).toordinal()


def _periods(day: NDArray[np.int64], origin: date, freq: str) -> NDArray[np.int64]:
    offset = day - origin.toordinal()
    if freq == "D":
        return offset
    if freq == "W":
        return offset // 7
    unique, inverse = np.unique(day, return_inverse=True)
    months = [period_of(date.fromordinal(int(d)), origin, freq) for d in unique]
    out: NDArray[np.int64] = np.asarray(months, dtype=np.int64)[inverse]
    return out


def _refuse_duplicates(
    series: NDArray[np.int64],
    day: NDArray[np.int64],
    line: NDArray[np.int64],
    sku_ids: dict[str, int],
    name: str,
) -> None:
    """Refuse a SKU listed twice on one date, naming the earliest such pair of lines."""
    key = series * (date.max.toordinal() + 1) + day
    ordered = np.sort(key)
    if not (ordered[1:] == ordered[:-1]).any():
        return
    del ordered
    order = np.argsort(key, kind="stable")  # equal keys stay in file order
    same = key[order[1:]] == key[order[:-1]]
    later, earlier = order[1:][same], order[:-1][same]
    pick = int(line[later].argmin())
    a, b = int(earlier[pick]), int(later[pick])
    sku = next(s for s, i in sku_ids.items() if i == series[a])
    raise InvalidInput(
        f"{name} lines {line[a]} and {line[b]}, columns sku,date: SKU {sku!r} has "
        f"{date.fromordinal(int(day[a]))} twice; give one row per SKU and date "
        "(add the quantities up)"
    )


def spreadsheet_safe(text: str) -> str:
    """Neutralise a cell a spreadsheet would run as a formula (OWASP "CSV Injection"): a
    leading single quote makes it text. Text that starts with a quote gets one more, so every
    SKU reads back as itself by dropping one leading quote before those characters."""
    return "'" + text if text.startswith(QUOTED_START) else text


STDOUT = Path("-")  # --out -: the forecast goes to standard output
TEMP_PREFIX = ".planner-forecast-"  # the temporary file OUT is written as, beside it


def check_output(path: Path, source: Path) -> None:
    """Refuse an output path that cannot be written, before any work is done: the input file
    itself, a directory, a folder that does not exist (a typo is not made into new folders)."""
    if path == STDOUT:
        return
    target = Path(os.path.realpath(path))
    with contextlib.suppress(OSError, ValueError):  # first: a stat of such a name fails
        longest = os.pathconf(target.parent, "PC_NAME_MAX")
        if len(os.fsencode(target.name)) > longest:
            raise InvalidInput(f"cannot write {path}: the file name is over {longest} bytes")
    with contextlib.suppress(OSError):
        if path.exists() and source.exists() and path.samefile(source):
            raise InvalidInput(f"--out {path} is the input file; write the forecast elsewhere")
    if path.is_dir():
        raise InvalidInput(f"--out {path} is a directory; name a file in it")
    folder = target.parent  # through a symlink, where its file is
    if _special(path):
        return
    if not folder.is_dir():
        raise InvalidInput(f"cannot write {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise InvalidInput(f"cannot write {path}: the folder {folder} is not writable")
    # Read-only by its mode too: root may write anything, but a file made read-only is kept.
    if path.exists() and (not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222):
        raise InvalidInput(f"cannot write {path}: it is read-only")
    try:  # whatever else stops a file being made there (a full disk shows only when written)
        fd, trial = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=folder)
        os.close(fd)
        os.unlink(trial)
    except OSError as exc:
        raise _cannot_write(path, exc) from None


def _special(path: Path) -> bool:
    """A path written straight to, not replaced by a renamed file: one under /dev or /proc
    (/dev/stdout may point at a log being appended to), or an existing file that is not a
    regular file (a named pipe, a terminal)."""
    if path.is_absolute() and path.parts[1:2] in (("dev",), ("proc",)):
        return True
    return path.exists() and not path.is_file()


def write_forecast(
    path: Path,
    panel: Panel,
    mean: NDArray[np.float64],
    methods: Sequence[str],
    extra: Sequence[tuple[str, NDArray[np.float64]]] = (),
) -> int:
    """Write `sku,date,forecast,method` (then one column per `extra` (header, values)), one
    row per SKU and future period; returns the rows written. The file appears whole or not
    at all: it is written beside `path` under a temporary name and renamed (through a
    symlink, to the file it points at). `-` writes to standard output, and a path that is not
    a regular file (a pipe, a terminal) is written straight to."""
    n_periods = panel.qty.shape[1]
    horizon = mean.shape[1]
    dates = [
        period_date(panel.start, n_periods + k, panel.freq).isoformat() for k in range(horizon)
    ]

    def write(fh: TextIO) -> None:
        writer = csv.writer(fh)
        writer.writerow(["sku", "date", "forecast", "method", *(h for h, _ in extra)])
        for i, sku in enumerate(panel.skus):
            cell = spreadsheet_safe(sku)
            for k in range(horizon):
                writer.writerow(
                    [
                        cell,
                        dates[k],
                        f"{mean[i, k]:.4f}",
                        methods[i],
                        *(f"{values[i, k]:.4f}" for _, values in extra),
                    ]
                )

    if path == STDOUT:
        _to_stdout(write)
        return len(panel.skus) * horizon
    target = Path(os.path.realpath(path))  # a symlink is written through, not replaced
    try:
        if _special(path):  # appended: /dev/stdout may be a file the shell opened for >>
            with path.open("a", newline="", encoding="utf-8") as fh:
                write(fh)
            return len(panel.skus) * horizon
        # A temporary file of its own beside the target, renamed over it when whole: a file
        # of the user's named like it is never touched.
        fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            write(fh)
        with contextlib.suppress(OSError):  # the mode OUT had, or a new file's, not owner-only
            tmp.chmod(_mode_for(target))
        try:
            tmp.replace(target)
        except PermissionError:
            # Another user's file in a shared folder (the sticky bit) can be written but not
            # replaced: it is written over from the whole temporary file instead.
            if not (target.exists() and os.access(target, os.W_OK)):
                raise
            shutil.copyfile(tmp, target)
            tmp.unlink()
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)  # never leave a half-written output behind
        if isinstance(exc, OSError):
            raise _cannot_write(path, exc) from None
        raise
    return len(panel.skus) * horizon


def _cannot_write(path: Path, exc: OSError) -> InvalidInput:
    why = f"{exc.strerror}: {exc.filename}" if exc.filename else str(exc)
    return InvalidInput(f"cannot write {path} ({why})")


def _mode_for(target: Path) -> int:
    """The permissions a replaced OUT keeps, or those of a file created anew (0666 less the
    umask), rather than the owner-only mode of a temporary file."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def _to_stdout(write: Callable[[TextIO], None]) -> None:
    """Write to standard output in UTF-8, as the files are, whatever the locale's encoding."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a text-only stream (captured): it takes any text
        write(sys.stdout)
        sys.stdout.flush()
        return
    sys.stdout.flush()
    stream = io.TextIOWrapper(buffer, encoding="utf-8", newline="", write_through=True)
    try:
        write(stream)
        stream.flush()
    finally:
        stream.detach()  # standard output stays open for what follows
