"""Property tests: whatever the sales history, no method forecasts NaN or negative demand."""

from __future__ import annotations

import io
from datetime import date, timedelta

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from planner.forecast.csvio import parse_panel, period_date, period_of
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


@st.composite
def daily_files(draw: st.DrawFn) -> tuple[str, dict[str, list[tuple[date, int]]]]:
    """A daily export: 1-4 SKUs, each from its own first day to at most the file's last,
    days without sales left out at random."""
    start = date(2025, 1, 1) + timedelta(days=draw(st.integers(0, 400)))
    span = draw(st.integers(1, 200))
    skus: dict[str, list[tuple[date, int]]] = {}
    for k in range(draw(st.integers(1, 4))):
        first = draw(st.integers(0, span - 1))
        sold = draw(st.lists(st.integers(0, 9), min_size=span - first, max_size=span - first))
        rows = [(start + timedelta(days=first + d), q) for d, q in enumerate(sold)]
        kept = [r for i, r in enumerate(rows) if i == 0 or r[1] > 0]  # zeros left out
        skus[f"S{k}"] = kept
    lines = ["sku,date,qty"] + [f"{s},{d},{q}" for s, rows in skus.items() for d, q in rows]
    return "\n".join(lines) + "\n", skus


@settings(max_examples=60, deadline=None)
@given(data=daily_files(), freq=st.sampled_from(["W", "M"]))
def test_weeks_and_months_of_daily_rows_keep_every_unit_and_cover_what_the_rows_do(
    data: tuple[str, dict[str, list[tuple[date, int]]]], freq: str
) -> None:
    """Summing days into weeks or months loses no unit; every period from a SKU's first row
    counts for between the engine's 5 % floor and all of it; only a SKU's first period and
    the file's last can count for less than a whole one; and the file's last period counts
    for the days up to the file's last date."""
    text, skus = data
    p = parse_panel(io.StringIO(text), name="in.csv", freq=freq)
    for s, rows in skus.items():
        i = p.skus.index(s)
        assert p.qty[i].sum() == sum(q for _, q in rows)
        started = np.flatnonzero(p.in_stock[i] > 0)
        assert started[0] == period_of(rows[0][0], p.start, freq)
        assert np.all(p.in_stock[i, started[0] :] >= 0.05 - 1e-12)
        assert np.all(p.in_stock[i] <= 1.0)
        assert np.all(p.in_stock[i, started[0] + 1 : -1] == 1.0)
    last_day = max(d for rows in skus.values() for d, _ in rows)
    last_start = period_date(p.start, p.qty.shape[1] - 1, freq)
    reach = max((last_day - max(last_start, rows[0][0])).days + 1 for rows in skus.values())
    before = [p.skus.index(s) for s, rows in skus.items() if rows[0][0] < last_start]
    if p.last_covered is not None:  # as far as any SKU's rows reach into the last period
        assert p.last_covered[0] == reach
        days_in = (period_date(p.start, p.qty.shape[1], freq) - last_start).days
        share = max((last_day - last_start).days + 1, 0) / days_in
        assert set(p.in_stock[before, -1].round(9)) <= {round(max(share, 0.05), 9), 1.0}
    else:  # the last period is whole, or the rows each stand for a whole period
        assert np.all(p.in_stock[before, -1] == 1.0)
