"""Rebuild the Schedule a saved Result describes (for the independent validator)."""

from __future__ import annotations

import numpy as np

from fuseflow.report.schema import Result
from fuseflow.report.summaries import KIND_NAMES, TENSOR_KIND_NAMES
from fuseflow.schedule.types import EnergyBreakdown, MemoryTimeline, Schedule


def schedule_from_result(result: Result) -> Schedule:
    """The Schedule arrays exactly as saved (energy parts, CNs, transfers, memory traces)."""
    e, c, t = result.energy, result.cns, result.transfers
    kind_code = {name: i for i, name in enumerate(KIND_NAMES)}
    tensor_code = {name: i for i, name in enumerate(TENSOR_KIND_NAMES)}
    return Schedule(
        latency_cycles=result.totals.latency_cycles,
        energy=EnergyBreakdown(**e.model_dump(exclude={"total_pj"})),
        cn_core=np.asarray(c.core, dtype=np.int32),
        cn_start=np.asarray(c.start_cycles, dtype=np.int64),
        cn_end=np.asarray(c.end_cycles, dtype=np.int64),
        cn_energy_pj=np.asarray(c.energy_pj, dtype=np.float64),
        tr_kind=np.asarray([kind_code[k] for k in t.kind], dtype=np.int8),
        tr_tensor_kind=np.asarray([tensor_code[k] for k in t.tensor_kind], dtype=np.int8),
        tr_tensor=np.asarray(t.tensor, dtype=np.int64),
        tr_src=np.asarray(t.src, dtype=np.int32),
        tr_dst=np.asarray(t.dst, dtype=np.int32),
        tr_start=np.asarray(t.start_cycles, dtype=np.int64),
        tr_end=np.asarray(t.end_cycles, dtype=np.int64),
        tr_bits=np.asarray(t.bits, dtype=np.int64),
        tr_bw_bits=np.asarray(t.bw_bits, dtype=np.float64),
        tr_res_ptr=np.asarray(t.res_ptr, dtype=np.int64),
        tr_res=np.asarray(t.res, dtype=np.int32),
        memories=tuple(
            MemoryTimeline(
                name=m.name,
                cores=tuple(m.cores),
                capacity_bits=m.capacity_bits,
                times=np.asarray(m.times, dtype=np.int64),
                usage_bits=np.asarray(m.usage_bits, dtype=np.int64),
            )
            for m in result.memories
        ),
    )
