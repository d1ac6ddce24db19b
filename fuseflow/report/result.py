"""Make a Result from a schedule, save it (JSON + CSV tables), load and validate it again."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pydantic import ValidationError

from fuseflow.errors import InputError
from fuseflow.hardware.model import Accelerator
from fuseflow.hardware.topology import Topology, build_topology
from fuseflow.report.schema import (
    SCHEMA_VERSION,
    CnTable,
    CoreSummary,
    DramTraffic,
    Energy,
    LayerSummary,
    MemoryTrace,
    Result,
    RunInputs,
    Totals,
)
from fuseflow.report.summaries import resource_summaries, transfer_table
from fuseflow.report.tables import write_tables
from fuseflow.schedule.types import DRAM_ENDPOINT, Schedule, TransferKind
from fuseflow.tiling.graph import CNGraph

RESULT_FILE = "result.json"


def make_result(
    graph: CNGraph,
    acc: Accelerator,
    sched: Schedule,
    inputs: RunInputs,
    *,
    topology: Topology | None = None,
) -> Result:
    """Collect a schedule with its CN graph and accelerator into one serialisable Result."""
    topo = topology if topology is not None else build_topology(acc)
    latency = int(sched.latency_cycles)
    shape_macs = np.array([t.macs for t in graph.tile_layers], dtype=np.int64)
    cn_macs = shape_macs[graph.shape] if graph.n else np.zeros(0, dtype=np.int64)
    e = sched.energy
    return Result(
        workload=graph.workload.name,
        accelerator=acc.name,
        inputs=inputs,
        totals=Totals(
            latency_cycles=latency,
            energy_pj=e.total_pj,
            edp=sched.edp,
            n_cns=graph.n,
            n_transfers=sched.n_transfers,
            total_macs=int(cn_macs.sum()),
        ),
        energy=Energy(**dataclasses.asdict(e), total_pj=e.total_pj),
        dram=_dram_traffic(sched, topo),
        cores=_core_summaries(acc, sched, cn_macs, latency),
        resources=resource_summaries(sched, topo, latency),
        layers=_layer_summaries(graph, sched, cn_macs),
        cns=CnTable(
            layer=graph.layer.tolist(),
            tile=graph.tile.tolist(),
            group=graph.group.tolist(),
            core=sched.cn_core.tolist(),
            start_cycles=sched.cn_start.tolist(),
            end_cycles=sched.cn_end.tolist(),
            energy_pj=sched.cn_energy_pj.tolist(),
        ),
        transfers=transfer_table(graph, sched),
        memories=[
            MemoryTrace(
                name=m.name,
                cores=list(m.cores),
                capacity_bits=int(m.capacity_bits),
                peak_bits=m.peak_bits,
                times=m.times.tolist(),
                usage_bits=m.usage_bits.tolist(),
            )
            for m in sched.memories
        ],
    )


def save_result(result: Result, out_dir: str | Path) -> Path:
    """Write ``result.json`` and the CSV tables into ``out_dir``; return the JSON's path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / RESULT_FILE
    path.write_text(result.model_dump_json(), encoding="utf-8")
    write_tables(result, out)
    return path


def load_result(path: str | Path) -> Result:
    """Read and validate a result; a directory means its ``result.json``."""
    p = Path(path)
    if p.is_dir():
        p = p / RESULT_FILE
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("no such result file", where=str(p)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not a JSON file ({exc})", where=str(p)) from None
    if not isinstance(raw, dict) or "schema_version" not in raw:
        raise InputError("not a fuseflow result (no schema_version)", where=str(p))
    if raw["schema_version"] != SCHEMA_VERSION:
        raise InputError(
            f"schema_version {raw['schema_version']!r} is not supported "
            f"(this fuseflow reads version {SCHEMA_VERSION})",
            where=f"{p}: schema_version",
        )
    try:
        return Result.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise InputError(err["msg"], where=f"{p}: {loc}") from None


def _core_summaries(
    acc: Accelerator, sched: Schedule, cn_macs: NDArray[np.int64], latency: int
) -> list[CoreSummary]:
    n = len(acc.cores)
    dur = (sched.cn_end - sched.cn_start).astype(np.int64)
    busy = np.bincount(sched.cn_core, weights=dur, minlength=n)
    count = np.bincount(sched.cn_core, minlength=n)
    macs = np.bincount(sched.cn_core, weights=cn_macs, minlength=n)
    energy = np.bincount(sched.cn_core, weights=sched.cn_energy_pj, minlength=n)
    span = max(latency, 1)
    return [
        CoreSummary(
            name=c.name,
            kind=c.kind,
            n_macs=c.n_macs,
            n_cns=int(count[i]),
            busy_cycles=int(busy[i]),
            utilization=float(busy[i]) / span,
            mac_utilization=float(macs[i]) / (c.n_macs * span),
            energy_pj=float(energy[i]),
        )
        for i, c in enumerate(acc.cores)
    ]


def _layer_summaries(
    graph: CNGraph, sched: Schedule, cn_macs: NDArray[np.int64]
) -> list[LayerSummary]:
    out: list[LayerSummary] = []
    order = np.argsort(graph.layer, kind="stable")
    bounds = np.searchsorted(graph.layer[order], np.arange(len(graph.layers) + 1))
    for lid, name in enumerate(graph.layers):
        cns = order[bounds[lid] : bounds[lid + 1]]
        layer = graph.workload.layer(name)
        has = cns.size > 0
        out.append(
            LayerSummary(
                name=name,
                op_type=layer.op_type,
                source_index=layer.source_index,
                n_cns=int(cns.size),
                cores=np.unique(sched.cn_core[cns]).tolist(),
                start_cycles=int(sched.cn_start[cns].min()) if has else 0,
                end_cycles=int(sched.cn_end[cns].max()) if has else 0,
                macs=int(cn_macs[cns].sum()),
                energy_pj=float(sched.cn_energy_pj[cns].sum()),
            )
        )
    return out


def _dram_traffic(sched: Schedule, topo: Topology) -> DramTraffic:
    bits = sched.tr_bits
    dram_res = np.array([r.kind.startswith("dram") for r in topo.resources] + [False])
    counts = np.diff(sched.tr_res_ptr)
    owner = np.repeat(np.arange(sched.n_transfers), counts)
    via = np.zeros(sched.n_transfers, dtype=bool)
    np.logical_or.at(via, owner, dram_res[sched.tr_res] if sched.tr_res.size else [])
    on_chip = (sched.tr_src != DRAM_ENDPOINT) & (sched.tr_dst != DRAM_ENDPOINT)
    through = via & on_chip  # core to core through DRAM: written, then read back
    reads = (sched.tr_src == DRAM_ENDPOINT) | through
    writes = (sched.tr_dst == DRAM_ENDPOINT) | through
    by_kind: dict[str, int] = {}
    touches = reads | writes
    for kind in TransferKind:
        sel = touches & (sched.tr_kind == kind.value)
        if sel.any():
            by_kind[kind.name.lower()] = int(bits[sel].sum())
    return DramTraffic(
        read_bits=int(bits[reads].sum()), write_bits=int(bits[writes].sum()), bits_by_kind=by_kind
    )
