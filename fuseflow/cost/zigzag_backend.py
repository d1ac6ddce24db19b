"""Optional backend: the same interface as the analytical model, answered by zigzag-dse."""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from fuseflow.cost.analytical import DEFAULT_DRAM, _streamed, top_footprints
from fuseflow.cost.latency import port_of
from fuseflow.cost.nest import split_axes
from fuseflow.cost.result import CostResult, EnergyPart, LevelLoops, Mapping
from fuseflow.errors import InputError
from fuseflow.hardware.model import Core, Dram, MemoryLevel
from fuseflow.workload.layer import Layer, Role

MEM_OP = {"I": "I1", "W": "I2", "O": "O"}
DIRECTIONS = {"I": ("tl", "fh"), "W": ("tl", "fh"), "O": ("tl", "fh", "fl", "th")}


def layer_cost(layer: Layer, core: Core, *, dram: Dram | None = None) -> CostResult:
    """Cost of ``layer`` on ``core`` by ZigZag's LOMA search and cost model (needs zigzag-dse)."""
    try:
        from zigzag.api import get_hardware_performance_zigzag
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise InputError(
            "the zigzag backend needs zigzag-dse: pip install fuseflow[zigzag]"
        ) from exc
    if "W" not in layer.operands:
        raise InputError(f"layer {layer.name!r}: the zigzag backend needs a layer with I, W and O")
    streamed = _streamed(core, top_footprints(layer, core))
    with tempfile.TemporaryDirectory(prefix="fuseflow-zigzag-") as tmp, _quiet():
        acc_path, map_path = Path(tmp) / "core.yaml", Path(tmp) / "mapping.yaml"
        acc_path.write_text(
            yaml.safe_dump(core_to_zigzag(core, streamed, dram or DEFAULT_DRAM), sort_keys=False)
        )
        map_path.write_text(yaml.safe_dump(mapping_to_zigzag(core), sort_keys=False))
        _, _, cmes = get_hardware_performance_zigzag(
            workload=[layer_to_zigzag(layer)],
            accelerator=str(acc_path),
            mapping=str(map_path),
            opt="latency",
            dump_folder=str(Path(tmp) / "out"),
            lpf_limit=6,
            loma_show_progress_bar=False,
        )
    cme = cmes[0][1][0][0]  # the summed CME wraps the per-layer ones
    return _result(layer, core, cme, streamed)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(previous)


def layer_to_zigzag(layer: Layer) -> dict[str, Any]:
    """One ZigZag workload entry for the layer (dims, equation, relations, precisions)."""
    index = {d: i for i, d in enumerate(layer.dim_names)}
    names = layer.dim_names
    relations: list[str] = []
    idx: dict[Role, str] = {}
    for role in ("O", "W", "I"):
        operand = layer.operands.get(role)
        if operand is None:
            continue
        parts = []
        for axis in split_axes(operand, layer.sizes, index):
            if len(axis) == 1 and axis[0][1] == 1:
                parts.append(names[axis[0][0]].lower())
                continue
            if len(axis) != 2:
                raise InputError(f"layer {layer.name!r}: axis not expressible in ZigZag")
            new = f"{role.lower()}x{len(relations)}"
            (d1, c1), (d2, c2) = axis
            relations.append(f"{new}={c1}*{names[d1].lower()}+{c2}*{names[d2].lower()}")
            parts.append(new)
        idx[role] = "".join(f"[{p}]" for p in parts)
    return {
        "id": 0,
        "name": layer.name,
        "operator_type": "Conv" if layer.kind == "conv" else "Gemm",
        "equation": f"O{idx['O']}+=W{idx['W']}*I{idx['I']}",
        "dimension_relations": relations,
        "loop_dims": list(names),
        "loop_sizes": [s for _, s in layer.dims],
        "operand_precision": {
            "I": layer.operands["I"].precision_bits,
            "W": layer.operands["W"].precision_bits,
            "O": layer.partial_output_bits,
            "O_final": layer.operands["O"].precision_bits,
        },
        "operand_source": {"I": 0, "W": 0},
    }


def core_to_zigzag(core: Core, streamed: set[Role], dram: Dram) -> dict[str, Any]:
    """The core as a ZigZag accelerator (array dims renamed D1..Dn), DRAM on top if needed."""
    rename = {name: f"D{i + 1}" for i, (name, _) in enumerate(core.array)}
    memories = {m.name: _memory(m, rename, core) for m in core.memories}
    if streamed:
        from fuseflow.cost.analytical import _dram_level

        memories["dram"] = _memory(_dram_level(dram, streamed, core), rename, core)
    return {
        "name": core.name,
        "memories": memories,
        "operational_array": {
            "unit_energy": core.mac_energy_pj,
            "unit_area": 1.0,
            "dimensions": [rename[d] for d, _ in core.array],
            "sizes": [s for _, s in core.array],
        },
    }


def _memory(m: MemoryLevel, rename: dict[str, str], core: Core) -> dict[str, Any]:
    ports: dict[str, dict[str, Any]] = {}
    for role in ("I", "W", "O"):
        if role not in m.operands:
            continue
        for direction in DIRECTIONS[role]:
            name = port_of(m, direction)
            kind = {"r": "read", "w": "write"}.get(name[:-1], "read_write")
            read = direction in ("tl", "th")
            bw = m.read_bw_bits if read else m.write_bw_bits
            gran = m.min_read_bits if read else m.min_write_bits
            port = ports.setdefault(
                name,
                {
                    "name": f"{name[:-1]}_port_{name[-1]}",
                    "type": kind,
                    "bandwidth_min": gran if 0 < gran <= bw else bw,
                    "bandwidth_max": bw,
                    "allocation": [],
                },
            )
            port["allocation"].append(f"{MEM_OP[role]}, {direction}")
    return {
        "size": int(m.size_bits),
        "r_cost": float(m.read_energy_pj),
        "w_cost": float(m.write_energy_pj),
        "area": 0.0,
        "latency": 1,
        "operands": [MEM_OP[r] for r in ("I", "W", "O") if r in m.operands],
        "ports": list(ports.values()),
        "served_dimensions": [rename[d] for d in m.served_dims],
    }


def mapping_to_zigzag(core: Core) -> list[dict[str, Any]]:
    """The core's fixed spatial unrolling as ZigZag's default mapping entry."""
    rename = {name: f"D{i + 1}" for i, (name, _) in enumerate(core.array)}
    spatial = {rename[a]: [f"{d}, {f}" for d, f in loops] for a, loops in core.unrolling if loops}
    return [
        {
            "name": "default",
            "spatial_mapping": spatial,
            "memory_operand_links": {"O": "O", "W": "I2", "I": "I1"},
        }
    ]


def _result(layer: Layer, core: Core, cme: Any, streamed: set[Role]) -> CostResult:
    parts: list[EnergyPart] = []
    dram_pj = 0.0
    for layer_op, energies in cme.mem_energy_breakdown.items():
        role = _role(str(layer_op))
        levels = core.hierarchy(role) + (("dram",) if role in streamed else ())  # type: ignore[operator]
        for lv, e in zip(levels, energies, strict=False):
            name = lv if isinstance(lv, str) else lv.name
            parts.append(EnergyPart(role, name, float(e)))
            dram_pj += float(e) if name == "dram" else 0.0
    ideal = int(cme.ideal_temporal_cycle)
    stall = round(cme.stall_slack_comb)
    onload = round(cme.data_onloading_cycle)
    latency = round(cme.latency_total2)
    blocks = tuple(
        LevelLoops(_role(str(op)), f"level{lv}", tuple((str(d), int(s)) for d, s in loops))
        for op, per in cme.temporal_mapping.mapping_dic_stationary.items()
        for lv, loops in enumerate(per)
    )
    order: tuple[tuple[str, int], ...] = ()
    spatial = tuple((d, f) for _, loops in core.unrolling for d, f in loops)
    return CostResult(
        core=core.name,
        macs=layer.macs,
        latency_cycles=latency,
        ideal_cycles=ideal,
        stall_cycles=stall,
        onload_cycles=onload,
        offload_cycles=latency - ideal - stall - onload,
        energy_pj=float(cme.energy_total),
        mac_energy_pj=float(cme.mac_energy),
        memory_energy=tuple(parts),
        spatial_utilization=float(cme.mac_spatial_utilization),
        utilization=layer.macs / (core.n_macs * latency),
        top_footprint_bits=tuple(top_footprints(layer, core).items()),
        streamed_operands=tuple(r for r in ("I", "W", "O") if r in streamed),
        dram_energy_pj=dram_pj,
        mapping=Mapping(spatial=spatial, loop_order=order, levels=blocks),
    )


def _role(layer_op: str) -> Role:
    return {"I": "I", "W": "W", "O": "O"}[layer_op.split(".")[-1][0]]
