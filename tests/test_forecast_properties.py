"""Property tests: whatever the sales history, no method forecasts NaN or negative demand."""

from __future__ import annotations

from datetime import date

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from planner.forecast.history import clean_history
from planner.forecast.registry import REGISTRY

SALES = st.one_of(
    st.just(0.0),
    st.integers(-3, 40).map(float),
    st.floats(0, 1e4, allow_nan=False),
)
STOCK = st.sampled_from([0.0, 0.3, 1.0, 1.0, 1.0])


@st.composite
def histories(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, str]:
    n = draw(st.integers(1, 3))
    freq = draw(st.sampled_from(["D", "W", "M"]))
    periods = draw(st.integers(1, 70))
    y = draw(arrays(np.float64, (n, periods), elements=SALES))
    in_stock = draw(arrays(np.float64, (n, periods), elements=STOCK))
    return y, in_stock, freq


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=histories(), name=st.sampled_from(sorted(REGISTRY)), horizon=st.integers(1, 40))
def test_any_history_gives_finite_non_negative_forecasts(
    data: tuple[np.ndarray, np.ndarray, str], name: str, horizon: int
) -> None:
    y, in_stock, freq = data
    model = REGISTRY[name]().fit(y, in_stock, start=date(2024, 2, 29), freq=freq)  # type: ignore[arg-type]
    forecast = model.predict(horizon)
    assert forecast.shape == (len(y), horizon)
    assert np.isfinite(forecast).all()
    assert (forecast >= 0).all()


@settings(max_examples=30, deadline=None)
@given(data=histories())
def test_cleaned_demand_is_finite_non_negative_with_weights_in_0_1(
    data: tuple[np.ndarray, np.ndarray, str],
) -> None:
    y, in_stock, _ = data
    demand = clean_history(y, in_stock)
    assert np.isfinite(demand.values).all() and (demand.values >= 0).all()
    assert ((demand.weight >= 0) & (demand.weight <= 1)).all()
    assert (demand.weight[in_stock == 0] == 0).all()  # censored days carry no weight


def test_every_awkward_series_at_once() -> None:
    """All zero, a single sale, returns only, gappy, all censored: side by side, every method."""
    d = 400
    y = np.zeros((5, d))
    y[1, 200] = 1.0
    y[2, ::17] = -2.0
    y[3, ::90] = 25.0
    y[4] = 5.0
    in_stock = np.ones_like(y)
    in_stock[3, 100:300] = 0.0
    in_stock[4] = 0.0
    for name, cls in REGISTRY.items():
        forecast = cls().fit(y, in_stock, start=date(2023, 1, 1)).predict(60)
        assert np.isfinite(forecast).all() and (forecast >= 0).all(), name
        assert forecast[0].sum() == 0 and forecast[2].sum() == 0, name
