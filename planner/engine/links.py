"""Links between series rows as index arrays: members of a combined warehouse, bills of
materials, an assembly's rows across the network. The core sums along them on whole arrays."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

F = NDArray[np.float64]
I = NDArray[np.int64]  # noqa: E741


@dataclass(frozen=True, slots=True)
class RowLinks:
    """Row ``src[k]`` feeds row ``dst[k]``, ``weight[k]`` units per unit (1 unless given).

    Where sums along the links are order-sensitive (floats), rows are summed in link order.
    """

    src: I
    dst: I
    weight: F

    @classmethod
    def of(
        cls, pairs: Sequence[tuple[int, int]], weights: Sequence[float] | None = None
    ) -> RowLinks:
        """Links from (src, dst) pairs, in that order; weight 1 unless ``weights`` are given."""
        src = np.array([s for s, _ in pairs], dtype=np.int64).reshape(-1)
        dst = np.array([d for _, d in pairs], dtype=np.int64).reshape(-1)
        weight = np.ones(len(src)) if weights is None else np.array(weights, dtype=np.float64)
        return cls(src, dst, weight)

    def __len__(self) -> int:
        return len(self.src)
