"""Charts as PNG images, drawn with matplotlib (Agg, no display): forecast, stock cover, vendor.

The data comes ready-made (planner.ports.charts); this module only draws. It uses the
object-oriented ``Figure`` API, not pyplot: pyplot keeps global figures that threads (the
bot's workers) would share, and needs no backend choice. matplotlib is imported here only, so
callers import this module where they draw and commands that draw nothing start fast.
"""

from __future__ import annotations

import functools
import io
import threading
import warnings
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import date

import matplotlib
import numpy as np
from matplotlib import dates as mdates
from matplotlib import font_manager
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from planner.ports.charts import ChartSeries, CoverLine, VendorMonths

DPI = 100
INK = "#282828"
GRID = "#e1e1e1"
HISTORY = "#607da0"
FORECAST = "#e67814"
BAND = "#f8d2a8"
STOCKOUT = "#facdcd"
PRE_LAUNCH = "#ddd6c1"  # days before a launch: no demand read from them
TODAY = "#969696"
SAFETY = "#7b3fa0"
NOW, SOON, LATER = "#d04040", "#e69a28", "#607da0"
LEAD = "#000000"

# Fonts tried after DejaVu Sans (matplotlib's own, Latin/Greek/Cyrillic) when a glyph is missing,
# if the machine has them: CJK titles then render instead of showing empty boxes.
FALLBACK_FAMILIES = (
    "Noto Sans CJK JP", "Noto Sans CJK SC", "Source Han Sans", "WenQuanYi Zen Hei",
    "Droid Sans Fallback", "IPAGothic", "TakaoPGothic", "Arial Unicode MS",
)  # fmt: skip
# matplotlib's settings are global and not thread-safe: one chart at a time.
_DRAWING = threading.Lock()


@functools.cache
def font_families() -> tuple[str, ...]:
    """DejaVu Sans, then the installed fallback families (matplotlib tries them in order)."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return ("DejaVu Sans", *(f for f in FALLBACK_FAMILIES if f in installed))


@contextmanager
def _figure(width: int, height: int) -> Iterator[Figure]:
    """A figure of exactly width × height pixels, with planner's style and quiet missing glyphs."""
    style = matplotlib.rc_context(
        {
            "font.family": list(font_families()),
            "font.size": 9,
            "axes.edgecolor": INK,
            "axes.labelcolor": INK,
            "xtick.color": INK,
            "ytick.color": INK,
        }
    )
    with _DRAWING, style, warnings.catch_warnings():
        # A glyph no installed font has is drawn as a box; one warning per glyph is noise.
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
        yield Figure(figsize=(width / DPI, height / DPI), dpi=DPI, layout="constrained")


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def forecast_chart(
    series: ChartSeries, *, title: str, width: int = 760, height: int = 300
) -> bytes:
    """History bars, forecast line (with its band), stockout periods, today and safety stock."""
    with _figure(width, height) as fig:
        ax = fig.add_subplot()
        start, today = _x(series.start), _x(series.forecast_start)
        days = start + np.arange(len(series.units))
        mid = today + 0.5 + np.arange(len(series.forecast))  # a day's forecast at its middle
        end = today + len(series.forecast)
        _shade_stockouts(ax, series, start, today, end)
        ax.bar(days, series.units, width=1.0, align="edge", color=HISTORY, label="units sold")
        if series.has_band:
            ax.fill_between(
                mid, series.band_low, series.band_high, color=BAND, lw=0, zorder=2,
                label=f"{series.band_level:.0%} band (per day)",
            )  # fmt: skip
        ax.plot(mid, series.forecast, color=FORECAST, lw=2, zorder=3, label="forecast")
        ax.axvline(today, color=TODAY, ls="--", lw=1, label="today")
        ax.set_xlim(start, max(end, today + 1))
        ax.set_ylim(bottom=0)
        ax.set_ylabel("units per day")
        _date_axis(ax)
        handles, labels = ax.get_legend_handles_labels()
        if series.safety_stock:
            handles.append(_safety_stock(ax, series, today, end))
            labels.append("safety stock (units, right)")
        ax.legend(handles, labels, loc="upper left", fontsize=7, ncols=3, frameon=False)
        ax.set_title(title, loc="left", fontsize=10)
        return _png(fig)


def _x(day: date) -> float:
    """A day as matplotlib's date number."""
    return float(mdates.date2num(day))


def _safety_stock(ax: Axes, series: ChartSeries, today: float, end: float) -> Artist:
    """Each warehouse's safety stock as a dotted level on a right-hand axis of units."""
    stock_ax = ax.twinx()
    drawn = []
    for line in series.safety_stock[:4]:
        drawn.append(stock_ax.hlines(line.units, today, end, colors=SAFETY, linestyles=":", lw=1.5))
        stock_ax.annotate(
            f"{line.warehouse} {line.units:,.0f}", (end, line.units), xytext=(-3, 2),
            textcoords="offset points", ha="right", fontsize=7, color=SAFETY,
        )  # fmt: skip
    top = max(line.units for line in series.safety_stock)
    stock_ax.set_ylim(0, top * 1.25 or 1.0)
    stock_ax.set_ylabel("safety stock (units)", color=SAFETY)
    stock_ax.tick_params(axis="y", colors=SAFETY)
    return drawn[0]


def _shade_stockouts(ax: Axes, series: ChartSeries, start: float, today: float, end: float) -> None:
    """Days out of stock in the history, and from the plan's stockout date on; days before the
    launch (in stock, not yet selling: not read as demand) in grey."""
    for i, (first, last) in enumerate(_runs(series.before_launch)):
        ax.axvspan(
            start + first, start + last + 1, color=PRE_LAUNCH, lw=0, zorder=0,
            label="before launch" if i == 0 else None,
        )  # fmt: skip
    spans = [(start + first, start + last + 1) for first, last in _runs(series.out_of_stock)]
    if series.stockout_from is not None:
        spans.append((max(_x(series.stockout_from), today), end))
    for i, (left, right) in enumerate(s for s in spans if s[0] < s[1]):
        ax.axvspan(
            left, right, color=STOCKOUT, lw=0, zorder=0, label="out of stock" if i == 0 else None
        )


def _runs(flags: Sequence[bool]) -> Iterator[tuple[int, int]]:
    """(first, last) index of each run of True."""
    first = None
    for i, flag in enumerate([*flags, False]):
        if flag and first is None:
            first = i
        elif not flag and first is not None:
            yield first, i - 1
            first = None


def _date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.grid(axis="y", color=GRID, lw=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def cover_height(rows: int) -> int:
    """Pixels a cover chart needs for this many rows."""
    return 110 + 22 * max(rows, 1)


def cover_chart(
    lines: Sequence[CoverLine], *, title: str, width: int = 760, height: int | None = None
) -> bytes:
    """Days of cover per SKU and warehouse as bars, each with a tick at its lead time.

    Red: stock runs out before an order placed today arrives; orange: within a week of it.
    """
    with _figure(width, height or cover_height(len(lines))) as fig:
        ax = fig.add_subplot()
        rows = list(reversed(lines))  # the most urgent on top
        positions = range(len(rows))
        limit = max([line.planning_period_days for line in rows] + [30]) * 1.5
        colours = [_urgency_colour(line) for line in rows]
        ax.barh(positions, [min(line.days_of_cover, limit) for line in rows], color=colours)
        ax.scatter(
            [line.lead_time_days for line in rows], positions, marker="|", s=180, lw=2,
            color=LEAD, zorder=3, label="lead time",
        )  # fmt: skip
        for y, line in zip(positions, rows, strict=True):
            ax.annotate(
                f"{line.days_of_cover:,.0f} d", (min(line.days_of_cover, limit), y),
                xytext=(3, 0), textcoords="offset points", va="center", fontsize=7, color=INK,
            )  # fmt: skip
        ax.set_yticks(list(positions), [line.label for line in rows], fontsize=7)
        ax.set_xlim(0, limit * 1.08)
        ax.set_xlabel("days of cover (stock and orders arriving in time ÷ daily forecast)")
        ax.grid(axis="x", color=GRID, lw=0.8)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        legend = _cover_legend(ax, set(colours))
        fig.legend(handles=legend, loc="outside lower center", ncols=4, fontsize=7, frameon=False)
        ax.set_title(title, loc="left", fontsize=10)
        return _png(fig)


def _cover_legend(ax: Axes, used: Collection[str]) -> list[Artist]:
    """The lead-time mark and the colours the bars use."""
    handles, _ = ax.get_legend_handles_labels()
    meanings = (
        (NOW, "runs out before an order placed today arrives"),
        (SOON, "within a week of that"),
        (LATER, "later"),
    )
    return [*handles, *(Patch(color=c, label=text) for c, text in meanings if c in used)]


def _urgency_colour(line: CoverLine) -> str:
    slack = line.days_of_cover - line.lead_time_days
    return NOW if slack <= 0 else SOON if slack <= 7 else LATER


def vendor_orders_chart(
    data: VendorMonths, *, title: str, width: int = 760, height: int = 300
) -> bytes:
    """One bar per month with the value of the vendor's purchase orders placed that month."""
    with _figure(width, height) as fig:
        ax = fig.add_subplot()
        centres = [_x(m) + 14 for m in data.months]
        bars = ax.bar(centres, data.values, width=24, color=HISTORY)
        labels = [f"{v:,.0f}" if v > 0 else "" for v in data.values]
        ax.bar_label(bars, labels, padding=2, fontsize=7, color=INK)
        ax.set_ylabel(f"order value ({data.currency})")
        ax.set_ylim(0, max([*data.values, 1.0]) * 1.15)
        if data.months:
            ax.set_xlim(_x(data.months[0]) - 3, _x(data.months[-1]) + 34)
        _date_axis(ax)
        ax.set_title(title, loc="left", fontsize=10)
        return _png(fig)
