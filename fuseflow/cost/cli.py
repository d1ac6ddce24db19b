"""`fuseflow cost MODEL --hardware FILE`: every layer as one CN on each chosen core."""

from __future__ import annotations

import argparse
import importlib.util
import json
from typing import Any

from fuseflow.cost.build import CostFn, cost_each
from fuseflow.cost.result import CostResult
from fuseflow.errors import InfeasibleError, InputError
from fuseflow.hardware.load import load_accelerator
from fuseflow.hardware.model import Accelerator, Core
from fuseflow.workload.layer import Layer
from fuseflow.workload.load import load_workload


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add this step's sub-commands to the `fuseflow` parser."""
    p = subparsers.add_parser("cost", help="latency and energy of each layer on each core")
    p.add_argument("model", help="an .onnx file, a workload YAML or zoo:NAME")
    p.add_argument("--hardware", required=True, help="system or single-core YAML, or library name")
    p.add_argument("--core", action="append", default=[], metavar="NAME",
                   help="cost on this core only (repeatable; default: every core)")  # fmt: skip
    p.add_argument("--backend", choices=("analytical", "zigzag"), default="analytical",
                   help="fuseflow's analytical model (default) or zigzag-dse")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the cost cache")
    p.set_defaults(handler=_cost)


def _cost(args: argparse.Namespace) -> int:
    cost_fn, version = _backend(args.backend)
    workload = load_workload(args.model)
    acc = load_accelerator(args.hardware)
    cores = _cores(acc, args.core, args.hardware)
    jobs = [(layer, core) for layer in workload.layers for core in cores]
    results = cost_each(
        jobs, acc.dram, cache=not args.no_cache, cost_fn=cost_fn, version=version
    )  # every job in one call: the analytical model evaluates them together
    rows = [_row(layer, core, r) for (layer, core), r in zip(jobs, results, strict=True)]
    if args.json:
        print(json.dumps({"backend": args.backend, "layers": rows}, indent=1))
    else:
        _print_table(rows)
    return 0


def _cores(acc: Accelerator, names: list[str], where: str) -> list[Core]:
    if not names:
        return list(acc.cores)
    known = acc.core_index
    for name in names:
        if name not in known:
            raise InputError(
                f"no core {name!r} (cores: {', '.join(acc.core_names)})", where=f"{where}: --core"
            )
    return [acc.cores[known[n]] for n in names]


def _backend(name: str) -> tuple[CostFn, str]:
    if name == "analytical":
        from fuseflow.cost.analytical import MODEL_VERSION, layer_cost

        return layer_cost, MODEL_VERSION
    if importlib.util.find_spec("zigzag") is None:
        raise InputError(
            "--backend zigzag needs zigzag-dse: pip install 'fuseflow[zigzag]'", where="--backend"
        )
    from importlib.metadata import version

    from fuseflow.cost import zigzag_backend

    return zigzag_backend.layer_cost, f"zigzag-{version('zigzag-dse')}"


def _row(layer: Layer, core: Core, r: CostResult | InfeasibleError) -> dict[str, Any]:
    head: dict[str, Any] = {"name": layer.name, "op_type": layer.op_type, "core": core.name}
    if isinstance(r, InfeasibleError):
        return {**head, "error": str(r)}
    return {**head, **result_dict(r)}


def result_dict(r: CostResult) -> dict[str, Any]:
    """The figures of one cost result as plain JSON-able values."""
    energy: dict[str, float] = {"mac": r.mac_energy_pj}
    for part in r.memory_energy:
        key = f"{part.operand}@{part.level}"
        energy[key] = energy.get(key, 0.0) + part.energy_pj
    return {
        "macs": r.macs,
        "latency_cycles": r.latency_cycles,
        "ideal_cycles": r.ideal_cycles,
        "stall_cycles": r.stall_cycles,
        "onload_cycles": r.onload_cycles,
        "offload_cycles": r.offload_cycles,
        "energy_pj": r.energy_pj,
        "energy_breakdown_pj": energy,
        "spatial_utilization": r.spatial_utilization,
        "utilization": r.utilization,
        "top_footprint_bits": dict(r.top_footprint_bits),
        "streamed_operands": list(r.streamed_operands),
        "dram_bw_bits": r.dram_bw_bits,
        "mapping": r.mapping.describe() if r.mapping is not None else None,
    }


def _print_table(rows: list[dict[str, Any]]) -> None:
    head = ("layer", "op", "core", "latency", "ideal", "stall", "on", "off", "energy_pj",
            "util", "spat", "top I/W/O kbit", "streamed")  # fmt: skip
    lines = [head]
    for r in rows:
        if "error" in r:
            lines.append((r["name"], r["op_type"], r["core"], "-", "", "", "", "", "", "", "", "",
                          r["error"]))  # fmt: skip
            continue
        foot = r["top_footprint_bits"]
        kbit = "/".join(f"{foot[k] / 1000:.0f}" if k in foot else "-" for k in ("I", "W", "O"))
        streamed = ",".join(r["streamed_operands"])
        if streamed:
            streamed += f" @{r['dram_bw_bits']:.1f} b/cyc"
        lines.append((r["name"], r["op_type"], r["core"], str(r["latency_cycles"]),
                      str(r["ideal_cycles"]), str(r["stall_cycles"]), str(r["onload_cycles"]),
                      str(r["offload_cycles"]), f"{r['energy_pj']:.4g}",
                      f"{r['utilization']:.2f}", f"{r['spatial_utilization']:.2f}", kbit,
                      streamed))  # fmt: skip
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    for line in lines:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
