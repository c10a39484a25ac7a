"""Demand forecasting on whole arrays (series × periods): methods, auto selection, edits.

- ``planner.forecast.run``: ``forecast_history(history, horizon=…)`` → ``ForecastResult`` (the
  entry point for the rest of the app: mean, method, sigma, velocity, total, error_over).
- ``planner.forecast.methods``: ``METHODS``, every method by stable name;
  ``planner.forecast.registry``: ``REGISTRY`` = ``METHODS`` + "auto".
- ``planner.forecast.auto``: ``AutoForecaster``, per-series selection by rolling-origin backtest.
- ``planner.forecast.history``: stockout-aware demand (censored days, partial days, spikes).
- ``planner.forecast.uncertainty``: forecast error over a lead time, gamma quantiles.
- ``planner.forecast.borrow``: new variants borrow from a similar variant or their group.
- ``planner.forecast.parallel``: independent pieces (blocks of series, the held-out refit) on
  threads, with the same results on any number.
"""
