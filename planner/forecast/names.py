"""The names of the forecasting methods, without importing them (their models load scikit-learn,
which a command that only checks a settings row should not wait for)."""

from __future__ import annotations

# The keys of ``planner.forecast.methods.METHODS``, in its order (a test keeps them equal).
METHOD_NAMES: tuple[str, ...] = (
    "moving_average", "seasonal_trend", "ses", "damped_trend", "weekly_profile",
    "yearly_profile", "croston_sba", "tsb", "adida", "imapa", "combination", "global_gbm",
    "seasonal_ses", "seasonal_damped", "theta",
)  # fmt: skip
