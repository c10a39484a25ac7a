"""Periods and their calendar: what day of the week or month of the year each period falls in.

Period ``t`` of a series that starts on ``start`` is day ``start + t`` (freq "D"), the week starting
``start + 7t`` ("W") or the calendar month ``t`` months after ``start``'s month ("M"). ``t`` may be
negative or beyond the history (forecast periods); everything here is vectorised over ``t``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import cast

import numpy as np
from numpy.typing import NDArray

from planner.forecast.base import Freq

IntArray = NDArray[np.int64]

DAYS_PER_PERIOD: dict[str, float] = {"D": 1.0, "W": 7.0, "M": 365.25 / 12.0}
# Seasonal periods by frequency: a week of days and a year of days, a year of weeks or months.
SEASON_LENGTHS: dict[str, tuple[int, ...]] = {"D": (7, 365), "W": (52,), "M": (12,)}
# Aligning "the same period last year": 364 days keeps the weekday (retail sells by weekday).
YEAR_LAG: dict[str, int] = {"D": 364, "W": 52, "M": 12}


def check_freq(freq: str) -> Freq:
    """Validate a frequency code."""
    if freq not in DAYS_PER_PERIOD:
        raise ValueError(f"freq must be 'D', 'W' or 'M', got {freq!r}")
    return cast(Freq, freq)


def periods_for_days(days: float, freq: str) -> int:
    """How many whole periods (at least one) cover about ``days`` days."""
    return max(1, round(days / DAYS_PER_PERIOD[freq]))


def period_start(start: date, freq: str, t: int) -> date:
    """The first day of period ``t``."""
    if freq == "D":
        return start + timedelta(days=t)
    if freq == "W":
        return start + timedelta(days=7 * t)
    months = start.year * 12 + start.month - 1 + t
    return date(months // 12, months % 12 + 1, 1)


def _days(start: date, freq: str, t: IntArray) -> NDArray[np.datetime64]:
    """The first day of each period (or the middle day of a week), as datetime64[D]."""
    base = np.datetime64(start, "D")
    if freq == "D":
        return base + t
    if freq == "W":
        return base + 7 * t + 3
    month = np.datetime64(start, "M") + t
    return month.astype("datetime64[D]") + 14


def weekday(start: date, freq: str, t: IntArray) -> IntArray:
    """Monday = 0 … Sunday = 6 (only meaningful for daily periods)."""
    days = _days(start, freq, t).astype(np.int64)
    return ((days + 3) % 7).astype(np.int64)  # 1970-01-01 was a Thursday


def year_phase(start: date, freq: str, t: IntArray) -> NDArray[np.float64]:
    """Position within the year in months, in [0, 12): 0.5 = mid-January, 11.5 = mid-December."""
    days = _days(start, freq, t)
    months = days.astype("datetime64[M]")
    month = (months.astype(np.int64) % 12).astype(np.float64)
    first = months.astype("datetime64[D]")
    length = ((months + 1).astype("datetime64[D]") - first).astype(np.float64)
    within = (days - first).astype(np.float64) + 0.5
    return month + within / length


def month_of_year(start: date, freq: str, t: IntArray) -> IntArray:
    """Calendar month of each period, 0 = January."""
    return np.floor(year_phase(start, freq, t)).astype(np.int64) % 12
