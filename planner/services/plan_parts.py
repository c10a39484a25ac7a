"""An account's forecast in parts: one task per part of its series, then one plan from them all.

The task queue splits "forecast + plan" of an account: ``partitions`` cuts its series into parts,
``forecast_part`` forecasts one part (in any process: the result is plain bytes, numpy's npz
with no pickle), and ``forecast_from_parts`` puts the parts back together in the account's row
order, for ``planning.plan_from_forecast``. Pure: no store, no clock, no configuration.

One part holding every series gives exactly ``planning.forecast_inputs``. With several parts,
each part is fitted *and calibrated* on its own series: new variants borrow only from peers in
their part (so a category is kept in one part where it fits, and a SKU's warehouses always are),
and the held-out calibration of the error spread (``planner.forecast.run.held_out_scales``)
samples up to 2000 series of the part rather than of the account. Parts of a few thousand series
or more keep that sample full, so safety stock stays close to the single-process run's; small
parts calibrate on fewer series and their spreads differ more. SKUs set to one named method are
calibrated among those of the part likewise. Measured (bench/forecast_parts.py) on a demo seller
of 10,082 series in 3 parts of 1,539 to 4,910: 28-day forecasts moved by 1.3 % of the account's
total row by row, the error spread over lead time + cover by +8 %, units to order by +2.8 %, and
1 of 5,174 plan rows (a transfer) came out differently. Each part runs its own held-out
calibration too, so the parts' CPU time adds up to more than one forecast of the account (24 s
against 17 s there): what parts buy is wall time on several workers (the slowest part, 9 s).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from planner.forecast.run import ForecastResult, empty_forecast
from planner.ports.history import SeriesHistory
from planner.services.plan_series import SeriesSet
from planner.services.planning import PlanInputs, forecast_series

Rows = NDArray[np.int64]
_ARRAYS = ("mean", "sigma", "velocity", "growth", "ratios", "moved", "moved_days")
_FIELDS = frozenset(("rows", "sku", "warehouse", "channel", "method", "start", "freq", *_ARRAYS))
# Arrays a part saved by an earlier version may lack (a worker not yet upgraded when a new
# planner assembles): read as none (no series' level moved).
_ADDED = frozenset(("moved", "moved_days"))


def partitions(inputs: PlanInputs, size: int) -> list[Rows]:
    """Row indices (into ``inputs.series.keys``) of each part, at most ``size`` rows each.

    Every row is in exactly one part. Rows are taken in (category, SKU, row) order and cut where
    a category ends when the whole category fits in a part, else where a SKU ends: a SKU's rows
    (all its warehouses) are never split, so a part exceeds ``size`` only when one SKU alone
    has more rows. A part ends once it holds an even share of the account (its series over
    ``ceil(n / size)`` parts), and a last part under half a share joins the one before where
    both fit: full parts and a small remainder would leave a part calibrated on a few series.
    Each part's rows are in ascending order; the parts, in category order. An account of at
    most ``size`` series is one part with every row in order; one of none, no parts.
    """
    if size < 1:
        raise ValueError(f"a part holds at least one series, not {size}")
    keys = inputs.series.keys
    n = len(keys)
    if n == 0:
        return []
    if n <= size:
        return [np.arange(n, dtype=np.int64)]
    variants = inputs.cat.variants
    category = [variants[k.sku].category or "" for k in keys]
    order = sorted(range(n), key=lambda i: (category[i], keys[i].sku, i))
    # Runs of the sorted rows: per category, the sizes of its SKUs in turn.
    runs: list[tuple[str, list[int]]] = []
    last_sku: str | None = None
    for i in order:
        if not runs or runs[-1][0] != category[i]:
            runs.append((category[i], []))
            last_sku = None
        skus = runs[-1][1]
        if keys[i].sku != last_sku:
            skus.append(0)
            last_sku = keys[i].sku
        skus[-1] += 1
    # Parts of about even size, not full ones and a small remainder: a part of a few series
    # calibrates its error spread on those few.
    target = -(-n // -(-n // size))
    cuts: list[int] = []  # positions in ``order`` where a new part starts
    filled = at = 0
    for _, skus in runs:
        total = sum(skus)
        # A category that fits in a part is kept whole: one block. Else SKU by SKU.
        for block in [total] if total <= size else skus:
            # A part ends once it reaches the target, or where the next block would overflow.
            if filled and (filled >= target or filled + block > size):
                cuts.append(at)
                filled = 0
            filled += block
            at += block
    # A small remainder joins the part before it where both fit in one.
    if cuts and n - cuts[-1] < target // 2 and n - (cuts[-2] if len(cuts) > 1 else 0) <= size:
        cuts.pop()
    ordered = np.array(order, dtype=np.int64)
    return [np.sort(part) for part in np.split(ordered, cuts)]


def forecast_part(inputs: PlanInputs, rows: Sequence[int] | NDArray[np.integer]) -> bytes:
    """The forecast of the series at ``rows``, as ``planning.forecast_inputs`` makes it for all of
    them but fitted and calibrated on these alone (see the module docstring), as npz bytes.

    The bytes hold the rows themselves (``rows``), their keys (``sku``, ``warehouse``,
    ``channel``, to check against the inputs they are assembled with), the forecast arrays of
    ``ForecastResult`` for those rows, ``method`` (unicode), ``start`` (an ISO date) and ``freq``.
    """
    series = inputs.series
    picked = _rows(rows, len(series.keys))
    history = series.history
    if np.array_equal(picked, np.arange(len(series.keys))):
        part = series  # the whole account, in order: exactly forecast_inputs
    else:
        sub = SeriesHistory(
            [history.keys[i] for i in picked],
            history.start,
            history.units[picked],
            history.in_stock[picked],
        )
        part = SeriesSet(sub, series.planned[picked])
    fc = forecast_series(part, inputs.cat, inputs.horizon)
    keys = part.keys
    buffer = io.BytesIO()
    np.savez(
        buffer,
        rows=picked,
        sku=np.array([k.sku for k in keys], dtype=np.str_),
        warehouse=np.array([k.warehouse for k in keys], dtype=np.str_),
        channel=np.array([k.channel for k in keys], dtype=np.str_),
        method=np.array(fc.method, dtype=np.str_),
        start=np.array(fc.start.isoformat()),
        freq=np.array(fc.freq),
        **{name: getattr(fc, name) for name in _ARRAYS},
    )
    return buffer.getvalue()


def forecast_from_parts(
    inputs: PlanInputs, parts: Sequence[tuple[Sequence[int] | NDArray[np.integer], bytes]]
) -> ForecastResult:
    """The account's whole forecast from its parts: ``(rows, forecast_part(inputs, rows))``
    each, in any order; the result is in the row order of ``inputs.series.keys``.

    Raises ValueError when a part's bytes are not a part's forecast, hold other rows than its
    ``rows`` or other series than ``inputs`` has at those rows, start on another day or cover
    another horizon than ``inputs`` plans, or when a row is in no part or in more than one.
    """
    keys = inputs.series.keys
    n, horizon = len(keys), inputs.horizon
    start = inputs.series.history.end + timedelta(days=1)  # as forecast_history starts
    whole = empty_forecast(start, horizon)
    mean = np.empty((n, horizon))
    sigma, velocity, growth = np.empty(n), np.empty(n), np.empty(n)
    moved, moved_days = np.zeros(n), np.zeros(n)
    ratios = np.empty((n, whole.ratios.shape[1]))
    method = [""] * n
    seen = np.zeros(n, dtype=bool)
    for p, (rows, blob) in enumerate(parts):
        picked = _rows(rows, n)
        got = _load(blob, p)
        if not np.array_equal(got["rows"], picked):
            raise ValueError(f"part {p} was forecast for other rows than the ones given with it")
        if str(got["start"]) != start.isoformat() or str(got["freq"]) != whole.freq:
            raise ValueError(
                f"part {p} forecasts from {got['start']} ({got['freq']}), the plan from {start}"
            )
        if got["mean"].shape != (len(picked), horizon):
            raise ValueError(
                f"part {p} covers {got['mean'].shape[-1]} days, the plan's horizon is {horizon}"
            )
        mine = [(k.sku, k.warehouse, k.channel) for k in (keys[i] for i in picked)]
        theirs = list(zip(*(got[f].tolist() for f in ("sku", "warehouse", "channel")), strict=True))
        if theirs != mine:
            raise ValueError(f"part {p} was forecast for other series than these inputs hold")
        if seen[picked].any():
            again = [keys[i] for i in picked[seen[picked]]]
            raise ValueError(f"{len(again)} series are in more than one part, e.g. {again[0]}")
        seen[picked] = True
        mean[picked] = got["mean"]
        sigma[picked], velocity[picked] = got["sigma"], got["velocity"]
        growth[picked], ratios[picked] = got["growth"], got["ratios"]
        moved[picked], moved_days[picked] = got["moved"], got["moved_days"]
        for i, m in zip(picked.tolist(), got["method"].tolist(), strict=True):
            method[i] = m
    if not seen.all():
        missing = [keys[i] for i in np.flatnonzero(~seen)]
        raise ValueError(f"{len(missing)} series are in no part, e.g. {missing[0]}")
    return ForecastResult(
        keys=list(keys), start=start, freq=whole.freq, mean=mean, method=method,
        sigma=sigma, velocity=velocity, growth=growth, ratios=ratios, moved=moved,
        moved_days=moved_days,
    )  # fmt: skip


def _load(blob: bytes, p: int) -> dict[str, NDArray[Any]]:
    """The arrays of part ``p``'s bytes (ValueError when they are not a forecast part's)."""
    try:
        stored = np.load(io.BytesIO(blob), allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"part {p} is not a forecast part: {exc}") from exc
    if not isinstance(stored, np.lib.npyio.NpzFile):
        raise ValueError(f"part {p} is not a forecast part (one array, not an npz)")
    with stored:
        if not _FIELDS - _ADDED <= set(stored.files) <= _FIELDS:
            raise ValueError(f"part {p} is not a forecast part (it holds {stored.files})")
        got = {name: stored[name] for name in stored.files}
    for name in _ADDED - got.keys():
        got[name] = np.zeros(len(got["rows"]))
    return got


def _rows(rows: Sequence[int] | NDArray[np.integer], n: int) -> Rows:
    """``rows`` as distinct row indices of an account of ``n`` series (ValueError otherwise)."""
    out = np.asarray(rows)
    if out.ndim != 1 or (out.size and not np.issubdtype(out.dtype, np.integer)):
        raise ValueError("a part's rows are a flat sequence of row indices")
    out = out.astype(np.int64)
    if out.size and (out.min() < 0 or out.max() >= n):
        raise ValueError(f"a part's rows must lie in 0..{n - 1}, the account's series")
    if np.unique(out).size != out.size:
        raise ValueError("a part names a row more than once")
    return out
