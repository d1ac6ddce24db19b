"""A Chrome/Perfetto trace (JSON) of a saved result: one track per core, link, bus, DRAM port.

Timestamps are cycles written as microseconds (1 µs in the viewer = 1 cycle). Overlapping
transfers on one resource (bandwidth sharing) go to separate lanes so slices nest properly.
Memory usage appears as counter tracks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from fuseflow.report.bars import Bars, timeline_bars, timeline_rows
from fuseflow.report.schema import Result
from fuseflow.report.summaries import KIND_NAMES
from fuseflow.report.tables import endpoint_name

PERFETTO_FILE = "trace.perfetto.json"
PID_CORES, PID_INTERCONNECT, PID_DRAM, PID_MEMORY = 1, 2, 3, 4
PROCESS_NAMES = {
    PID_CORES: "Cores",
    PID_INTERCONNECT: "Links and buses",
    PID_DRAM: "DRAM ports",
    PID_MEMORY: "Top-level memories",
}


def perfetto_trace(result: Result) -> dict[str, Any]:
    rows = timeline_rows(result)
    cn, tr = timeline_bars(result, rows, max_bars=10**9)  # every CN and transfer, unmerged
    events: list[dict[str, Any]] = []
    for pid, name in PROCESS_NAMES.items():
        events.append({"ph": "M", "name": "process_name", "pid": pid, "args": {"name": name}})
        events.append(
            {"ph": "M", "name": "process_sort_index", "pid": pid, "args": {"sort_index": pid}}
        )
    lanes = _lanes(tr)
    threads: dict[tuple[int, int], str] = {}
    for row, label in enumerate(rows.labels):
        pid = _pid(rows.kinds[row])
        for lane in range(1 if row < len(result.cores) else int(lanes[tr.row == row].max()) + 1):
            suffix = f" #{lane + 1}" if lane else ""
            threads[(pid, row * 64 + lane)] = label + suffix
    for (pid, tid), name in threads.items():
        events.append(
            {"ph": "M", "name": "thread_name", "pid": pid, "tid": tid, "args": {"name": name}}
        )
        events.append(
            {
                "ph": "M",
                "name": "thread_sort_index",
                "pid": pid,
                "tid": tid,
                "args": {"sort_index": tid},
            }
        )
    events += _cn_events(result, cn)
    events += _transfer_events(result, rows.kinds, tr, lanes)
    events += _memory_events(result)
    tot = result.totals
    other = {
        "workload": result.workload,
        "accelerator": result.accelerator,
        "time_unit": "cycle",
        "latency_cycles": tot.latency_cycles,
        "energy_pj": tot.energy_pj,
        "edp": tot.edp,
    }
    return {"traceEvents": events, "displayTimeUnit": "ns", "otherData": other}


def write_perfetto(result: Result, out_dir: str | Path) -> Path:
    path = Path(out_dir) / PERFETTO_FILE
    path.write_text(json.dumps(perfetto_trace(result), separators=(",", ":")), encoding="utf-8")
    return path


def _pid(kind: str) -> int:
    if kind == "core":
        return PID_CORES
    return PID_DRAM if kind.startswith("dram") else PID_INTERCONNECT


def _lanes(tr: Bars) -> np.ndarray:
    """Lane per transfer bar so that bars sharing a lane of a row never overlap."""
    lanes = np.zeros(tr.n, dtype=np.int64)
    order = np.lexsort((tr.start, tr.row)).tolist()
    rows, starts, ends = tr.row.tolist(), tr.start.tolist(), tr.end.tolist()
    lane_end: list[int] = []
    row = -1
    for i in order:
        if rows[i] != row:
            row, lane_end = rows[i], []
        lane = next((k for k, e in enumerate(lane_end) if e <= starts[i]), len(lane_end))
        if lane == len(lane_end):
            lane_end.append(0)
        lane_end[lane] = ends[i]
        lanes[i] = min(lane, 63)
    return lanes


def _cn_events(result: Result, cn: Bars) -> list[dict[str, Any]]:
    c = result.cns
    names = [la.name for la in result.layers]
    out = []
    for k, start, end, row in zip(
        cn.first.tolist(), cn.start.tolist(), cn.end.tolist(), cn.row.tolist(), strict=True
    ):
        layer, tile = names[c.layer[k]], c.tile[k]
        args = {"layer": layer, "tile": tile, "cn": k, "energy_pj": c.energy_pj[k]}
        out.append(
            {
                "ph": "X",
                "name": f"{layer} [{tile}]",
                "cat": "compute",
                "ts": start,
                "dur": end - start,
                "pid": PID_CORES,
                "tid": row * 64,
                "args": args,
            }
        )
    return out


def _transfer_events(
    result: Result, kinds: tuple[str, ...], tr: Bars, lanes: np.ndarray
) -> list[dict[str, Any]]:
    t = result.transfers
    pid_of_row = [_pid(k) for k in kinds]
    ends = [endpoint_name(result, i) for i in range(-1, len(result.cores))]  # index + 1
    cols = (
        tr.first.tolist(),
        tr.row.tolist(),
        tr.kind.tolist(),
        tr.start.tolist(),
        tr.end.tolist(),
        lanes.tolist(),
    )
    out = []
    for k, row, kind_code, start, end, lane in zip(*cols, strict=True):
        kind, label = KIND_NAMES[kind_code], t.tensor_label[k]
        args = {
            "tensor": label,
            "src": ends[t.src[k] + 1],
            "dst": ends[t.dst[k] + 1],
            "bits": t.bits[k],
            "bw_bits": t.bw_bits[k],
            "transfer": k,
        }
        out.append(
            {
                "ph": "X",
                "name": f"{kind}: {label}",
                "cat": kind,
                "ts": start,
                "dur": end - start,
                "pid": pid_of_row[row],
                "tid": row * 64 + lane,
                "args": args,
            }
        )
    return out


def _memory_events(result: Result) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m in result.memories:
        for ts, bits in zip(m.times, m.usage_bits, strict=True):
            out.append(
                {
                    "ph": "C",
                    "name": f"{m.name} (KiB)",
                    "pid": PID_MEMORY,
                    "ts": ts,
                    "args": {"used": bits / 8192},
                }
            )
    return out
