"""New variants with little history borrow from peers: a named similar variant, or their group.

A series is *new* while it has fewer than ``min_periods`` in-stock periods of history. Its
forecast becomes the donor's shape (the donor forecast over its own mean) × a level that blends
the series' own sales with the donor's level: the mean of a gamma prior on its rate, centred on
the donor's level with shape ``PRIOR_SHAPE``, updated by the units it sold over the periods it
was in stock (a Poisson-gamma update; the prior counts for at most ``PRIOR_DAYS``). Until
2026-12-07 the blend went by periods seen alone (a share of ``min_periods``), so a launch that
sold 26 units in 17 days next to peers selling 6.8 a day was forecast at 5.2 a day; its own
sales say 1.5, and it now gets 1.6.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from planner.forecast.base import FloatArray

# New products' rates spread widely around their peers' (a gamma of shape 2: about ±70 %), so a
# few weeks of their own sales outweigh the peers' level; and the peers' level counts for no
# more than PRIOR_DAYS of the product's own sales (a slow category's 2 sales would be 20 days at
# 0.1 a day, swamping a launch that sells 10 a day).
PRIOR_SHAPE = 2.0
PRIOR_DAYS = 7.0


def _group_donors(
    mean: FloatArray, groups: NDArray[np.generic], established: NDArray[np.bool_]
) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
    """Per series: its group's shape (n, h), median established level (n,) and whether any."""
    _, label = np.unique(np.asarray(groups), return_inverse=True)
    label = label.ravel()
    g = int(label.max(initial=-1)) + 1
    rows = np.flatnonzero(established)
    summed = np.zeros((g, mean.shape[1]))
    np.add.at(summed, label[rows], mean[rows])
    shape = summed / np.maximum(summed.mean(axis=1, keepdims=True), 1e-12)
    level = mean[rows].mean(axis=1)
    order = np.lexsort((level, label[rows]))
    counts = np.bincount(label[rows], minlength=g)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    median = np.zeros(g)
    has = counts > 0
    median[has] = level[order][first[has] + (counts[has] - 1) // 2]
    return shape[label], median[label], has[label] & (summed.sum(axis=1) > 0)[label]


def borrow_from_peers(
    mean: FloatArray,
    *,
    seen: FloatArray,
    own_rate: FloatArray,
    min_periods: int,
    groups: NDArray[np.generic] | None = None,
    similar: NDArray[np.integer] | None = None,
) -> FloatArray:
    """Forecasts with new series' shape and level borrowed from their donors (see module doc).

    ``seen``: in-stock periods of each series; ``own_rate``: its mean demand over them.
    """
    established = seen >= min_periods
    if established.all() or (groups is None and similar is None):
        return mean
    donor_shape = np.zeros_like(mean)
    donor_level = np.zeros(len(mean))
    has = np.zeros(len(mean), dtype=bool)
    if groups is not None:
        donor_shape, donor_level, has = _group_donors(mean, groups, established)
    if similar is not None:
        sim = np.asarray(similar, dtype=np.int64)
        ok = (sim >= 0) & (sim < len(mean))
        ok[ok] &= established[sim[ok]]
        path = mean[sim[ok]]
        level = path.mean(axis=1)
        donor_level[ok] = level
        donor_shape[ok] = path / np.maximum(level, 1e-12)[:, None]
        lent = np.zeros(len(mean), dtype=bool)
        lent[ok] = level > 0  # `level` is per peer found (ok rows), not per series
        has |= lent
    new = ~established & has & (donor_level > 0)
    sold = own_rate * seen
    days = np.minimum(PRIOR_SHAPE / np.maximum(donor_level, 1e-12), PRIOR_DAYS)
    blended = (donor_level * days + sold) / (days + seen)
    out = mean.copy()
    out[new] = donor_shape[new] * blended[new, None]
    return out
