"""Forecast evaluation: planner against statsforecast's models on held-out windows of real data.

    python bench/accuracy.py [--split evaluation|tuning] [--windows 3] [--json]
                             [--datasets a,b] [--methods auto,ses] [--no-statsforecast]
                             [--cache DIR | --no-cache]

The datasets and their split are in bench/datasets.py (TUNING and EVALUATION, fixed on 2026-12-05
before any tuning); docs/forecast-evaluation.md describes them and this protocol.

Protocol (rolling origins). Each dataset has a horizon ``h`` (28 days, 13 weeks, 12 months). A
forecast is made at ``--windows`` origins one horizon apart; at each one every forecaster sees the
periods before the origin only (the last ``history`` of them for the "short" datasets) and
forecasts the next ``h``, which are then scored:

- ``--split evaluation`` (the default) scores the EVALUATION datasets on their last windows: the
  origins are ``T - w·h … T - h`` for a dataset of ``T`` periods. These figures are the report;
  nothing in planner may be tuned, chosen or calibrated on them.
- ``--split tuning`` scores the TUNING datasets on origins that stop ``--windows`` horizons before
  the end (``T - 2w·h … T - (w+1)·h``): the last windows of even the tuning datasets are never used
  to choose or tune anything. Tune on this split (``score_planner`` below, from a small script).

A series is scored at an origin when it has two or more fully in-stock periods before it; cells
not fully in stock (censored: before a series starts, after it ends, an outage) are never scored.
planner sees ``units`` and ``in_stock``; statsforecast's models see the raw units from each series'
first in-stock period before the origin (they have no notion of stockouts).

Metrics (one function for every model, ``point_metrics``), over all scored cells of all origins:
``rmse``; ``mase`` = mean over series of MAE / the in-sample MAE of the one-step naive forecast
(on in-stock neighbours before the first origin); ``wape`` = Σ|e| / Σ actual; ``bias_pct`` =
100 · (Σ forecast − Σ actual) / Σ actual. Actuals below zero (returns) count as zero. For planner
only: the quantiles of demand summed over the first ceil(h/2) and h periods at 0.9, 0.95, 0.99 -
their ``coverage`` (share of (origin, series) whose actual total is at most the quantile) and
``pinball`` loss (scaled by the mean actual total), over (origin, series) fully in stock then.
Each coverage comes with ``below`` (the share strictly below the quantile: demand in whole units
has steps, and a quantile ``q`` of it is right when below <= level <= coverage) and ``low`` /
``high``, the 95 % Wilson interval of so many pairs. On daily datasets ``safety_coverage`` scores
the quantiles planning's safety stock uses (``forecast_history``, whole units) the same way.

Output: a table, or with ``--json`` one JSON object keyed by dataset name (see ``report``).
statsforecast's forecasts are cached in ``--cache`` (default ``.bench-cache/``, git-ignored),
keyed by the data, origins and models, as they take minutes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# `python bench/accuracy.py` puts only bench/ on the path: the datasets live in bench.datasets.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.datasets import (  # noqa: E402
    EVALUATION,
    TUNING,
    Dataset,
    DataUnavailable,
    load,
    shift,
)

Split = Literal["evaluation", "tuning"]
SEASON = {"D": 7, "W": 52, "M": 12}
LEVELS = (0.9, 0.95, 0.99)
COMBO = "combo_adida_imapa_ses"
DEFAULT_CACHE = ROOT / ".bench-cache"
PEERS_VERSION = 1  # part of the cache key: bump it when peer_models' settings change
# Targets (issue 15): planner within 2 % of the best peer on RMSE and MASE, |bias| at most 10 %
# wherever the best peer manages that, quantile coverage within 3 points of nominal.
WITHIN = 0.02
BIAS_LIMIT = 10.0
COVERAGE_SLACK = 0.03
NOISE = "_within_noise"  # the suffix of the targets' noise readings (not targets themselves)
QUANTILE_KEYS = (
    "coverage",
    "pinball",
    "coverage_pairs",
    "period_coverage",
    "period_pinball",
    "period_cells",
)

__all__ = [
    "EVALUATION",
    "TUNING",
    "Dataset",
    "Window",
    "load",
    "point_metrics",
    "quantile_metrics",
    "report",
    "score_planner",
    "windows_for",
]


# --- origins ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """One forecast origin: forecasters see periods ``lo`` … ``origin - 1`` of the ``rows``."""

    origin: int
    lo: int
    rows: np.ndarray  # indices of the series scored here (two or more in-stock periods seen)


def origins(periods: int, horizon: int, split: Split, windows: int) -> list[int]:
    """The origins of a split: the last ``windows`` (evaluation), or the ``windows`` before those
    (tuning), one horizon apart."""
    back = windows if split == "tuning" else 0
    return [periods - (back + k) * horizon for k in range(windows, 0, -1)]


def windows_for(data: Dataset, split: Split, windows: int) -> list[Window]:
    """The windows of ``data`` scored under ``split``; a clear ValueError when it is too short."""
    if windows < 1:
        raise ValueError("--windows must be at least 1")
    cuts = origins(data.periods, data.horizon, split, windows)
    if cuts[0] < 2 * data.horizon:
        raise ValueError(
            f"{data.name} has {data.periods} periods: too short for {windows} {split} windows of "
            f"{data.horizon} (the first origin would be period {cuts[0]}); use fewer --windows"
        )
    out = []
    for o in cuts:
        lo = 0 if data.history is None else max(0, o - data.history)
        seen = (data.in_stock[:, lo:o] >= 1).sum(axis=1)
        out.append(Window(o, lo, np.flatnonzero(seen >= 2)))
    return out


def _check_role(data: Dataset, split: Split) -> None:
    want = "tuning" if split == "tuning" else "evaluation"
    if data.role != want:
        article = "an" if data.role == "evaluation" else "a"
        raise ValueError(
            f"{data.name} is {article} {data.role.upper()} dataset: score it with --split "
            f"{data.role} (the split is fixed in bench/datasets.py)"
        )


# --- metrics ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Truth:
    """What happened in the scored windows: actuals and mask (windows, n, h), naive scale (n)."""

    actual: np.ndarray
    mask: np.ndarray
    scale: np.ndarray


def truth(data: Dataset, wins: Sequence[Window]) -> Truth:
    n, h = data.n_series, data.horizon
    actual = np.stack([np.maximum(data.units[:, w.origin : w.origin + h], 0.0) for w in wins])
    mask = np.zeros((len(wins), n, h), dtype=bool)
    for k, w in enumerate(wins):
        mask[k, w.rows] = data.in_stock[w.rows, w.origin : w.origin + h] >= 1
    return Truth(actual, mask, naive_scale(data, wins[0]))


def naive_scale(data: Dataset, first: Window) -> np.ndarray:
    """In-sample MAE of the one-step naive forecast per series, over neighbouring in-stock
    periods seen at the first origin (0 where there are none)."""
    y = np.maximum(data.units[:, first.lo : first.origin], 0.0)
    ok = data.in_stock[:, first.lo : first.origin] >= 1
    pair = ok[:, 1:] & ok[:, :-1]
    diffs = np.abs(np.diff(y, axis=1)) * pair
    out: np.ndarray = diffs.sum(axis=1) / np.maximum(pair.sum(axis=1), 1)
    return out


def point_metrics(
    forecast: np.ndarray, actual: np.ndarray, mask: np.ndarray, scale: np.ndarray
) -> dict[str, float]:
    """RMSE, MASE, WAPE and bias (%) of ``forecast`` against ``actual`` (both (windows, n, h)) on
    the cells where ``mask`` holds; ``scale`` is each series' naive in-sample MAE (MASE's
    denominator, series with a zero scale or no scored cell left out of MASE)."""
    forecast = np.where(mask, np.nan_to_num(np.asarray(forecast, dtype=np.float64)), 0.0)
    actual = np.where(mask, actual, 0.0)
    err = forecast - actual
    cells = int(mask.sum())
    if cells == 0:
        nan = float("nan")
        return {"rmse": nan, "mase": nan, "wape": nan, "bias_pct": nan, "cells": 0}
    per_series = mask.sum(axis=(0, 2))
    mae = np.abs(err).sum(axis=(0, 2)) / np.maximum(per_series, 1)
    ok = (scale > 0) & (per_series > 0)
    total = float(actual.sum())
    return {
        "rmse": float(np.sqrt((err**2).sum() / cells)),
        "mase": float(np.mean(mae[ok] / scale[ok])) if ok.any() else float("nan"),
        "wape": float(np.abs(err).sum() / total) if total > 0 else float("nan"),
        "bias_pct": 100.0 * float(err.sum()) / total if total > 0 else float("nan"),
        "cells": cells,
    }


def quantile_metrics(
    totals: np.ndarray, quantiles: dict[float, np.ndarray], valid: np.ndarray
) -> dict[str, dict[str, float]]:
    """Coverage and scaled pinball loss of quantiles of a demand total.

    ``totals`` is the actual total per (window, series), ``quantiles`` maps a level to the
    forecast quantile of the same shape, ``valid`` marks the pairs to score (fully in stock).
    Coverage is the share with total <= quantile (nominal: the level); the pinball loss is the
    mean of max(level·u, (level-1)·u), u = total - quantile, over the mean total."""
    coverage: dict[str, float] = {}
    below: dict[str, float] = {}
    pinball: dict[str, float] = {}
    count = int(valid.sum())
    mean_total = float(totals[valid].mean()) if count else float("nan")
    for level, q in quantiles.items():
        if count == 0:
            coverage[str(level)], pinball[str(level)] = float("nan"), float("nan")
            below[str(level)] = float("nan")
            continue
        u = totals[valid] - q[valid]
        coverage[str(level)] = float(np.mean(u <= 1e-9))
        below[str(level)] = float(np.mean(u < -1e-9))
        loss = float(np.mean(np.maximum(level * u, (level - 1.0) * u)))
        pinball[str(level)] = loss / mean_total if mean_total > 0 else float("nan")
    return {"coverage": coverage, "below": below, "pinball": pinball, "pairs": {"n": count}}


def wilson(share: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson interval of a coverage ``share`` measured on ``n`` pairs: how far the
    figure may sit from the truth by the luck of so few pairs alone."""
    if n == 0 or not math.isfinite(share):
        return float("nan"), float("nan")
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def coverage_entries(
    by_level: dict[float, np.ndarray], totals: np.ndarray, valid: np.ndarray
) -> tuple[dict[str, dict[str, float]], dict[str, float], int]:
    """Coverage (with its Wilson interval), pinball and pair count of one total's quantiles."""
    q = quantile_metrics(totals, by_level, valid)
    n = int(q["pairs"]["n"])
    coverage = {}
    for lv, share in q["coverage"].items():
        low, high = wilson(share, n)
        coverage[lv] = {
            "nominal": float(lv),
            "actual": share,
            "below": q["below"][lv],
            "low": low,
            "high": high,
            "below_low": wilson(q["below"][lv], n)[0],
        }
    return coverage, q["pinball"], n


def lead_periods(horizon: int) -> tuple[int, ...]:
    """The totals whose quantiles are scored: over the first ceil(h/2) and all h periods."""
    return tuple(sorted({math.ceil(horizon / 2), horizon}))


# --- planner ---------------------------------------------------------------------------------

# forecast(units, in_stock, start=, freq=, horizon=) -> PanelForecast (``.mean`` (n, h) and
# ``.total_quantile(periods, level, whole=False)``), or just the (n, h) mean as an array.
ForecastFn = Callable[..., Any]


def planner_forecast(method: str = "auto") -> ForecastFn:
    """planner's own forecast (``forecast_panel``) with ``method`` ("auto" or one method)."""

    def forecast(units: np.ndarray, in_stock: np.ndarray, **kw: Any) -> Any:
        from planner.forecast.panel import forecast_panel

        return forecast_panel(units, in_stock, method=method, **kw)

    return forecast


@dataclass
class PlannerRun:
    mean: np.ndarray  # (windows, n, h)
    quantiles: dict[int, dict[float, np.ndarray]] | None  # periods -> level -> (windows, n)
    methods: Counter[str]
    seconds: float
    # level -> each single period's quantile (windows, n, h): the columns of forecast --csv
    periods: dict[float, np.ndarray] | None = None


def run_planner(data: Dataset, wins: Sequence[Window], forecast: ForecastFn) -> PlannerRun:
    n, h = data.n_series, data.horizon
    spans = lead_periods(h)
    mean = np.zeros((len(wins), n, h))
    quantiles: dict[int, dict[float, np.ndarray]] | None = {
        p: {lv: np.zeros((len(wins), n)) for lv in LEVELS} for p in spans
    }
    singles = {lv: np.zeros((len(wins), n, h)) for lv in LEVELS}
    methods: Counter[str] = Counter()
    t0 = time.perf_counter()
    for k, w in enumerate(wins):
        result = forecast(
            data.units[w.rows, w.lo : w.origin],
            data.in_stock[w.rows, w.lo : w.origin],
            start=shift(data.start, data.freq, w.lo),
            freq=data.freq,
            horizon=h,
        )
        if isinstance(result, np.ndarray):
            mean[k, w.rows] = result
            quantiles = None
            continue
        mean[k, w.rows] = result.mean
        methods.update(getattr(result, "method", []))
        if quantiles is not None:
            for p in spans:
                for lv in LEVELS:
                    quantiles[p][lv][k, w.rows] = result.total_quantile(p, lv, whole=False)
            for lv in LEVELS:
                singles[lv][k, w.rows] = result.period_quantiles(lv, whole=False)
    periods = singles if quantiles is not None else None
    return PlannerRun(mean, quantiles, methods, time.perf_counter() - t0, periods)


def planner_scores(run: PlannerRun, t: Truth) -> dict[str, Any]:
    out: dict[str, Any] = point_metrics(run.mean, t.actual, t.mask, t.scale)
    out["seconds"] = round(run.seconds, 2)
    out["methods"] = dict(run.methods.most_common())
    if run.quantiles is None:
        return out
    out["coverage"], out["pinball"], out["coverage_pairs"] = score_quantiles(run.quantiles, t)
    if run.periods is not None:  # one period's demand against its quantile, every in-stock cell
        cover, pinball, cells = coverage_entries(run.periods, t.actual, t.mask)
        out["period_coverage"], out["period_pinball"], out["period_cells"] = cover, pinball, cells
    return out


def score_quantiles(
    quantiles: dict[int, dict[float, np.ndarray]], t: Truth
) -> tuple[dict[str, Any], dict[str, Any], dict[str, int]]:
    """Coverage, pinball and pairs per total (periods) of quantiles shaped (windows, n)."""
    coverage, pinball, pairs = {}, {}, {}
    for p, by_level in quantiles.items():
        totals = t.actual[:, :, :p].sum(axis=2)
        valid = np.asarray(t.mask[:, :, :p].all(axis=2))
        coverage[str(p)], pinball[str(p)], pairs[str(p)] = coverage_entries(by_level, totals, valid)
    return coverage, pinball, pairs


def run_safety(data: Dataset, wins: Sequence[Window]) -> dict[int, dict[float, np.ndarray]]:
    """The quantiles planning's safety stock uses, on a daily dataset: each window's history
    forecast as the daily plan forecasts it (``forecast_history``), and the quantile of demand
    summed over the lead-time-like totals at each level (``ForecastResult.quantile_over``, in
    whole units as safety stock has them)."""
    from planner.domain.series import SeriesKey
    from planner.forecast.run import forecast_history
    from planner.ports.history import SeriesHistory

    n, h = data.n_series, data.horizon
    out = {p: {lv: np.zeros((len(wins), n)) for lv in LEVELS} for p in lead_periods(h)}
    for k, w in enumerate(wins):
        history = SeriesHistory(
            [SeriesKey(str(i), data.name) for i in w.rows],
            shift(data.start, data.freq, w.lo),
            data.units[w.rows, w.lo : w.origin].astype(np.float32),
            np.clip(data.in_stock[w.rows, w.lo : w.origin], 0, 1).astype(np.float32),
        )
        fc = forecast_history(history, horizon=h)
        for p, by_level in out.items():
            for lv in LEVELS:
                by_level[lv][k, w.rows] = fc.quantile_over(p, lv)
    return out


def score_planner(
    data: Dataset | str,
    split: Split = "tuning",
    windows: int = 3,
    forecast: ForecastFn | None = None,
) -> dict[str, Any]:
    """planner's metrics on ``data`` under ``split`` (for a tuning loop: split "tuning" on the
    TUNING datasets). ``forecast`` replaces planner's forecast_panel (same signature) to try an
    engine variant. Returns rmse, mase, wape, bias_pct, cells, seconds, methods and, when the
    forecast has quantiles, coverage and pinball keyed by the periods summed."""
    data = load(data) if isinstance(data, str) else data
    _check_role(data, split)
    wins = windows_for(data, split, windows)
    run = run_planner(data, wins, forecast or planner_forecast())
    return planner_scores(run, truth(data, wins))


# --- statsforecast peers ---------------------------------------------------------------------


def peer_models(freq: str) -> list[Any]:
    from statsforecast.models import (
        ADIDA,
        IMAPA,
        TSB,
        AutoETS,
        AutoTheta,
        CrostonClassic,
        CrostonOptimized,
        CrostonSBA,
        HistoricAverage,
        Naive,
        SeasonalNaive,
        SimpleExponentialSmoothingOptimized,
        WindowAverage,
    )

    m = SEASON[freq]
    return [
        CrostonClassic(),
        CrostonOptimized(),
        CrostonSBA(),
        TSB(alpha_d=0.1, alpha_p=0.1),
        ADIDA(),
        IMAPA(),
        SimpleExponentialSmoothingOptimized(),
        AutoETS(season_length=m),  # statsforecast drops seasonal ETS when m > 24 (weekly)
        AutoTheta(season_length=m),
        SeasonalNaive(season_length=m),
        HistoricAverage(),
        Naive(),
        WindowAverage(window_size={"D": 28, "W": 4, "M": 3}[freq]),
    ]


def peer_forecasts(data: Dataset, wins: Sequence[Window]) -> dict[str, np.ndarray]:
    """statsforecast's forecasts (windows, n, h) per model, fitted at each origin on the raw
    units from each scored series' first in-stock period seen. A model that fails on a series
    falls back to Naive; one with no forecast (SeasonalNaive on less than a season) too."""
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import Naive

    n, h = data.n_series, data.horizon
    freq = {"D": "D", "W": "W-MON", "M": "MS"}[data.freq]
    dates = pd.date_range(data.start, periods=data.periods, freq=freq)
    models = peer_models(data.freq)
    out: dict[str, np.ndarray] = {}
    for k, w in enumerate(wins):
        seen = data.in_stock[w.rows, w.lo : w.origin] > 0
        first = w.lo + np.argmax(seen, axis=1)
        rows = np.repeat(w.rows, w.origin - first)
        cols = np.concatenate([np.arange(f, w.origin) for f in first])
        frame = pd.DataFrame({"unique_id": rows, "ds": dates[cols], "y": data.units[rows, cols]})
        sf = StatsForecast(models=models, freq=freq, n_jobs=1, fallback_model=Naive())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fc = sf.forecast(df=frame, h=h)
        fc = fc.sort_values(["unique_id", "ds"])
        columns = [c for c in fc.columns if c not in ("unique_id", "ds")]
        values = {c: fc[c].to_numpy(dtype=np.float64).reshape(len(w.rows), h) for c in columns}
        for c in columns:
            v = np.where(np.isfinite(values[c]), values[c], values["Naive"])
            out.setdefault(c, np.zeros((len(wins), n, h)))[k, w.rows] = np.clip(v, 0.0, None)
    out[COMBO] = (out["ADIDA"] + out["IMAPA"] + out["SESOpt"]) / 3.0
    return out


def _cache_key(data: Dataset, wins: Sequence[Window], split: Split) -> str:
    import statsforecast

    digest = hashlib.sha1()
    for part in (data.units, data.in_stock):
        digest.update(np.ascontiguousarray(part).tobytes())
    names = [type(m).__name__ for m in peer_models(data.freq)]
    meta: list[Any] = [data.freq, data.horizon, data.history, split, statsforecast.__version__]
    meta.append([PEERS_VERSION, *names])
    meta += [[w.origin, w.lo, w.rows.tolist()] for w in wins]
    digest.update(json.dumps(meta, default=str).encode())
    return f"statsforecast-{data.name}-{split}-w{len(wins)}-{digest.hexdigest()[:12]}.npz"


def cached_peers(
    data: Dataset, wins: Sequence[Window], split: Split, cache: Path | None
) -> tuple[dict[str, np.ndarray], bool]:
    """statsforecast's forecasts, from ``cache`` when there; (forecasts, came from the cache)."""
    if cache is None:
        return peer_forecasts(data, wins), False
    path = cache / _cache_key(data, wins, split)
    if path.exists():
        with np.load(path) as saved:
            return {k: saved[k] for k in saved.files}, True
    out = peer_forecasts(data, wins)
    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp.npz")
    np.savez_compressed(partial, **out)  # type: ignore[arg-type]
    partial.replace(path)
    return out, False


# --- the report ------------------------------------------------------------------------------


def _rank(values: dict[str, float], name: str) -> int:
    """1 + how many models did strictly better (NaN counts as worst)."""
    mine = values[name]
    if not math.isfinite(mine):
        return len(values)
    return 1 + sum(1 for v in values.values() if math.isfinite(v) and v < mine)


def coverage_gap(v: dict[str, float]) -> float:
    """How far a quantile's coverage is from nominal. Demand in whole units has steps: the
    ``level`` quantile ``q`` of such demand is the one with P(Y < q) <= level <= P(Y <= q), so
    the gap is how far the level lies outside [``below``, ``actual``] (for continuous totals the
    two are the same share and this is |actual - nominal|)."""
    return max(0.0, v["below"] - v["nominal"], v["nominal"] - v["actual"])


def targets(entry: dict[str, Any]) -> dict[str, bool | None]:
    """Whether planner meets issue 15's targets here (None: nothing to compare with)."""
    planner, peers = entry["planner"], entry["peers"]
    out: dict[str, bool | None] = {"rmse": None, "mase": None, "bias": None}
    if peers:
        for metric in ("rmse", "mase"):
            best = min(p[metric] for p in peers.values())
            out[metric] = bool(planner[metric] <= best * (1 + WITHIN))
        best_bias = abs(entry["best_peer"]["bias_pct"])
        out["bias"] = bool(abs(planner["bias_pct"]) <= BIAS_LIMIT or best_bias > BIAS_LIMIT)
    for key in ("coverage", "safety_coverage"):
        gaps = [
            coverage_gap(v)
            for by_level in (entry.get(key) or {}).values()
            for v in by_level.values()
            if math.isfinite(v["actual"])
        ]
        out[key] = bool(gaps) and max(gaps) <= COVERAGE_SLACK if entry.get(key) else None
    known = [v for v in out.values() if v is not None]
    out["all"] = all(known) if known else None
    # Not a target, a reading of the coverage targets: whether every miss is one the luck of so
    # few pairs could explain (the level inside the 95 % Wilson intervals of [below, coverage]).
    for key in ("coverage", "safety_coverage"):
        entries = [v for lv in (entry.get(key) or {}).values() for v in lv.values()]
        out[f"{key}{NOISE}"] = (
            all(noise_explains(v) for v in entries if math.isfinite(v["actual"]))
            if entries
            else None
        )
    return out


def noise_explains(v: dict[str, float]) -> bool:
    """Whether a coverage entry's nominal level lies within the 95 % Wilson intervals of its
    ``below`` and ``actual`` shares: a miss so few pairs could show by luck alone."""
    return v["below_low"] - 1e-12 <= v["nominal"] <= v["high"] + 1e-12


def report(
    data: Dataset,
    split: Split,
    windows: int,
    methods: Sequence[str] = ("auto",),
    with_peers: bool = True,
    cache: Path | None = DEFAULT_CACHE,
) -> dict[str, Any]:
    """One dataset's entry of the JSON report (see the module docstring)."""
    t0 = time.perf_counter()
    _check_role(data, split)
    wins = windows_for(data, split, windows)
    t = truth(data, wins)
    runs = {m: planner_scores(run_planner(data, wins, planner_forecast(m)), t) for m in methods}
    planner = runs[methods[0]]
    peers: dict[str, dict[str, Any]] = {}
    peer_seconds, cached = 0.0, False
    if with_peers:
        t1 = time.perf_counter()
        forecasts, cached = cached_peers(data, wins, split, cache)
        peer_seconds = time.perf_counter() - t1
        peers = {
            f"sf.{k}": point_metrics(v, t.actual, t.mask, t.scale) for k, v in forecasts.items()
        }
    everyone = {"planner": planner} | peers
    by = {m: {k: v[m] for k, v in everyone.items()} for m in ("rmse", "mase")}
    for name, metrics in everyone.items():
        metrics["rank"], metrics["rank_mase"] = _rank(by["rmse"], name), _rank(by["mase"], name)
    best_peer: dict[str, Any] | None = None
    if peers:
        name = _best({k: v["rmse"] for k, v in peers.items()})["name"]
        best_peer = {"name": name} | peers[name]
    entry: dict[str, Any] = {
        "role": data.role,
        "split": split,
        "freq": data.freq,
        "horizon": data.horizon,
        "n_series": data.n_series,
        "history": data.history,
        "origins": [w.origin for w in wins],
        "description": data.description,
        "planner": {k: v for k, v in planner.items() if k not in QUANTILE_KEYS},
        "best_peer": best_peer,
        "best_by": {m: _best(by[m]) for m in ("rmse", "mase")},
        "peers": peers,
        "coverage": planner.get("coverage"),
        "pinball": planner.get("pinball"),
        "coverage_pairs": planner.get("coverage_pairs"),
        "period_coverage": planner.get("period_coverage"),
        "period_pinball": planner.get("period_pinball"),
        "period_cells": planner.get("period_cells"),
    }
    if len(methods) > 1:
        entry["planner_methods"] = {
            m: {k: v for k, v in r.items() if k not in QUANTILE_KEYS}
            | {"rank": _rank(by["rmse"] | {m: r["rmse"]}, m)}
            for m, r in runs.items()
        }
    if data.freq == "D":
        cover, _, pairs = score_quantiles(run_safety(data, wins), t)
        entry["safety_coverage"], entry["safety_pairs"] = cover, pairs
    else:  # planning forecasts days; weekly and monthly data go through forecast_panel only
        entry["safety_coverage"], entry["safety_pairs"] = None, None
    entry["targets"] = targets(entry)
    entry["peer_seconds"] = round(peer_seconds, 2)
    entry["peers_cached"] = cached
    entry["seconds"] = round(time.perf_counter() - t0, 2)
    return entry


def _best(values: dict[str, float]) -> dict[str, Any]:
    """The model with the lowest value (NaN last): {"name", "value"}."""
    name = min(values, key=lambda k: (not math.isfinite(values[k]), values[k]))
    return {"name": name, "value": values[name]}


# --- the command line ------------------------------------------------------------------------


def _clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _table(results: dict[str, dict[str, Any]], split: str, windows: int) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        console = Console(width=200)  # a file or pipe: no wrapping of the wide table
    table = Table(title=f"planner vs statsforecast: {split} split, {windows} windows")
    for col in ("dataset", "freq", "h", "n", "planner rmse", "mase", "bias", "rank"):
        table.add_column(col, justify="left" if col == "dataset" else "right")
    levels = "/".join(map(str, LEVELS))
    for col in ("best peer", "rmse", "mase", "bias", f"cover@h {levels}", "safety stock's"):
        table.add_column(col, justify="left" if col == "best peer" else "right")
    for name, e in results.items():
        p, b = e["planner"], e["best_peer"]
        cover = [
            "/".join(f"{c[str(e['horizon'])][str(lv)]['actual']:.2f}" for lv in LEVELS)
            if c
            else "-"
            for c in (e["coverage"], e["safety_coverage"])
        ]
        peer = (
            [b["name"], f"{b['rmse']:.4g}", f"{b['mase']:.3f}", f"{b['bias_pct']:+.1f}%"]
            if b
            else ["-"] * 4
        )
        table.add_row(
            name,
            e["freq"],
            str(e["horizon"]),
            str(e["n_series"]),
            f"{p['rmse']:.4g}",
            f"{p['mase']:.3f}",
            f"{p['bias_pct']:+.1f}%",
            f"{p['rank']}/{len(e['peers']) + 1}",
            *peer,
            *cover,
        )
    console.print(table)
    for name, e in results.items():
        for m, r in (e.get("planner_methods") or {}).items():
            console.print(
                f"{name}: planner {m}: rmse {r['rmse']:.4g}, mase {r['mase']:.3f}, "
                f"bias {r['bias_pct']:+.1f}%, rank {r['rank']}"
            )
    for name, e in results.items():
        t = e["targets"]
        marks = ", ".join(
            f"{k} {'ok' if v else 'MISSED'}"
            for k, v in t.items()
            if k != "all" and not k.endswith(NOISE) and v is not None
        )
        luck = [k.removesuffix(NOISE) for k, v in t.items() if k.endswith(NOISE) and v]
        verdict = "targets hold" if t["all"] else "targets missed" if t["all"] is False else "-"
        noise = f"; {' and '.join(luck)} within sampling noise" if luck and not t["all"] else ""
        console.print(f"{name}: {verdict} ({marks}{noise})")
    held = [e["targets"]["all"] for e in results.values() if e["targets"]["all"] is not None]
    if held:
        console.print(
            f"Targets (RMSE and MASE within {WITHIN:.0%} of the best peer, |bias| <= "
            f"{BIAS_LIMIT:.0f}% where the best peer manages it, coverage within "
            f"{COVERAGE_SLACK * 100:.0f} points): hold on {sum(held)} of {len(held)} datasets."
        )


def main(argv: Sequence[str] | None = None) -> int:
    from planner.forecast.methods import METHODS

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--split", choices=("evaluation", "tuning"), default="evaluation")
    parser.add_argument("--windows", type=int, default=3, help="origins, one horizon apart")
    parser.add_argument("--datasets", help="comma-separated (default: all of the split)")
    parser.add_argument(
        "--methods",
        default="auto",
        help="planner methods, comma-separated; the first is reported as 'planner' (default auto)",
    )
    parser.add_argument("--no-statsforecast", action="store_true", help="planner only")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="statsforecast cache")
    parser.add_argument("--no-cache", action="store_true", help="always refit statsforecast")
    args = parser.parse_args(argv)
    split: Split = args.split
    group = TUNING if split == "tuning" else EVALUATION
    names = [s.strip() for s in args.datasets.split(",") if s.strip()] if args.datasets else group
    for name in names:
        if name not in TUNING + EVALUATION:
            parser.error(f"unknown dataset {name!r}; {split} datasets: {', '.join(group)}")
        if name not in group:
            other = "tuning" if split == "evaluation" else "evaluation"
            article = "an" if other == "evaluation" else "a"
            parser.error(f"{name} is {article} {other} dataset: use --split {other}")
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    for m in methods:
        if m != "auto" and m not in METHODS:
            parser.error(f"unknown planner method {m!r}; known: auto, {', '.join(METHODS)}")
    if not methods:
        parser.error("--methods needs at least one method")
    if args.windows < 1:
        parser.error("--windows must be at least 1")
    if not args.no_statsforecast:
        try:
            import statsforecast  # noqa: F401
        except ImportError:
            parser.error(
                "statsforecast is not installed: pip install -e '.[bench]' "
                "(or pass --no-statsforecast)"
            )
    try:
        loaded = [load(name) for name in names]
        for data in loaded:
            windows_for(data, split, args.windows)
    except (DataUnavailable, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    cache = None if args.no_cache else args.cache
    results: dict[str, dict[str, Any]] = {}
    for i, data in enumerate(loaded, 1):
        entry = report(data, split, args.windows, methods, not args.no_statsforecast, cache)
        results[data.name] = entry
        peers = (
            f", peers {entry['peer_seconds']:.1f}s{' (cached)' if entry['peers_cached'] else ''}"
            if entry["peers"]
            else ""
        )
        print(
            f"[{i}/{len(loaded)}] {data.name}: {data.n_series} series, planner "
            f"{entry['planner']['seconds']:.1f}s{peers}; planner rmse "
            f"{entry['planner']['rmse']:.4g} rank {entry['planner']['rank']}",
            file=sys.stderr,
            flush=True,
        )
    if args.json:
        print(json.dumps(_clean(results)))
    else:
        _table(results, split, args.windows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
