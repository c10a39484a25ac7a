"""Every forecasting method by its stable name (``auto`` lives in ``planner.forecast.registry``)."""

from __future__ import annotations

from planner.forecast.fitting import DemandForecaster
from planner.forecast.methods.gbm import GlobalGBM
from planner.forecast.methods.intermittent import ADIDA, IMAPA, TSB, Combination, CrostonSBA
from planner.forecast.methods.profile import SeasonalProfile, WeeklyProfile, YearlyProfile
from planner.forecast.methods.simple import MovingAverage, SeasonalNaiveTrend
from planner.forecast.methods.smoothing import (
    SES,
    DampedTrend,
    SeasonalDampedTrend,
    SeasonalSES,
    Theta,
)

METHODS: dict[str, type[DemandForecaster]] = {
    "moving_average": MovingAverage,
    "seasonal_trend": SeasonalNaiveTrend,
    "ses": SES,
    "damped_trend": DampedTrend,
    "weekly_profile": WeeklyProfile,
    "yearly_profile": YearlyProfile,
    "croston_sba": CrostonSBA,
    "tsb": TSB,
    "adida": ADIDA,
    "imapa": IMAPA,
    "combination": Combination,
    "global_gbm": GlobalGBM,
    "seasonal_ses": SeasonalSES,
    "seasonal_damped": SeasonalDampedTrend,
    "theta": Theta,
}

__all__ = [
    "ADIDA",
    "IMAPA",
    "METHODS",
    "SES",
    "TSB",
    "Combination",
    "CrostonSBA",
    "DampedTrend",
    "GlobalGBM",
    "MovingAverage",
    "SeasonalDampedTrend",
    "SeasonalNaiveTrend",
    "SeasonalProfile",
    "SeasonalSES",
    "Theta",
    "WeeklyProfile",
    "YearlyProfile",
]
