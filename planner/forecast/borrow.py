"""New variants with little history borrow from peers: a named similar variant, or their group.

A series is *new* while it has fewer than ``min_periods`` in-stock periods of history. Its
forecast becomes the donor's shape (the donor forecast over its own mean) × a level that blends
the series' own in-stock rate with the donor's level, by how much of ``min_periods`` it has seen.

Donors, in order: ``similar[i]`` (a row index, -1 for none) when that series is established;
else the top-down profile of the established series sharing ``groups[i]`` (category, vendor…):
the shape of their summed forecast and the median of their levels.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from planner.forecast.base import FloatArray


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
    new = ~established & has
    share = np.clip(seen / max(min_periods, 1), 0.0, 1.0)
    blended = share * own_rate + (1 - share) * donor_level
    out = mean.copy()
    out[new] = donor_shape[new] * blended[new, None]
    return out
