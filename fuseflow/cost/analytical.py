"""The analytical cost model: latency and energy of one layer tile on one core."""

from __future__ import annotations

from collections.abc import Sequence

from fuseflow.cost.batch import evaluate
from fuseflow.cost.candidates import (
    Candidates,
    candidates,
    candidates_each,
    dram_level,
    top_footprints,
)
from fuseflow.cost.nest import footprint
from fuseflow.cost.result import CostResult
from fuseflow.errors import InfeasibleError
from fuseflow.hardware.model import Core, Dram
from fuseflow.workload.layer import Layer

MODEL_VERSION = "analytical-5"
# DRAM assumed when none is given (ZigZag's shipped DRAM: 64 bits/cycle, 700/750 pJ per word)
DEFAULT_DRAM = Dram("dram", 10**10, 64, 64, 700.0, 750.0)


def layer_cost(layer: Layer, core: Core, *, dram: Dram | None = None) -> CostResult:
    """Latency and energy of ``layer`` (one CN) on ``core``, its data starting in the core's
    top-level memories; operands that do not fit there stream from ``dram``.

    Hand-checked examples: tests/cost/test_analytical.py.
    """
    return evaluate([candidates(layer, core, dram or DEFAULT_DRAM)])[0]


def layer_costs(
    jobs: Sequence[tuple[Layer, Core]], *, dram: Dram | None = None
) -> list[CostResult | InfeasibleError]:
    """:func:`layer_cost` of each (layer, core) job, or the error it raises; the same results
    as one call per job, with the loop orders of jobs sharing a memory hierarchy searched,
    and their candidates evaluated, in stacked passes (much less per-call overhead)."""
    searched = candidates_each(jobs, dram or DEFAULT_DRAM)
    found = [c for c in searched if isinstance(c, Candidates)]
    costs = iter(evaluate(found))
    return [c if isinstance(c, InfeasibleError) else next(costs) for c in searched]


__all__ = [
    "DEFAULT_DRAM",
    "MODEL_VERSION",
    "dram_level",
    "footprint",
    "layer_cost",
    "layer_costs",
    "top_footprints",
]
