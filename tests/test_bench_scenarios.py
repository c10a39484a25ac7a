"""bench/scenarios.py: made-up sellers that show the engine's blind spots."""

from __future__ import annotations

import importlib.util
import json
import sys
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


def test_an_unknown_scenario_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        sc.main(["--scenarios", "steady,stepup"])
    assert stop.value.code == 2
    assert "unknown scenario(s) stepup; known: steady" in capsys.readouterr().err
