"""Robust choices where a backtest cannot see, frequencies done right, calibrated quantiles."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from planner.cli import main
from planner.forecast.auto import AutoForecaster
from planner.forecast.methods import ADIDA, IMAPA, SES, TSB, Combination, Theta
from planner.forecast.panel import forecast_panel

JAN = date(2020, 1, 1)


def _weekly_pattern(periods: int, rng: np.random.Generator) -> np.ndarray:
    return rng.poisson(np.where(np.arange(periods) % 7 >= 5, 30, 5)).astype(float)


@pytest.mark.parametrize("freq", ["W", "M"])
def test_weekly_and_monthly_data_never_get_a_weekday_profile(freq: str) -> None:
    rng = np.random.default_rng(3)
    y = np.stack([_weekly_pattern(120, rng) for _ in range(4)])
    model = AutoForecaster().fit(y, start=JAN, freq=freq)  # type: ignore[arg-type]
    assert "weekly_profile" not in model.methods_
    assert "weekly_profile" not in set(model.method_)
    with pytest.raises(ValueError, match="needs daily data"):
        AutoForecaster(methods=["weekly_profile"]).fit(y, start=JAN, freq=freq)  # type: ignore[arg-type]


def test_daily_data_still_has_the_weekday_profile_to_choose() -> None:
    y = _weekly_pattern(400, np.random.default_rng(4))[None, :]
    assert "weekly_profile" in AutoForecaster().fit(y, start=JAN, freq="D").methods_


def test_the_combination_is_the_mean_of_adida_imapa_and_ses() -> None:
    rng = np.random.default_rng(5)
    y = (rng.random((6, 60)) < 0.3) * rng.integers(1, 5, (6, 60)).astype(float)
    combo = Combination().fit(y, start=JAN, freq="M").predict(3)
    parts = [
        ADIDA().fit(y, start=JAN, freq="M").predict(3),
        IMAPA().fit(y, start=JAN, freq="M").predict(3),
        SES().fit(y, start=JAN, freq="M").predict(3),
    ]
    # SES in the combination starts from the first month's level: close to SES, not identical.
    assert combo == pytest.approx(sum(parts) / 3, rel=0.15)
    assert (combo > 0).all()


def test_demand_that_stopped_fades_out_of_the_forecast() -> None:
    # Two units a month for 30 months, then 10 months of nothing: fading, not a lull.
    y = np.zeros((1, 40))
    y[0, :30] = 2.0
    rate = 2.0
    tsb = TSB().fit(y, start=JAN, freq="M").predict(1)[0, 0]
    # TSB's own decay (0.9 a quiet month) is not floored back up to 3/4 of the old rate.
    assert tsb == pytest.approx(TSB(floor_share=0.0).fit(y, start=JAN, freq="M").predict(1)[0, 0])
    assert tsb < 0.75 * rate * 0.5
    auto = AutoForecaster(horizon=3).fit(y, start=JAN, freq="M").predict(12).mean()
    assert auto < 0.1 * rate
    # A slow seller in a probable lull keeps its floor: one unit every 3rd month, 3 quiet
    # months; the last 6 months hold one sale, so the floor is 3/4 of 1/6 a month.
    slow = np.zeros((1, 40))
    slow[0, :37:3] = 1.0
    assert TSB().fit(slow, start=JAN, freq="M").predict(1)[0, 0] >= 0.75 / 6 - 1e-9


def test_weak_backtest_evidence_leans_on_the_combination_strong_evidence_does_not() -> None:
    rng = np.random.default_rng(6)
    periods = 200
    smooth = rng.poisson(20, periods).astype(float)
    sparse = np.zeros(periods)
    sparse[::6] = rng.integers(1, 4, len(sparse[::6]))  # a sale every 6th week
    model = AutoForecaster(combine=1).fit(np.stack([smooth, sparse]), start=JAN, freq="W")
    anchor = model.methods_.index("combination")
    weights = model.weights_
    assert (weights[0] > 0).sum() == 1  # the smooth series keeps its one backtest winner
    assert weights[1, anchor] > 0.3  # a handful of sales in the test windows: shrunk
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)


def test_monthly_quantiles_cover_their_share_of_future_totals() -> None:
    # 600 series of negative-binomial demand (mean 0.5 to 20 a month, some intermittent), 48
    # months of history; the next 12 months are drawn from the same process. The 90 % and 95 %
    # quantiles of the 12-month total must cover about 90 % and 95 % of those totals.
    rng = np.random.default_rng(7)
    n, past, h = 600, 48, 12
    mean = np.exp(rng.uniform(np.log(0.5), np.log(20), n))[:, None]
    shape = 2.0
    draw = rng.poisson(rng.gamma(shape, mean / shape, (n, past + h)))
    history, future = draw[:, :past].astype(float), draw[:, past:].sum(axis=1)
    fc = forecast_panel(history, None, start=JAN, freq="M", horizon=h)
    for level, lo, hi in ((0.9, 0.85, 0.95), (0.95, 0.91, 0.99)):
        covered = float((future <= fc.total_quantile(h, level, whole=False)).mean())
        assert lo <= covered <= hi, (level, covered)
    q90, q95 = fc.period_quantiles(0.9), fc.period_quantiles(0.95)
    assert (q95 >= q90).all() and (q90 > 0).any()


def test_the_csv_command_refuses_a_weekday_profile_for_monthly_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text("sku,date,qty\n" + "".join(f"A,2024-{m:02d}-01,{m}\n" for m in range(1, 13)))
    args = ["forecast", "--csv", str(src), "--horizon", "3", "--freq", "M", "--out", str(dst)]
    assert main([*args, "--method", "weekly_profile"]) == 1
    assert "needs daily data" in capsys.readouterr().err
    assert not dst.exists()
    assert main(args) == 0
    assert "weekly_profile" not in dst.read_text()


def test_theta_carries_a_steady_trend_on_where_ses_lags_behind_it() -> None:
    # Monthly sales growing by 2 a month from 20, with noise: the next year keeps growing.
    rng = np.random.default_rng(8)
    t = np.arange(60)
    y = (20 + 2 * t + rng.normal(0, 1, 60))[None, :]
    truth = 20 + 2 * np.arange(60, 72)
    theta = Theta(seasonal=False).fit(y, start=JAN, freq="M").predict(12)[0]
    ses = SES().fit(y, start=JAN, freq="M").predict(12)[0]
    assert np.abs(theta - truth).mean() < 0.5 * np.abs(ses - truth).mean()
    assert theta[-1] > theta[0]  # still growing a year out


def test_panel_quantiles_rise_with_the_level_for_every_series() -> None:
    # Slow, skewed sellers are where a thin measured tail could make a higher level narrower.
    rng = np.random.default_rng(10)
    y = rng.poisson(rng.gamma(0.5, 0.6, (300, 48))).astype(float)
    fc = forecast_panel(y, None, start=JAN, freq="M", horizon=6)
    levels = (0.9, 0.95, 0.98, 0.99)
    totals = np.stack([fc.total_quantile(6, lv, whole=False) for lv in levels])
    assert (np.diff(totals, axis=0) >= -1e-9).all()
    spreads = np.stack([fc.scale(lv) for lv in levels])
    assert (np.diff(spreads, axis=0) >= -1e-12).all()
