"""A shop-wide outage the stock records miss (a suspended account, a vacation setting, a site
down): every SKU in stock, none selling. planner reads it as censored demand, not as zero."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from planner.forecast.auto import AutoForecaster
from planner.forecast.history import sales_stopped, shop_outages
from planner.forecast.panel import forecast_panel

START = date(2024, 1, 1)  # a Monday


def _shop(skus: int = 12, days: int = 790, seed: int = 11) -> np.ndarray:
    """Daily sales of a small shop: a weekend lift and a winter season, Poisson."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(1.0, 15.0, skus)[:, None]
    t = np.arange(days)
    doy = np.array([(START + timedelta(days=int(k))).timetuple().tm_yday for k in t])
    weekend = np.where((t % 7) >= 5, 1.2, 0.92)
    season = 1 + 0.4 * np.cos(2 * np.pi * (doy - 330) / 365)
    return rng.poisson(base * season * weekend).astype(np.float64)


def test_three_weeks_of_a_suspended_account_do_not_lower_the_forecast() -> None:
    sales = _shop()
    hit = sales.copy()
    hit[:, -35:-14] = 0.0  # three weeks, ending a fortnight ago: nothing sold, all "in stock"
    flagged = np.ones_like(hit)
    flagged[:, -35:-14] = 0.0  # what the seller would mark, had they known

    def total(units: np.ndarray, in_stock: np.ndarray | None) -> float:
        panel = forecast_panel(units, in_stock, start=START, freq="D", horizon=28)
        return float(panel.mean.sum())

    unmarked, marked, untouched = total(hit, None), total(hit, flagged), total(sales, None)
    # Read as zero demand, the three weeks cut 28 days' forecast by about a sixth.
    assert abs(unmarked - marked) <= 0.01 * marked
    assert abs(unmarked - untouched) <= 0.03 * untouched
    model = AutoForecaster(horizon=28).fit(hit, start=START, freq="D")
    assert model.outages_.tolist() == list(range(hit.shape[1] - 35, hit.shape[1] - 14))


def test_a_real_fall_in_sales_is_demand() -> None:
    sales = _shop()
    sales[:, -60:] *= 0.3  # sales fell to 30 %: real (a competitor, a season's end)
    assert not shop_outages(sales, None, "D").any()
    # A costume shop after Halloween: sales fall to 2 % overnight and stay there. Its first
    # weeks look like an outage, but sales never come back: demand, and the forecast follows.
    season_over = _shop()
    season_over[:, -70:] = np.random.default_rng(1).poisson(0.02 * season_over[:, -70:])
    assert not shop_outages(season_over, None, "D").any()
    forecast = AutoForecaster(horizon=28).fit(season_over, start=START, freq="D").predict(28)
    assert forecast.sum() < 0.1 * _shop()[:, -28:].sum()


def test_a_shop_shut_for_longer_than_the_comparison_reaches_is_demand_all_through() -> None:
    """Five weeks of nothing, then sales as before: a closed season looks the same as a long
    outage, so none of it is censored (not the first four weeks and the rest zero demand)."""
    for weeks, censored in ((3, 21), (5, 0)):
        sales = _shop()
        sales[:, 400 : 400 + 7 * weeks] = 0.0
        assert int(shop_outages(sales, None, "D").sum()) == censored
    going_on = _shop()
    going_on[:, -35:] = 0.0  # the digest keeps saying so however long it lasts
    assert sales_stopped(going_on, None, "D")[0] == 35


def test_an_outage_still_going_on_is_read_as_one_once_sales_come_back() -> None:
    sales = _shop()
    sales[:, -12:] = 0.0  # nothing sold for 12 days, up to yesterday
    assert not shop_outages(sales, None, "D").any()  # a vacation, or the season's end?
    days, usual = sales_stopped(sales, None, "D")  # the digest says so meanwhile
    before = sales[:, -40:-12].sum(axis=0).mean()  # what the shop sold a day before
    assert days == 12 and 0.7 * before < usual < 1.3 * before
    assert sales_stopped(_shop(), None, "D") == (0, 0.0)
    back = _shop(days=800)
    back[:, -22:-10] = 0.0  # ten days later sales are back
    out = np.flatnonzero(shop_outages(back, None, "D"))
    assert out.tolist() == list(range(800 - 22, 800 - 10))


def test_a_small_shops_quiet_days_and_a_business_closed_at_weekends_are_not_outages() -> None:
    rng = np.random.default_rng(3)
    quiet = rng.poisson(0.5, (3, 400)).astype(np.float64)  # many days with no sale at all
    assert not shop_outages(quiet, None, "D").any()
    weekdays = _shop()
    weekdays[:, (np.arange(weekdays.shape[1]) % 7) >= 5] = 0.0  # B2B: nothing on weekends
    assert not shop_outages(weekdays, None, "D").any()


def test_part_of_the_catalogue_out_of_stock_is_no_outage_of_the_rest() -> None:
    sales = _shop()
    in_stock = np.ones_like(sales)
    in_stock[1:, -30:-10] = 0.0  # every SKU but one out of stock, and marked so
    sales[1:, -30:-10] = 0.0
    assert not shop_outages(sales, in_stock, "D").any()
    sales[0, -30:-10] = 0.0  # the one left in stock stops selling too: too few units to tell
    assert not shop_outages(sales, in_stock, "D").any()


def test_weekly_and_monthly_panels_see_an_outage_by_their_own_periods() -> None:
    rng = np.random.default_rng(5)
    weekly = rng.poisson(40.0, (6, 120)).astype(np.float64)
    weekly[:, 100:102] = 0.0
    assert np.flatnonzero(shop_outages(weekly, None, "W")).tolist() == [100, 101]
    monthly = rng.poisson(200.0, (6, 48)).astype(np.float64)
    monthly[:, 40] = 3.0  # a month nearly nothing shipped
    assert np.flatnonzero(shop_outages(monthly, None, "M")).tolist() == [40]


def test_an_fbm_warehouse_on_vacation_while_fba_sells_on_is_an_outage_of_that_warehouse() -> None:
    """Vacation settings make merchant-fulfilled listings inactive; FBA listings sell on. The
    account's total falls by the FBM share only; the FBM warehouse's own total is the outage."""
    from planner.domain.series import SeriesKey
    from planner.forecast.run import forecast_history
    from planner.ports.history import SeriesHistory

    sales = _shop(skus=12)
    keys = [SeriesKey(f"S{i % 6}", "FBA-US" if i < 6 else "FBM-HOME") for i in range(12)]
    away = sales.copy()
    away[6:, -30:-9] = 0.0  # three weeks away, ending nine days ago; stock stays on the shelf
    marked = np.ones_like(away)
    marked[6:, -30:-9] = 0.0

    def fbm_total(units: np.ndarray, in_stock: np.ndarray) -> float:
        history = SeriesHistory(keys, START, units.astype(np.float32), in_stock.astype(np.float32))
        return float(forecast_history(history, horizon=28).mean[6:].sum())

    everyday = np.ones_like(away)
    unmarked, with_marks = fbm_total(away, everyday), fbm_total(away, marked)
    assert abs(unmarked - with_marks) <= 0.01 * with_marks
    # The account as a whole sold about half its usual: no outage of the account.
    assert not shop_outages(away, None, "D").any()
