"""One contract for every forecasting method (and auto): what the rest of the app relies on."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from planner.forecast.auto import AutoForecaster
from planner.forecast.base import Forecaster, NotFittedError
from planner.forecast.methods import METHODS
from planner.forecast.registry import REGISTRY

REQUIRED = {
    "moving_average",
    "seasonal_trend",
    "ses",
    "damped_trend",
    "weekly_profile",
    "yearly_profile",
    "croston_sba",
    "tsb",
    "adida",
    "imapa",
    "global_gbm",
}
PERIODS = {"D": 800, "W": 120, "M": 40}


def _series(freq: str, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """A mixed batch: steady, seasonal, intermittent, all-zero, returns, censored, one sale."""
    rng = np.random.default_rng(seed)
    d = PERIODS[freq]
    t = np.arange(d)
    season = 1 + 0.5 * np.sin(2 * np.pi * t / {"D": 365, "W": 52, "M": 12}[freq])
    y = np.stack(
        [
            rng.poisson(8 * season),
            rng.poisson(0.1, d) * rng.integers(1, 5, d),
            np.zeros(d),
            np.where(t == d // 2, 3.0, 0.0),
            rng.poisson(2, d) - 1.0,  # returns: negatives
            rng.poisson(30 * season),
        ]
    ).astype(np.float64)
    in_stock = np.ones_like(y)
    in_stock[1, d // 3 : d // 2] = 0.0
    in_stock[5, :] = 0.0  # never in stock
    in_stock[0, -10:] = 0.4
    return y, in_stock


def _make(name: str) -> Forecaster:
    return REGISTRY[name]()


@pytest.mark.parametrize("name", sorted(REGISTRY))
@pytest.mark.parametrize("freq", ["D", "W", "M"])
def test_every_method_forecasts_finite_non_negative_demand(name: str, freq: str) -> None:
    y, in_stock = _series(freq)
    model = _make(name).fit(y, in_stock, start=date(2023, 3, 1), freq=freq)  # type: ignore[arg-type]
    forecast = model.predict(17)
    assert forecast.shape == (len(y), 17)
    assert np.isfinite(forecast).all()
    assert (forecast >= 0).all()
    assert forecast[0].sum() > 0  # a steady seller is forecast to sell


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_predict_before_fit_is_an_error(name: str) -> None:
    with pytest.raises(NotFittedError):
        _make(name).predict(5)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_settings_live_in_init_and_fitted_state_ends_with_underscore(name: str) -> None:
    model = _make(name)
    params = model.get_params()
    before = set(vars(model))
    assert before == set(params)
    y, in_stock = _series("D")
    model.fit(y, in_stock, start=date(2024, 1, 1))
    learned = set(vars(model)) - before
    assert learned and all(attr.endswith("_") for attr in learned)
    assert model.get_params() == params  # fitting never changes a setting
    assert model.clone().get_params() == params


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_a_horizon_longer_than_the_history_works(name: str) -> None:
    y, in_stock = _series("M")
    forecast = _make(name).fit(y, in_stock, freq="M").predict(100)
    assert forecast.shape == (len(y), 100)
    assert np.isfinite(forecast).all() and (forecast >= 0).all()


def test_the_registry_has_every_required_stable_name() -> None:
    assert set(METHODS) >= REQUIRED
    assert set(REGISTRY) == set(METHODS) | {"auto"}
    assert REGISTRY["auto"] is AutoForecaster
    for name, cls in REGISTRY.items():
        assert cls.name == name


def test_bad_input_is_rejected() -> None:
    with pytest.raises(ValueError):
        METHODS["ses"]().fit(np.zeros(5))
    with pytest.raises(ValueError):
        METHODS["ses"]().fit(np.zeros((2, 5)), np.ones((2, 4)))
    with pytest.raises(ValueError):
        METHODS["ses"]().fit(np.zeros((2, 5)), freq="Q")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        METHODS["ses"]().fit(np.zeros((2, 5))).predict(0)
