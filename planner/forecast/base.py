"""The one contract every forecasting method keeps (scikit-learn style).

A method is configured in ``__init__`` and learns in ``fit`` from a batch of series at once:

- ``y``: demand, shape (n_series, n_periods), float; NaN nowhere (censored days are marked by
  ``in_stock``, not by NaN). Negative values (returns) may occur.
- ``in_stock``: the fraction of each period the item was in stock, same shape, in [0, 1];
  1 = in stock all period, 0 = out all period (demand censored, the sale count says nothing).
- ``start``: the date of the first period; ``freq``: "D" (days), "W" (weeks) or "M" (months).

Fitted state lives in attributes ending with ``_``. ``predict(horizon)`` returns an array of shape
(n_series, horizon), finite and never negative, for the periods right after the fitted ones.
"""

from __future__ import annotations

import inspect
from datetime import date
from typing import Any, Literal, Self

import numpy as np
from numpy.typing import NDArray

Freq = Literal["D", "W", "M"]
FloatArray = NDArray[np.float64]


class NotFittedError(RuntimeError):
    """predict() was called before fit()."""


class Forecaster:
    """Base class: validates input, keeps the calendar, clips output; subclasses do the maths."""

    name: str = "base"

    def get_params(self) -> dict[str, Any]:
        """The settings given to ``__init__`` (scikit-learn style)."""
        names = [
            p.name
            for p in inspect.signature(type(self).__init__).parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        return {name: getattr(self, name) for name in names}

    def clone(self) -> Self:
        """A new, unfitted forecaster with the same settings."""
        return type(self)(**self.get_params())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def fit(
        self,
        y: NDArray[np.floating],
        in_stock: NDArray[np.floating] | None = None,
        *,
        start: date | None = None,
        freq: Freq = "D",
    ) -> Self:
        y_arr = np.asarray(y, dtype=np.float64)
        if y_arr.ndim != 2:
            raise ValueError(f"y must be 2-D (series × periods), got shape {y_arr.shape}")
        if in_stock is None:
            mask = np.ones_like(y_arr)
        else:
            mask = np.clip(np.asarray(in_stock, dtype=np.float64), 0.0, 1.0)
            if mask.shape != y_arr.shape:
                raise ValueError("in_stock must have the same shape as y")
        y_arr = np.where(np.isfinite(y_arr), y_arr, 0.0)
        self.n_series_ = y_arr.shape[0]
        self.n_periods_ = y_arr.shape[1]
        self.start_ = start or date(2000, 1, 1)
        self.freq_ = freq
        self._fit(y_arr, mask)
        return self

    def predict(self, horizon: int) -> FloatArray:
        if not hasattr(self, "n_series_"):
            raise NotFittedError(f"{type(self).__name__} must be fitted before predict()")
        if horizon < 1:
            raise ValueError("horizon must be at least 1")
        return finite_nonnegative(self._predict(horizon))

    # -- subclasses ---------------------------------------------------------------------------

    def _fit(self, y: FloatArray, in_stock: FloatArray) -> None:
        raise NotImplementedError

    def _predict(self, horizon: int) -> FloatArray:
        raise NotImplementedError


def finite_nonnegative(forecast: NDArray[np.floating]) -> FloatArray:
    """NaN and infinities to 0, negatives to 0: what every forecast promises."""
    out = np.asarray(forecast, dtype=np.float64)
    return np.clip(np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0), 0.0, None)
