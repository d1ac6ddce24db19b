"""CSV tables beside result.json: cns, transfers, layers, cores and resources (names, not ids)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from fuseflow.report.schema import Result

DRAM_NAME = "DRAM"


def write_tables(result: Result, out_dir: Path) -> list[Path]:
    """Write cns.csv, transfers.csv, layers.csv, cores.csv and resources.csv; return paths."""
    writers = {
        "cns.csv": _cn_rows,
        "transfers.csv": _transfer_rows,
        "layers.csv": _layer_rows,
        "cores.csv": _core_rows,
        "resources.csv": _resource_rows,
    }
    paths = []
    for name, rows in writers.items():
        path = out_dir / name
        with path.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows(result))
        paths.append(path)
    return paths


def endpoint_name(result: Result, index: int) -> str:
    """A transfer endpoint by name: a core, or DRAM for -1."""
    return DRAM_NAME if index < 0 else result.cores[index].name


def _header(columns: str) -> list[str]:
    return columns.split(" ")


def _cn_rows(r: Result) -> Iterable[Sequence[object]]:
    c = r.cns
    layers = [layer.name for layer in r.layers]
    cores = [core.name for core in r.cores]
    yield _header("cn layer tile group core start_cycles end_cycles energy_pj")
    cols = (c.layer, c.tile, c.group, c.core, c.start_cycles, c.end_cycles, c.energy_pj)
    for i, (lid, tile, group, core, start, end, energy) in enumerate(zip(*cols, strict=True)):
        yield (i, layers[lid], tile, group, cores[core], start, end, repr(energy))


def _transfer_rows(r: Result) -> Iterable[Sequence[object]]:
    t = r.transfers
    res_names = [res.name for res in r.resources]
    ends = [endpoint_name(r, i) for i in range(-1, len(r.cores))]  # endpoint index + 1
    ptr = t.res_ptr
    yield _header("transfer kind tensor src dst start_cycles end_cycles bits bw_bits resources")
    cols = (t.kind, t.tensor_label, t.src, t.dst, t.start_cycles, t.end_cycles, t.bits, t.bw_bits)
    for i, (kind, label, src, dst, start, end, bits, bw) in enumerate(zip(*cols, strict=True)):
        route = ";".join([res_names[x] for x in t.res[ptr[i] : ptr[i + 1]]])
        yield (i, kind, label, ends[src + 1], ends[dst + 1], start, end, bits, bw, route)


def _layer_rows(r: Result) -> Iterable[Sequence[object]]:
    yield _header("layer op_type onnx_index n_cns cores start_cycles end_cycles macs energy_pj")
    for x in r.layers:
        cores = ";".join(r.cores[c].name for c in x.cores)
        src = "" if x.source_index is None else x.source_index
        times = (x.start_cycles, x.end_cycles)
        yield (x.name, x.op_type, src, x.n_cns, cores, *times, x.macs, x.energy_pj)


def _core_rows(r: Result) -> Iterable[Sequence[object]]:
    yield _header("core kind n_macs n_cns busy_cycles utilization mac_utilization energy_pj")
    for c in r.cores:
        util = (f"{c.utilization:.6f}", f"{c.mac_utilization:.6f}")
        yield (c.name, c.kind, c.n_macs, c.n_cns, c.busy_cycles, *util, c.energy_pj)


def _resource_rows(r: Result) -> Iterable[Sequence[object]]:
    yield _header("resource kind bandwidth_bits n_transfers bits busy_cycles utilization")
    for x in r.resources:
        util = f"{x.utilization:.6f}"
        yield (x.name, x.kind, x.bandwidth_bits, x.n_transfers, x.bits, x.busy_cycles, util)
