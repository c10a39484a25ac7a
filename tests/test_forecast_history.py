"""Stockout-aware demand: censored days, partial days, returns, spikes, seasonal indices."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from planner.forecast.auto import AutoForecaster
from planner.forecast.calendar import month_of_year, period_start, weekday, year_phase
from planner.forecast.history import (
    Cleaning,
    censor_before_first_sale,
    clean_history,
    first_selling_day,
    in_stock_rate,
    intermittency,
)
from planner.forecast.seasonality import weekly_index


def test_a_day_out_of_stock_is_censored_not_a_zero() -> None:
    y = np.array([[4.0, 4.0, 0.0, 4.0]])
    demand = clean_history(y, np.array([[1.0, 1.0, 0.0, 1.0]]))
    assert demand.weight[0, 2] == 0.0
    assert demand.values[0, 2] == pytest.approx(4.0)  # imputed from the in-stock level


def test_a_partial_day_is_scaled_up_and_weighed_by_its_in_stock_share() -> None:
    demand = clean_history(np.array([[3.0, 3.0]]), np.array([[1.0, 0.5]]))
    assert demand.values[0, 1] == pytest.approx(6.0)
    assert demand.weight[0, 1] == pytest.approx(0.5)
    capped = clean_history(np.array([[1.0]]), np.array([[0.1]]), Cleaning(max_scale=4.0))
    assert capped.values[0, 0] == pytest.approx(4.0)  # at most ×4


def test_returns_are_not_negative_demand_unless_kept() -> None:
    y = np.array([[2.0, -3.0, 1.0]])
    assert clean_history(y, np.ones_like(y)).values.min() == 0.0
    kept = clean_history(y, np.ones_like(y), Cleaning(returns="keep", spike_k=None))
    assert kept.values[0, 1] == -3.0


def test_a_spike_is_found_and_set_aside_with_its_excess() -> None:
    y = np.full((1, 90), 3.0)
    y[0, 45] = 200.0
    demand = clean_history(y, np.ones_like(y))
    assert demand.weight[0, 45] == 0.0
    row, col, excess = demand.spikes
    assert list(row) == [0] and list(col) == [45]
    assert excess[0] == pytest.approx(197.0)
    assert demand.head(40).spike_rate()[0] == 0.0  # the spike came later
    assert demand.take(np.array([0])).spike_rate()[0] == pytest.approx(197.0 / 90)


def test_a_slow_movers_occasional_pair_is_not_a_spike() -> None:
    y = np.zeros((1, 100))
    y[0, ::20] = 1.0
    y[0, 50] = 2.0
    assert clean_history(y, np.ones_like(y)).weight.min() == 1.0


def test_a_period_is_no_spike_beside_less_than_a_period_seen() -> None:
    """February sold 84, then 4 days of March 12 (4/31 in stock): February is no spike beside
    0.13 of a month seen, and the forecast stays near the 84 seen (it was 117: February set
    aside as a spike, its excess spread back on). Beside a whole period it still is one."""
    sold, in_stock = np.array([[84.0, 12.0]]), np.array([[1.0, 4 / 31]])
    demand = clean_history(sold, in_stock)
    assert demand.weight[0, 0] == 1.0
    model = AutoForecaster().fit(sold, in_stock, start=date(2026, 2, 1), freq="M")
    assert 70 <= model.predict(1)[0, 0] <= 95
    spiked = clean_history(np.array([[84.0, 2.0]]), np.array([[1.0, 1.0]]))
    assert spiked.weight[0, 0] == 0.0


def test_in_stock_rate_reads_the_last_in_stock_days_however_far_back() -> None:
    y = np.array([[9.0] * 10 + [1.0] * 300 + [0.0] * 50])
    in_stock = np.array([[1.0] * 310 + [0.0] * 50])
    demand = clean_history(y, in_stock, Cleaning(spike_k=None))
    assert in_stock_rate(demand, 30)[0] == pytest.approx(1.0)
    assert in_stock_rate(demand, 310)[0] == pytest.approx((90 + 300) / 310)


def test_intermittency_is_observed_periods_per_sale() -> None:
    y = np.array([[1.0, 0, 0, 0, 1, 0, 0, 0], [0.0] * 8])
    adi = intermittency(clean_history(y, np.ones_like(y)))
    assert adi[0] == pytest.approx(4.0) and np.isinf(adi[1])


def test_calendar_maps_periods_to_weekdays_and_months() -> None:
    start = date(2024, 1, 1)  # a Monday
    assert list(weekday(start, "D", np.arange(7))) == [0, 1, 2, 3, 4, 5, 6]
    assert list(month_of_year(start, "M", np.array([0, 11, 12, -1]))) == [0, 11, 0, 11]
    assert month_of_year(start, "W", np.array([51, 52])).tolist() == [11, 0]  # by mid-week
    assert period_start(start, "M", 14) == date(2025, 3, 1)
    assert period_start(start, "W", 2) == date(2024, 1, 15)
    assert 0.0 <= year_phase(start, "D", np.array([0]))[0] < 0.1


def test_weekday_index_is_flat_for_weekly_and_monthly_series() -> None:
    demand = clean_history(np.ones((1, 30)), np.ones((1, 30)))
    np.testing.assert_allclose(weekly_index(demand, date(2024, 1, 1), "W"), 1.0)


def test_a_series_sells_from_its_first_sale_or_its_listing_date() -> None:
    """Before it, days are not days of zero demand (nothing records a product out of stock
    before it was listed); a listing date before the first sale makes the quiet days between
    demand, and a series that never sold keeps its zeros, listing date or not (the product may
    not be listed in that warehouse at all). A first sale is a launch only where the quiet days
    before it would be unlikely at the rate sold since: a slow seller's wait for its first
    sale, and a lone sale, stay demand."""
    quiet = np.zeros(40)
    units = np.array([
        np.r_[quiet, [3, 1, 2, 4]],  # a launch: 40 quiet days, then 2.3 a day
        np.zeros(44),  # never sold
        np.r_[quiet, [0, 0, 0, 2]],  # a lone sale: nothing after it, no launch
        np.r_[np.zeros(4), [1], np.zeros(39)],  # a slow seller's first sale came on day 4
        np.r_[quiet, [0, 0, 0, 2]],
    ])  # fmt: skip
    in_stock = np.ones_like(units)
    assert first_selling_day(units, in_stock).tolist() == [40, 0, 0, 0, 0]
    listed = np.array([-1, 30, 35, 2, 41])  # -1: unknown; the last listed after its first sale
    assert first_selling_day(units, in_stock, listed).tolist() == [40, 0, 35, 2, 41]
    censor_before_first_sale(units, in_stock, listed)
    assert (44 - in_stock.sum(axis=1)).tolist() == [40, 0, 35, 2, 41]


def test_a_seasonal_product_or_a_lumpy_buyer_is_not_taken_for_a_launch() -> None:
    """A quiet run that comes again after the first sale (a season's off months, a buyer's
    long gap between big orders) is how the series sells, not a launch; orders of many units
    do not make a normal wait look unlikely either (the test counts the periods sold on)."""
    season = np.r_[np.zeros(20), np.full(5, 2.0)]
    lumpy = np.r_[np.zeros(30), [12.0], np.zeros(29), [12.0], np.zeros(28), [12.0]]
    launch = np.r_[np.zeros(60), np.ones(30)]
    units = np.array([np.r_[season, season, season, np.zeros(15)], lumpy, launch])
    assert first_selling_day(units, np.ones_like(units)).tolist() == [0, 0, 60]
    # A variant launched 50 periods ago (in another warehouse) does not undo a launch found here.
    listed = np.array([-1, -1, 50])
    assert first_selling_day(units, np.ones_like(units), listed).tolist() == [0, 0, 60]
