"""The costs of the candidates of many (layer, core) jobs, evaluated in one stacked pass per
memory hierarchy: every quantity is computed per candidate, so stacking is exact."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from fuseflow.cost.candidates import Candidates
from fuseflow.cost.latency import loading_cycles, stall_cycles
from fuseflow.cost.nest import Nest
from fuseflow.cost.plan import Plan, plan_of
from fuseflow.cost.result import CostResult, EnergyPart, LevelLoops, Mapping
from fuseflow.cost.traffic import OperandLevels
from fuseflow.cost.transfers import Stack, Transfers, double_buffered, energy_parts, transfers

Arr = NDArray[np.float64]


def evaluate(jobs: list[Candidates]) -> list[CostResult]:
    """The best mapping of each job and its cost, in order (jobs of one hierarchy are
    evaluated together)."""
    groups: dict[int, tuple[Plan, list[int]]] = {}
    for k, job in enumerate(jobs):
        plan = plan_of(job.nest)
        groups.setdefault(id(plan), (plan, []))[1].append(k)
    out: list[CostResult | None] = [None] * len(jobs)
    for plan, members in groups.values():
        for k, result in zip(members, _evaluate(plan, [jobs[k] for k in members]), strict=True):
            out[k] = result
    return [r for r in out if r is not None]


def _evaluate(plan: Plan, jobs: list[Candidates]) -> list[CostResult]:
    st = stack(plan, jobs)
    tr = transfers(plan, st, double_buffered(plan, st))
    units = np.concatenate([np.concatenate([op.units for op in j.nest.operands]) for j in jobs])
    n_cols = plan.n_cols
    unit_rows = np.ascontiguousarray(units.reshape(len(jobs), n_cols)[st.seg][:, plan.row_col].T)
    parts = energy_parts(plan, tr, unit_rows)
    mac = np.array([j.layer.macs * j.core.mac_energy_pj for j in jobs])[st.seg]
    energy = mac + np.sum(parts, axis=0)
    t_cycles = np.array([float(j.nest.temporal_cycles) for j in jobs])[st.seg]
    stall = stall_cycles(plan, tr, t_cycles)
    onload, offload = loading_cycles(plan, tr, t_cycles + stall)
    latency = np.ceil(t_cycles + stall + onload + offload - 1e-9)
    valid = np.concatenate([j.valid for j in jobs])
    latency = np.where(valid, latency, np.inf)
    order = np.lexsort((np.where(valid, energy, np.inf), latency, st.seg))
    starts = np.cumsum([0, *(len(j.valid) for j in jobs)])[:-1]
    picked = order[starts]  # the first of each job's run: its best candidate
    figures = (latency, stall, onload, energy, parts)
    return [
        _result(plan, job, int(g), int(g - s), figures, tr)
        for job, g, s in zip(jobs, picked, starts, strict=True)
    ]


def stack(plan: Plan, jobs: list[Candidates]) -> Stack:
    """The jobs' candidates one after another, their per-level quantities side by side."""
    n_ops = len(plan.roles)

    def side_by_side(get: str) -> Arr:
        return np.concatenate(
            [np.concatenate([getattr(j.levels[o], get) for j in jobs]) for o in range(n_ops)],
            axis=1,
        )

    seg = np.repeat(np.arange(len(jobs)), [len(j.valid) for j in jobs])
    psum = np.concatenate(
        [np.concatenate([_psums(j.nest, j.levels[o]) for j in jobs]) for o in range(n_ops)],
        axis=1,
    )
    mac_st = np.stack(
        [np.concatenate([j.levels[o].mac_stationary for j in jobs]) for o in range(n_ops)],
        axis=1,
    )
    per_job = [[op for op in j.nest.operands] for j in jobs]
    boost = np.array([np.concatenate([op.boost for op in ops]) for ops in per_job])[seg]
    boost_int = np.array([np.concatenate([op.boost_int for op in ops]) for ops in per_job])[seg]
    bits = np.array([[op.bits for op in ops] for ops in per_job], dtype=np.int64)[seg]
    final = np.array([[op.final_bits for op in ops] for ops in per_job], dtype=np.int64)[seg]
    total = np.concatenate([j.nest.total[:, -1] for j in jobs])
    return Stack(
        seg, side_by_side("data"), side_by_side("data_int"), side_by_side("data_bits"),
        side_by_side("period"), side_by_side("top_ir"), side_by_side("top_r"), psum, mac_st,
        boost, boost_int, bits, final, total,
    )  # fmt: skip


def _psums(nest: Nest, ol: OperandLevels) -> NDArray[np.bool_]:
    """(P, L): for outputs, at level l whether data above level l - 1 (from position
    ``cuts[l - 1]``, 0 below the lowest level) still gets reduced; False for inputs."""
    n_perm, n = nest.perm_dim.shape
    if ol.op.role != "O":
        return np.zeros(ol.cuts.shape, dtype=bool)
    red_next = nest.next_mark(nest.reduction)
    starts = np.concatenate([np.zeros((n_perm, 1), np.int64), ol.cuts[:, :-1]], axis=1)
    red = red_next.take(starts + np.arange(n_perm)[:, None] * (n + 1)) < n
    return red | ol.op.red_spatial_above[None, : red.shape[1]]


def _result(
    plan: Plan,
    job: Candidates,
    g: int,
    best: int,
    figures: tuple[Arr, Arr, Arr, Arr, Arr],
    tr: Transfers,
) -> CostResult:
    """The result of one job whose best candidate is row ``g`` of the stack (``best`` of its
    own candidates)."""
    latency, stall, onload, energy, parts = figures
    layer, core, nest = job.layer, job.core, job.nest
    t_cycles = float(nest.temporal_cycles)
    dram_rows = [
        a for a, m in enumerate(plan.mem) if m.name == "dram" and plan.role[a] in job.streamed
    ]
    dram_bits = sum(float(tr.amount[a, g] * tr.bits[a, g] * tr.count[a, g]) for a in dram_rows)
    lat = int(latency[g])
    stall_c = math.ceil(float(stall[g]) - 1e-9)
    onload_c = math.ceil(float(onload[g]) - 1e-9)
    part_e = [float(e) for e in parts[:, g]]
    return CostResult(
        core=core.name,
        macs=layer.macs,
        latency_cycles=lat,
        ideal_cycles=int(t_cycles),
        stall_cycles=stall_c,
        onload_cycles=onload_c,
        offload_cycles=lat - int(t_cycles) - stall_c - onload_c,
        energy_pj=float(energy[g]),
        mac_energy_pj=layer.macs * core.mac_energy_pj,
        memory_energy=tuple(
            EnergyPart(r, m, e) for (r, m), e in zip(plan.parts, part_e, strict=True)
        ),
        spatial_utilization=layer.macs / (core.n_macs * t_cycles),
        utilization=layer.macs / (core.n_macs * lat),
        top_footprint_bits=tuple(job.footprint.items()),
        streamed_operands=tuple(r for r in ("I", "W", "O") if r in job.streamed),
        dram_bw_bits=dram_bits / lat if lat else 0.0,
        dram_energy_pj=sum(
            (e for (_, m), e in zip(plan.parts, part_e, strict=True) if m == "dram"), 0.0
        ),
        mapping=_mapping(nest, job.levels, best),
    )


def _mapping(nest: Nest, levels: list[OperandLevels], best: int) -> Mapping:
    order = tuple(
        (nest.dims[int(d)], int(s))
        for d, s in zip(nest.perm_dim[best], nest.perm_size[best], strict=True)
    )
    blocks = []
    for ol in levels:
        start = 0
        for lv, mem in enumerate(ol.op.levels):
            stop = int(ol.cuts[best, lv])
            blocks.append(LevelLoops(ol.op.role, mem.name, order[start:stop]))
            start = stop
    return Mapping(spatial=nest.spatial, loop_order=order, levels=tuple(blocks))
