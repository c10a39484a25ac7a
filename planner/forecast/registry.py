"""Every forecaster by its stable name, ``auto`` included (the methods alone: ``METHODS``)."""

from __future__ import annotations

from planner.forecast.auto import AutoForecaster
from planner.forecast.fitting import DemandForecaster
from planner.forecast.methods import METHODS

REGISTRY: dict[str, type[DemandForecaster]] = {**METHODS, "auto": AutoForecaster}

__all__ = ["METHODS", "REGISTRY"]
