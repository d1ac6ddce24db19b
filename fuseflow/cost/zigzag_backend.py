"""Optional backend: the same interface as the analytical model, answered by zigzag-dse."""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from fuseflow.cost.analytical import DEFAULT_DRAM, dram_level, top_footprints
from fuseflow.cost.latency import port_of
from fuseflow.cost.nest import spatial_factors
from fuseflow.cost.result import CostResult, EnergyPart, LevelLoops, Mapping
from fuseflow.errors import InfeasibleError, InputError
from fuseflow.hardware.model import Core, Dram, MemoryLevel
from fuseflow.workload.layer import Layer, Operand, Role

# ZigZag's LOMA permutes at most this many temporal loop prime factors (never fewer than the
# number of temporal dims, ZigZag's own floor). 6 is ZigZag's default and the analytical
# model's limit, so both search the same loop orders.
LPF_LIMIT = 6
MEM_OP: dict[Role, str] = {"I": "I1", "W": "I2", "O": "O"}
DIRECTIONS: dict[Role, tuple[str, ...]] = {
    "I": ("tl", "fh"),
    "W": ("tl", "fh"),
    "O": ("tl", "fh", "fl", "th"),
}
INSTALL_HINT = "the zigzag backend needs zigzag-dse: pip install fuseflow[zigzag]"


def layer_cost(
    layer: Layer,
    core: Core,
    *,
    dram: Dram | None = None,
    lpf_limit: int = LPF_LIMIT,
    loop_order: Sequence[tuple[str, int]] | None = None,
) -> CostResult:
    """Cost of ``layer`` on ``core`` by ZigZag's LOMA search and cost model (needs zigzag-dse).

    Operands that do not fit the core's top-level memory stream from ``dram``, as in the
    analytical model. ``loop_order`` (temporal loops, innermost first, e.g. the analytical
    model's ``Mapping.loop_order``) skips the search and evaluates that one order.
    """
    stages = _zigzag_stages()
    if "W" not in layer.operands or layer.kind not in ("conv", "gemm"):
        raise InfeasibleError(
            f"layer {layer.name!r}: the zigzag backend costs Conv/Gemm/MatMul layers only "
            f"(ZigZag's front end treats {layer.op_type} as free)"
        )
    failure: Exception | None = None
    for streamed in streaming_options(layer, core):
        try:
            cme = _run(stages, layer, core, streamed, dram or DEFAULT_DRAM, lpf_limit, loop_order)
        except Exception as exc:  # ZigZag signals unmappable input with assorted exceptions
            failure = exc
            continue
        return _result(layer, core, cme, streamed, dram or DEFAULT_DRAM)
    raise InfeasibleError(
        f"zigzag-dse found no mapping of layer {layer.name!r} on core {core.name!r} "
        f"({type(failure).__name__}: {failure})"
    ) from failure


def _run(
    stages: dict[str, Any],
    layer: Layer,
    core: Core,
    streamed: set[Role],
    dram: Dram,
    lpf_limit: int,
    loop_order: Sequence[tuple[str, int]] | None,
) -> Any:
    """ZigZag's best cost model evaluation (CME) of the layer on the core."""
    acc = core_to_zigzag(core, streamed, dram)
    with tempfile.TemporaryDirectory(prefix="fuseflow-zigzag-") as tmp, _quiet():
        acc_path, map_path = Path(tmp) / "core.yaml", Path(tmp) / "mapping.yaml"
        acc_path.write_text(yaml.safe_dump(acc, sort_keys=False))
        map_path.write_text(yaml.safe_dump(mapping_to_zigzag(core, loop_order), sort_keys=False))
        main = stages["MainStage"](
            [stages[name] for name in STAGE_ORDER],
            workload=[layer_to_zigzag(layer)],
            accelerator=str(acc_path),
            mapping=str(map_path),
            dump_folder=str(Path(tmp) / "out"),
            loma_lpf_limit=lpf_limit,
            loma_show_progress_bar=False,
            nb_mappings_generated=1,
            enable_mix_spatial_mapping_generation=False,
            access_same_data_considered_as_no_access=True,
            temporal_mapping_type=stages["TemporalMappingType"]("uneven"),
        )
        return main.run()[0][0]


# Only the stages that search and evaluate: no save, pickle or visualisation stage, so ZigZag
# writes no file and never imports its plotting stack.
STAGE_ORDER = (
    "WorkloadParserStage",
    "AcceleratorParserStage",
    "WorkloadStage",
    "MinimalLatencyStage",
    "SpatialMappingGeneratorStage",
    "MinimalLatencyStage",
    "TemporalMappingGeneratorStage",
    "CostModelStage",
)


def _zigzag_stages() -> dict[str, Any]:
    try:
        from zigzag.mapping.temporal_mapping import TemporalMappingType
        from zigzag.stages.evaluation.cost_model_evaluation import CostModelStage
        from zigzag.stages.main import MainStage
        from zigzag.stages.mapping.spatial_mapping_generation import SpatialMappingGeneratorStage
        from zigzag.stages.mapping.temporal_mapping_generator_stage import (
            TemporalMappingGeneratorStage,
        )
        from zigzag.stages.parser.accelerator_parser import AcceleratorParserStage
        from zigzag.stages.parser.workload_parser import WorkloadParserStage
        from zigzag.stages.results.reduce_stages import MinimalLatencyStage
        from zigzag.stages.workload_iterator import WorkloadStage
    except ImportError as exc:
        raise InputError(f"{INSTALL_HINT} ({exc})") from exc
    return {
        "TemporalMappingType": TemporalMappingType,
        "CostModelStage": CostModelStage,
        "MainStage": MainStage,
        "SpatialMappingGeneratorStage": SpatialMappingGeneratorStage,
        "TemporalMappingGeneratorStage": TemporalMappingGeneratorStage,
        "AcceleratorParserStage": AcceleratorParserStage,
        "WorkloadParserStage": WorkloadParserStage,
        "MinimalLatencyStage": MinimalLatencyStage,
        "WorkloadStage": WorkloadStage,
    }


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(previous)


def streaming_options(layer: Layer, core: Core) -> list[set[Role]]:
    """The operand sets streamed from DRAM, in the order tried (as the analytical model):
    what does not fit with outputs as finals, then with outputs as partial sums, then all."""
    out: list[set[Role]] = []
    for option in (
        streamed_operands(layer, core),
        streamed_operands(layer, core, partial_outputs=True),
        set(layer.operands),
    ):
        if option not in out:
            out.append(option)
    return out


def streamed_operands(layer: Layer, core: Core, *, partial_outputs: bool = False) -> set[Role]:
    """Operands whose whole tile does not fit the top-level memory next to the smaller ones
    sharing it: they stream from DRAM."""
    foot = top_footprints(layer, core, partial_outputs=partial_outputs)
    out: set[Role] = set()
    shared: dict[str, list[Role]] = {}
    for role in foot:
        shared.setdefault(core.top_memory(role).name, []).append(role)
    for roles in shared.values():
        room = core.top_memory(roles[0]).size_bits
        for role in sorted(roles, key=lambda r: (foot[r], r)):
            if foot[role] <= room:
                room -= foot[role]
            else:
                out.add(role)
    return out


def layer_to_zigzag(layer: Layer) -> dict[str, Any]:
    """One ZigZag workload entry for the layer (dims, equation, relations, precisions)."""
    relations: list[str] = []
    idx: dict[Role, str] = {}
    for role in ("O", "W", "I"):
        parts = []
        for terms in _axes(layer.operands[role], layer.sizes):
            if len(terms) == 1 and terms[0][1] == 1:
                parts.append(terms[0][0].lower())
                continue
            if len(terms) != 2:
                raise InfeasibleError(f"layer {layer.name!r}: an axis ZigZag cannot express")
            new = f"{role.lower()}x{len(relations)}"
            (d1, c1), (d2, c2) = terms
            relations.append(f"{new}={c1}*{d1.lower()}+{c2}*{d2.lower()}")
            parts.append(new)
        idx[role] = "".join(f"[{p}]" for p in parts)
    return {
        "id": 0,
        "name": layer.name,
        "operator_type": "Conv" if layer.kind == "conv" else "Gemm",
        "equation": f"O{idx['O']}+=W{idx['W']}*I{idx['I']}",
        "dimension_relations": relations,
        "loop_dims": list(layer.dim_names),
        "loop_sizes": [s for _, s in layer.dims],
        "operand_precision": {
            "I": layer.operands["I"].precision_bits,
            "W": layer.operands["W"].precision_bits,
            "O": layer.partial_output_bits,
            "O_final": layer.operands["O"].precision_bits,
        },
        "operand_source": {"I": 0, "W": 0},
    }


def _axes(operand: Operand, sizes: dict[str, int]) -> list[list[tuple[str, int]]]:
    """Axes as (dim, coef) terms; flattened axes (``C_size*G + C``) become one axis per dim."""
    out: list[list[tuple[str, int]]] = []
    for axis in operand.axes:
        terms = [(d, abs(c)) for d, c in axis.terms if d in sizes and c != 0]
        radix, flat = 1, len(terms) > 1
        for d, c in sorted(terms, key=lambda t: t[1]):
            flat &= c == radix or sizes[d] == 1
            radix *= sizes[d] if c == radix else 1
        out.extend([[(d, 1)] for d, _ in terms] if flat else [terms])
    return out


def core_to_zigzag(core: Core, streamed: set[Role], dram: Dram) -> dict[str, Any]:
    """The core as a ZigZag accelerator (array dims renamed D1..Dn), DRAM on top if needed."""
    rename = _rename(core)
    memories = {m.name: _memory(m, rename) for m in core.memories}
    if streamed:
        memories["dram"] = _memory(dram_level(dram, streamed, core), rename)
    return {
        "name": core.name,
        "memories": memories,
        "operational_array": {
            "unit_energy": core.mac_energy_pj,
            "unit_area": max(core.mac_area, 1.0),
            "dimensions": [rename[d] for d, _ in core.array],
            "sizes": [s for _, s in core.array],
        },
    }


def _rename(core: Core) -> dict[str, str]:
    return {name: f"D{i + 1}" for i, (name, _) in enumerate(core.array)}


def _memory(m: MemoryLevel, rename: dict[str, str]) -> dict[str, Any]:
    ports: dict[str, dict[str, Any]] = {}
    for role in ("I", "W", "O"):
        if role not in m.operands:
            continue
        for direction in DIRECTIONS[role]:
            name = port_of(m, direction)
            read = direction in ("tl", "th")
            bw = m.read_bw_bits if read else m.write_bw_bits
            gran = m.min_read_bits if read else m.min_write_bits
            port = ports.setdefault(
                name,
                {
                    "name": f"{name[:-1]}_port_{name[-1]}",
                    "type": {"r": "read", "w": "write"}.get(name[:-1], "read_write"),
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
        "area": float(m.area),
        "latency": int(m.latency_cycles),
        "operands": [MEM_OP[r] for r in ("I", "W", "O") if r in m.operands],
        "ports": list(ports.values()),
        "served_dimensions": [rename[d] for d in m.served_dims],
    }


def mapping_to_zigzag(
    core: Core, loop_order: Sequence[tuple[str, int]] | None = None
) -> list[dict[str, Any]]:
    """The core's fixed spatial unrolling as ZigZag's default mapping entry (and a fixed
    temporal loop order, innermost first, if given)."""
    rename = _rename(core)
    spatial = {rename[a]: [f"{d}, {f}" for d, f in loops] for a, loops in core.unrolling if loops}
    entry: dict[str, Any] = {
        "name": "default",
        "spatial_mapping": spatial,
        "memory_operand_links": {"O": "O", "W": "I2", "I": "I1"},
    }
    if loop_order:
        entry["temporal_ordering"] = [[d, int(s)] for d, s in loop_order]
    return [entry]


def _result(layer: Layer, core: Core, cme: Any, streamed: set[Role], dram: Dram) -> CostResult:
    parts: list[EnergyPart] = []
    names: dict[Role, list[str]] = {}
    for layer_op, energies in cme.mem_energy_breakdown.items():
        role = _role(str(layer_op))
        levels = [m.name for m in core.hierarchy(role)] + (["dram"] if role in streamed else [])
        names[role] = levels
        parts.extend(
            EnergyPart(role, name, float(e)) for name, e in zip(levels, energies, strict=False)
        )
    latency = round(cme.latency_total2)
    ideal = round(cme.ideal_temporal_cycle)
    stall = round(cme.stall_slack_comb)
    onload = round(cme.data_onloading_cycle)
    dram_parts = [p for p in parts if p.level == "dram"]
    order = _loop_order(cme)
    blocks = tuple(
        LevelLoops(role, names[role][lv], loops)
        for role, per in _stationary(cme).items()
        for lv, loops in enumerate(per)
        if lv < len(names[role])
    )
    dram_bits = _dram_bits(cme, streamed, dram)
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
        spatial_utilization=layer.macs / (core.n_macs * max(ideal, 1)),
        utilization=layer.macs / (core.n_macs * max(latency, 1)),
        top_footprint_bits=tuple(top_footprints(layer, core).items()),
        streamed_operands=tuple(r for r in ("I", "W", "O") if r in streamed),
        dram_bw_bits=dram_bits / latency if latency else 0.0,
        dram_energy_pj=sum(p.energy_pj for p in dram_parts),
        mapping=Mapping(
            spatial=tuple(
                (d, round(f)) for d, f in spatial_factors(layer, core)[0].items() if f > 1
            ),
            loop_order=order,
            levels=blocks,
        ),
    )


def _stationary(cme: Any) -> dict[Role, list[tuple[tuple[str, int], ...]]]:
    """Per operand, the temporal loops (innermost first) at each of its memory levels."""
    out: dict[Role, list[tuple[tuple[str, int], ...]]] = {}
    for op, per in cme.temporal_mapping.mapping_dic_stationary.items():
        out[_role(str(op))] = [tuple((str(d), round(s)) for d, s in loops) for loops in per]
    return out


def _loop_order(cme: Any) -> tuple[tuple[str, int], ...]:
    """The temporal loop order LOMA chose, innermost first (as ``loop_order`` takes it)."""
    for op, per in cme.temporal_mapping.mapping_dic_origin.items():
        if _role(str(op)) == "O":
            return tuple((str(d), round(s)) for loops in per for d, s in loops)
    return ()


def _dram_bits(cme: Any, streamed: set[Role], dram: Dram) -> float:
    """Bits moved to and from DRAM over the layer (from ZigZag's per-direction DRAM energy)."""
    total = 0.0
    for op, per_level in cme.mem_energy_breakdown_further.items():
        if _role(str(op)) not in streamed or not per_level:
            continue
        for direction, energy in per_level[-1].data.items():
            if str(direction.value if hasattr(direction, "value") else direction).startswith("rd"):
                total += float(energy) / dram.read_energy_pj * dram.read_bw_bits
            else:
                total += float(energy) / dram.write_energy_pj * dram.write_bw_bits
    return total


def _role(layer_op: str) -> Role:
    first = layer_op.split(".")[-1][:1]
    if first == "I":
        return "I"
    if first == "W":
        return "W"
    return "O"
