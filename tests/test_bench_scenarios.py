"""bench/scenarios.py: made-up sellers that show the engine's blind spots."""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import date
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "scenarios.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_scenarios", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


sc = _load()


def test_each_scenario_is_what_its_name_says() -> None:
    _, _, steady = sc.make("steady", 30, seed=3)
    units, in_stock, up = sc.make("step_up", 30, seed=3)
    assert np.allclose(up, 2 * steady)  # the same SKUs, their level doubled
    week_before = units[:, -sc.STEP_DAYS - 63 : -sc.STEP_DAYS - 7].mean()
    assert units[:, -sc.STEP_DAYS :].mean() == pytest.approx(2 * week_before, rel=0.15)
    units, in_stock, _ = sc.make("stockout_60", 30, seed=3)
    assert not in_stock[:, -60:].any() and not units[:, -60:].any()
    units, _, expected = sc.make("lumpy", 200, seed=3)
    assert units.mean() == pytest.approx(expected.mean(), rel=0.1)  # orders of 1-10 units


def test_the_json_report_has_a_share_per_scenario_and_method(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["--series", "20", "--seeds", "1", "--scenarios", "seasonal,steady", "--json"]
    assert sc.main([*argv, "--methods", "auto,moving_average"]) == 0
    report = json.loads(capsys.readouterr().out)["off_share"]
    assert set(report) == {"seasonal", "steady"}
    # A moving average cannot see a season: the yearly swing is what auto is for.
    assert report["seasonal"]["auto"] < 0.6 * report["seasonal"]["moving_average"]
    assert all(0 < v < 0.2 for v in report["steady"].values())


def test_the_weekend_trend_and_season_are_where_they_are_said_to_be() -> None:
    units, _, _ = sc.make("steady", 200, seed=4)
    days = np.arange(sc.DAYS)
    weekend = np.array([(sc.START.toordinal() + d) % 7 in (0, 6) for d in days])  # Sat, Sun
    assert units[:, weekend].mean() == pytest.approx(3 * units[:, ~weekend].mean(), rel=0.05)
    _, _, steady = sc.make("steady", 50, seed=4)
    _, _, trend = sc.make("trend", 50, seed=4)
    assert np.allclose(trend, steady * (1 + np.arange(sc.DAYS, sc.DAYS + sc.HORIZON) / sc.DAYS))
    _, _, season = sc.make("seasonal", 50, seed=4)
    ratio = season / sc.make("steady", 50, seed=4)[2]
    assert ratio.min() >= 0.5 - 1e-9 and ratio.max() <= 1.5 + 1e-9 and ratio.std() > 0.1


def test_the_fourth_quarter_is_on_the_calendar_and_ahead_of_the_history() -> None:
    """The sharp fourth quarter's 28 days ahead are 25-30 November (1.6 times) and 1-22
    December (3 times), weekends three times a weekday as everywhere."""
    units, _, expected = sc.make("q4_peak", 100, seed=5)
    first = sc.start_of("q4_peak").toordinal()
    ahead = [date.fromordinal(first + sc.DAYS + d) for d in range(sc.HORIZON)]
    assert (ahead[0], ahead[-1]) == (date(2026, 11, 25), date(2026, 12, 22))
    week = np.array([3.0 if d.weekday() >= 5 else 1.0 for d in ahead])
    season = np.array([1.6 if d.month == 11 else 3.0 for d in ahead])
    base = expected / (week * season)
    assert np.allclose(base, base[:, :1])  # one rate per SKU once week and season are out
    last_year = [date.fromordinal(first + d) for d in range(sc.DAYS)]
    dec = np.array([d.month == 12 and d.day <= 24 for d in last_year])
    other = np.array([d.month not in (11, 12) for d in last_year])
    assert units[:, dec].mean() == pytest.approx(3 * units[:, other].mean(), rel=0.1)


def test_the_event_weekend_is_the_last_one_and_five_times_a_quiet_weekend() -> None:
    _, _, expected = sc.make("event_weekend", 50, seed=6)
    units, _, _ = sc.make("event_weekend", 50, seed=6)
    first = sc.START.toordinal()
    days = [date.fromordinal(first + d) for d in range(sc.DAYS)]
    weekend = np.array([d.weekday() >= 5 for d in days])
    last = np.zeros(sc.DAYS, dtype=bool)
    last[-7:] = weekend[-7:]
    usual = units[:, weekend & ~last].mean()
    assert units[:, ~weekend].mean() == pytest.approx(5 * usual, rel=0.05)  # weekends a fifth
    assert units[:, last].mean() == pytest.approx(5 * usual, rel=0.1)  # the event: 5 times
    ahead = np.array([date.fromordinal(first + sc.DAYS + d).weekday() >= 5 for d in range(28)])
    # Ahead, weekends are quiet again: the forecast should not carry the event.
    assert np.allclose(expected[:, ahead].mean(axis=1), 0.2 * expected[:, ~ahead].mean(axis=1))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--scenarios", "steady,stepup"], "unknown scenario(s) stepup; known: steady"),
        (["--scenarios", ","], "unknown scenario(s) ; known: steady"),
        (["--methods", "auto,crystal_ball"], "unknown method(s) crystal_ball; known: auto"),
        (["--series", "0"], "--series and --seeds must be at least 1"),
        (["--seeds", "-1"], "--series and --seeds must be at least 1"),
    ],
)
def test_bad_arguments_are_named_before_any_work(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        sc.main(argv)
    assert stop.value.code == 2
    assert message in capsys.readouterr().err
