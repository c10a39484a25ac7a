"""Level shifts: a smooth seller whose sales moved to a new level some weeks ago is forecast
at that level; a promotion, a season's start, a stockout or lumpy orders are not taken for one."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from planner.cli import main
from planner.forecast.auto import AutoForecaster
from planner.forecast.history import DEFAULT_CLEANING, Demand, clean_history
from planner.forecast.shifts import level_shift

START = date(2025, 1, 1)  # a Wednesday
DAYS, AHEAD = 730, 28


def _week(t: np.ndarray, start: date = START) -> np.ndarray:
    """Weekends sell twice a weekday."""
    return np.where((t + start.weekday()) % 7 >= 5, 2.0, 1.0)


def _shift_of(y: np.ndarray, in_stock: np.ndarray | None = None, start: date = START):  # type: ignore[no-untyped-def]
    frac = np.ones_like(y) if in_stock is None else in_stock
    return level_shift(clean_history(y, frac.copy(), DEFAULT_CLEANING), start, "D")


def test_a_level_that_doubled_five_weeks_ago_is_found_with_its_start_and_new_level() -> None:
    rng = np.random.default_rng(7)
    t = np.arange(DAYS)
    base = rng.uniform(3, 8, 30)[:, None]
    rate = base * _week(t) * np.where(t >= DAYS - 35, 2.0, 1.0)
    shift = _shift_of(rng.poisson(rate).astype(np.float64))
    # One SKU's last week sold 34 where 54 were due: the new level may not have held.
    assert shift.found.mean() >= 0.9
    found = shift.found
    assert (shift.weight[found] > 0.5).all()
    assert np.isin(shift.since[found], (28, 35, 42)).all()  # whole weeks: within one of it
    # The new level (demand a day, a weekday counting 1 and a weekend day 2: 9/7 on average).
    np.testing.assert_allclose(shift.rate[found], 2 * base[found, 0] * 9 / 7, rtol=0.2)


def test_a_steady_seller_a_finished_promotion_and_a_stockout_are_not_shifts() -> None:
    rng = np.random.default_rng(8)
    t = np.arange(DAYS)
    rate = rng.uniform(3, 8, 40)[:, None] * _week(t)
    promo = (t >= DAYS - 24) & (t < DAYS - 12)  # 12 days at 2.5 times, over a week before the end
    rate[10:20] *= np.where(promo, 2.5, 1.0)
    y = rng.poisson(rate).astype(np.float64)
    in_stock = np.ones_like(y)
    in_stock[20:30, -30:] = 0.0  # out of stock the last 30 days: censored, not a fall
    y[20:30, -30:] = 0.0
    in_stock[30:40, -30:] = 0.3  # in stock 30 % of each day: sells 30 % of its demand
    y[30:40, -30:] = rng.poisson(0.3 * rate[30:40, -30:])
    shift = _shift_of(y, in_stock)
    assert not shift.found.any()


def test_a_season_starting_is_not_a_shift_but_a_new_level_within_it_is() -> None:
    # Three years to 24 November 2027; November sells 1.8 times the rest of the year. The index
    # is fitted on the history before the weeks tested, so November's rise is the season.
    start, days = date(2024, 11, 25), 3 * 365
    when = [start + timedelta(days=k) for k in range(days)]
    season = np.array([1.8 if d.month == 11 else 1.0 for d in when])
    rng = np.random.default_rng(9)
    rate = rng.uniform(4, 10, 20)[:, None] * season * _week(np.arange(days), start)
    rate[10:] *= np.where(np.arange(days) >= days - 42, 0.5, 1.0)  # half of them halved
    shift = _shift_of(rng.poisson(rate).astype(np.float64), start=start)
    assert not shift.found[:10].any()
    assert shift.found[10:].mean() >= 0.9


@pytest.mark.parametrize("days", [396, 410, 420])
def test_a_season_starting_in_a_sellers_second_year_is_not_a_shift(days: int) -> None:
    # 13 to 14 months to 20 November 2026, rising to twice the level from mid-October: the
    # weeks before those tested hold under a year, so no index there can tell the rise from a
    # shift, while the forecast carries the season the whole history shows. Taken for a
    # shift, every SKU's forecast was pulled down to the lagging recent mean (0.96 -> 0.90).
    end = date(2026, 11, 20)
    start = end - timedelta(days=days)
    when = [start + timedelta(days=k) for k in range(days)]
    doy = np.array([d.timetuple().tm_yday for d in when])
    season = np.where(doy < 288, 1.0, np.clip(1 + (doy - 288) / 30, 1.0, 2.0))
    rng = np.random.default_rng(14)
    rate = rng.uniform(3, 10, 30)[:, None] * season * _week(np.arange(days), start)
    assert not _shift_of(rng.poisson(rate).astype(np.float64), start=start).found.any()
    # A level that doubled or halved 5 weeks ago in such a history is no season repeating:
    # found (a first mend that skipped every history of 365 to 420 days missed them all).
    for change in (2.0, 0.5):
        moved = rate * np.where(np.arange(days) >= days - 35, change, 1.0) / season
        shift = _shift_of(rng.poisson(moved).astype(np.float64), start=start)
        assert shift.found.mean() >= 0.9


def test_a_rise_is_not_read_where_the_median_week_fell() -> None:
    # 10 a day, then two weeks at 6 and a last week at 30: the mean of the last three weeks is
    # up, but the median week is down: not a new level (read as one for 26 of 30 SKUs when the
    # median's side was not checked; now for a SKU whose noise makes it look so, at most).
    rng = np.random.default_rng(15)
    rate = np.full((30, DAYS), 10.0)
    rate[:, -21:-7] = 6.0
    rate[:, -7:] = 30.0
    assert _shift_of(rng.poisson(rate).astype(np.float64)).found.mean() < 0.1


def test_lumpy_intermittent_orders_are_left_to_the_robust_combination() -> None:
    rng = np.random.default_rng(10)
    orders = rng.poisson(0.25, (60, DAYS))  # an order every four days, of 1 to 10 units
    y = (orders * rng.integers(1, 11, (60, DAYS))).astype(np.float64)
    y[:, -42:] *= 2  # even doubled: weekly totals of a few orders are too skewed to test
    assert not _shift_of(y).found.any()


def test_a_forecast_follows_the_new_level_only_as_far_as_the_evidence_goes() -> None:
    rng = np.random.default_rng(11)
    t = np.arange(DAYS + AHEAD)
    base = rng.uniform(2, 6, 40)[:, None]
    rate = base * _week(t) * np.where(t >= DAYS - 42, 2.0, 1.0)
    y = rng.poisson(rate[:, :DAYS]).astype(np.float64)
    truth = rate[:, DAYS:].sum(axis=1)
    auto = AutoForecaster(horizon=AHEAD).fit(y, start=START)
    off = np.abs(auto.predict(AHEAD).sum(axis=1) - truth).sum() / truth.sum()
    assert off < 0.1  # 0.072; 0.146 before level shifts were followed
    # The weekday shape is kept.
    ahead = auto.predict(AHEAD)
    weekend = _week(t[DAYS:]) == 2
    assert 1.7 < ahead[:, weekend].mean() / ahead[:, ~weekend].mean() < 2.3
    # However short the horizon asked for, the level is read over whole weeks: the first days
    # are the same days of the longer forecast (this 3-day forecast, from a Friday, read 0.78 of
    # what came when the new level was matched over those days alone).
    short = AutoForecaster(horizon=3).fit(y, start=START)
    assert short.shift_.found.mean() > 0.9
    np.testing.assert_allclose(short.predict(3), short.predict(28)[:, :3])
    first = short.predict(3).sum(axis=1) / rate[:, DAYS : DAYS + 3].sum(axis=1)
    assert 0.85 < np.median(first) < 1.15
    # A method asked for by name is forecast as it is.
    ses = AutoForecaster(methods=["ses"], fallback=False, horizon=AHEAD).fit(y, start=START)
    assert not ses.shift_.found.any()


def test_the_new_level_is_followed_further_the_clearer_it_is() -> None:
    # The same doubling four weeks ago for SKUs of 2 a day and of 40 a day: the big sellers'
    # shift is plain and followed nearly all the way; the small sellers' is followed part of
    # the way, their forecast between the old level and the new.
    rng = np.random.default_rng(16)
    t = np.arange(DAYS + AHEAD)
    base = np.repeat([[2.0], [40.0]], 30, axis=0)
    rate = base * _week(t) * np.where(t >= DAYS - 28, 2.0, 1.0)
    y = rng.poisson(rate[:, :DAYS]).astype(np.float64)
    auto = AutoForecaster(horizon=AHEAD).fit(y, start=START)
    small, big = auto.shift_.weight[:30], auto.shift_.weight[30:]
    assert (big > 0.85).all()
    found = small > 0
    assert found.mean() > 0.5 and (small[found] < 0.7).all()
    # Weights 0.14-0.63 and 0.87-0.91. Forecast over what came: the big sellers off by 0.021 on
    # average (0.194 before shifts were followed), the small ones at 0.82 (0.71 before).
    ratio = auto.predict(AHEAD).sum(axis=1) / rate[:, DAYS:].sum(axis=1)
    assert np.abs(ratio[30:] - 1).mean() < 0.05
    assert 0.75 < np.median(ratio[:30][found]) < 0.95


def test_weekly_and_monthly_forecasts_are_not_moved_by_the_test() -> None:
    # Three years of weekly sales of 30 SKUs (100-600 a week) that fell to 0.6 of that 6 weeks
    # before the end. The weekly test finds it (and took the forecast from 1.17 times what came
    # to 1.03), but it cost the held-out airline routes more than it gained on the tuning ones
    # (docs/forecast-evaluation.md item 21), so weekly and monthly forecasts are left as they are.
    rng = np.random.default_rng(13)
    weeks = 156
    t = np.arange(weeks + 8)
    rate = rng.uniform(100, 600, 30)[:, None] * np.where(t >= weeks - 6, 0.6, 1.0)
    y = rng.poisson(rate[:, :weeks]).astype(np.float64)
    assert level_shift(Demand(y, np.ones_like(y)), date(2023, 1, 2), "W").found.mean() > 0.9
    weekly = AutoForecaster(horizon=8).fit(y, start=date(2023, 1, 2), freq="W")
    assert not weekly.shift_.found.any()
    # Four years of months whose level halved 6 months ago: months are another time scale.
    months = rng.poisson(np.where(np.arange(48) >= 42, 600.0, 1200.0), (30, 48)).astype(float)
    assert not level_shift(Demand(months, np.ones_like(months)), date(2022, 1, 1), "M").found.any()
    monthly = AutoForecaster(horizon=3).fit(months, start=date(2022, 1, 1), freq="M")
    assert not monthly.shift_.found.any()


def test_a_stranger_whose_skus_lost_and_won_the_buy_box_through_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A kitchenware seller, 500 days to 14 May 2026 (not two years: the season index is
    thin), 12 SKUs of 2 to 20 a day with quiet Sundays: four lost the Buy Box five weeks ago
    (0.4 of their sales), four won a badge four weeks ago (1.8 times), four sold on."""
    rng = np.random.default_rng(12)
    start, days = date(2025, 1, 1), 500
    when = [start + timedelta(days=k) for k in range(days + AHEAD)]
    sunday = np.array([0.4 if d.weekday() == 6 else 1.0 for d in when])
    t = np.arange(days + AHEAD)
    change = np.ones((12, days + AHEAD))
    change[:4] = np.where(t >= days - 35, 0.4, 1.0)
    change[4:8] = np.where(t >= days - 28, 1.8, 1.0)
    rate = rng.uniform(2, 20, 12)[:, None] * sunday * change
    y = rng.poisson(rate[:, :days])
    src, dst = tmp_path / "kitchen.csv", tmp_path / "out.csv"
    with src.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["sku", "date", "qty"])
        for s in range(12):
            for k in range(days):
                w.writerow([f"KIT-{s:02d}", when[k].isoformat(), int(y[s, k])])
    code = main(["forecast", "--csv", str(src), "--horizon", str(AHEAD), "--freq", "D",
                 "--out", str(dst)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    # The note names the SKUs that moved, how far and from which week, and no steady one.
    note = next(line for line in err.splitlines() if "moved to a new level" in line)
    assert "note: 8 SKU(s) moved" in note and "and 3 more" in note
    assert "KIT-00 (0.4" in note and "from 2026-04" in note
    assert not any(f"KIT-{s:02d}" in note for s in range(8, 12))
    total = np.zeros(12)
    for row in csv.DictReader(dst.open()):
        total[int(row["sku"][4:])] += float(row["forecast"])
    truth = rate[:, days:].sum(axis=1)
    lost, won, steady = (
        total[g].sum() / truth[g].sum() for g in (slice(0, 4), slice(4, 8), slice(8, 12))
    )
    # Before shifts were followed: the lost Buy Boxes forecast at 1.18 times what came, the
    # badges at 0.81, each changed SKU off by 0.21 on average; now 1.04, 0.89 and 0.13.
    assert lost < 1.1 and won > 0.85 and 0.95 < steady < 1.08
    assert np.abs(total[:8] / truth[:8] - 1).mean() < 0.17
