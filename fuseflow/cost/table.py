"""The cost table: the cost of every unique tile shape on every core it may run on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from fuseflow.cost.result import CostResult
from fuseflow.errors import InfeasibleError


@dataclass(frozen=True, eq=False)
class CostTable:
    """Costs keyed by (tile shape id, core index); shape ids index ``CNGraph.tile_layers``."""

    core_names: tuple[str, ...]
    n_shapes: int
    results: Mapping[tuple[int, int], CostResult]

    def get(self, shape: int, core: int) -> CostResult:
        try:
            return self.results[(shape, core)]
        except KeyError:
            raise InfeasibleError(
                f"no cost for tile shape {shape} on core {self.core_names[core]!r}"
            ) from None

    @cached_property
    def latency_cycles(self) -> NDArray[np.int64]:
        """(n_shapes, n_cores) latency; -1 where the shape was not costed on that core."""
        out = np.full((self.n_shapes, len(self.core_names)), -1, dtype=np.int64)
        for (s, c), r in self.results.items():
            out[s, c] = r.latency_cycles
        return out

    @cached_property
    def energy_pj(self) -> NDArray[np.float64]:
        """(n_shapes, n_cores) on-chip + streamed energy; NaN where not costed."""
        out = np.full((self.n_shapes, len(self.core_names)), np.nan, dtype=np.float64)
        for (s, c), r in self.results.items():
            out[s, c] = r.energy_pj
        return out
