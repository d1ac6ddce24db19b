"""The (layer, core) pairs of the ZigZag cross-check, their golden ZigZag figures and deviations."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import statistics
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fuseflow.cost.analytical import DEFAULT_DRAM
from fuseflow.cost.result import CostResult
from fuseflow.cost.zigzag_backend import (
    LPF_LIMIT,
    core_to_zigzag,
    layer_to_zigzag,
    mapping_to_zigzag,
    streamed_operands,
)
from fuseflow.hardware.load import load_accelerator, load_core
from fuseflow.hardware.model import Core
from fuseflow.hardware.stream_import import import_stream
from fuseflow.workload.builder import WorkloadBuilder
from fuseflow.workload.layer import Layer
from fuseflow.workload.load import load_workload

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "zigzag_golden.json"
LIBRARY = Path(__file__).resolve().parents[2] / "fuseflow" / "hardware" / "library" / "cores"

# Layers: id -> (workload, layer name). Conv (plain, strided, 1x1, 7x7, depthwise, grouped,
# non-square 540x960 maps), Gemm and MatMul (constant weights and activation x activation).
LAYERS: dict[str, tuple[str, str]] = {
    "r18.conv1": ("zoo:resnet18", "/conv1/Conv"),  # 7x7 stride 2, 3 input channels
    "r18.l1c1": ("zoo:resnet18", "/layer1/layer1.0/conv1/Conv"),
    "r18.l2down": ("zoo:resnet18", "/layer2/layer2.0/downsample/downsample.0/Conv"),  # 1x1 s2
    "r18.l3c2": ("zoo:resnet18", "/layer3/layer3.0/conv2/Conv"),
    "r18.l4c1": ("zoo:resnet18", "/layer4/layer4.0/conv1/Conv"),  # 3x3 stride 2
    "r18.fc": ("zoo:resnet18", "/fc/Gemm"),
    "mv2.stem": ("zoo:mobilenetv2", "/features/features.0/features.0.0/Conv"),
    "mv2.dw1": ("zoo:mobilenetv2", "/features/features.1/conv/conv.0/conv.0.0/Conv"),
    "mv2.dw2s2": ("zoo:mobilenetv2", "/features/features.2/conv/conv.1/conv.1.0/Conv"),
    "mv2.proj2": ("zoo:mobilenetv2", "/features/features.2/conv/conv.2/Conv"),
    "mv2.exp16": ("zoo:mobilenetv2", "/features/features.16/conv/conv.0/conv.0.0/Conv"),
    "mv2.dw16": ("zoo:mobilenetv2", "/features/features.16/conv/conv.1/conv.1.0/Conv"),
    "mv2.fc": ("zoo:mobilenetv2", "/classifier/classifier.1/Gemm"),
    "fsr.feature": ("zoo:fsrcnn", "/feature/Conv"),  # 5x5, one input channel, 540x960
    "fsr.shrink": ("zoo:fsrcnn", "/shrink/Conv"),
    "fsr.map0": ("zoo:fsrcnn", "/map/map.0/Conv"),
    "fsr.upsample": ("zoo:fsrcnn", "/upsample/Conv"),
    "grouped": ("builder", "grouped"),  # ResNeXt-style: 128 channels in 32 groups of 4
    "bert.qk": ("zoo:bert_layer", "/attention/self/MatMul"),  # activation x activation, 12 heads
    "bert.ffn": ("zoo:bert_layer", "/intermediate/dense/MatMul"),
}

# Cores: the four bundled with zigzag-dse (core file + its mapping file, through our importer)
# and four of our library.
ZIGZAG_CORES: dict[str, tuple[str, str]] = {
    "zz:tpu_like": ("tpu_like", "tpu_like"),
    "zz:edge_tpu_like": ("edge_tpu_like", "edge_tpu_like"),
    "zz:meta_prototype": ("meta_prototype", "meta_prototype_like"),
    "zz:ascend_like": ("ascend_like", "ascend_like"),
}
LIBRARY_CORES = ("lib:c32_k32", "lib:ox16_k16", "lib:eyeriss_like", "lib:ox28_fx3_fy3")
CORES = (*ZIGZAG_CORES, *LIBRARY_CORES)

# Every layer on three cores spread over both groups: 60 pairs.
PAIRS: tuple[str, ...] = tuple(
    f"{layer}@{CORES[(i + step) % len(CORES)]}"
    for i, layer in enumerate(LAYERS)
    for step in (0, 3, 6)
)

# Pairs allowed past the 20 % bound, each with the reason (see docs/cost-model.md).
OUTLIERS: dict[str, str] = {}

TARGET_MEDIAN = 0.05
TARGET_MAX = 0.20


def split(pair: str) -> tuple[str, str]:
    layer, _, core = pair.partition("@")
    return layer, core


@cache
def layer(layer_id: str) -> Layer:
    spec, name = LAYERS[layer_id]
    if spec == "builder":
        return _grouped_conv()
    return load_workload(spec).layer(name)


def _grouped_conv() -> Layer:
    b = WorkloadBuilder("grouped")
    x = b.input("x", (1, 128, 28, 28))
    b.conv("grouped", x, 128, 3, padding=1, groups=32)
    return b.build().layer("grouped")


@cache
def core(core_id: str) -> Core:
    kind, _, name = core_id.partition(":")
    if kind == "lib":
        return load_core(LIBRARY / f"{name}.yaml")
    hw, mapping = ZIGZAG_CORES[core_id]
    inputs = zigzag_inputs_dir()
    ours = import_stream(inputs / "hardware" / f"{hw}.yaml", inputs / "mapping" / f"{mapping}.yaml")
    tmp = _tmp_dir() / f"{hw}.yaml"
    tmp.write_text(ours.text)
    (only,) = load_accelerator(tmp).cores
    return only


@cache
def _tmp_dir() -> Path:
    import tempfile

    return Path(tempfile.mkdtemp(prefix="fuseflow-crosscheck-"))


def zigzag_inputs_dir() -> Path:
    spec = importlib.util.find_spec("zigzag")
    if spec is None or spec.origin is None:
        raise RuntimeError("the cross-check needs zigzag-dse: pip install fuseflow[zigzag]")
    return Path(spec.origin).parent / "inputs"


def inputs_sha(layer_: Layer, core_: Core) -> str:
    """Hash of exactly what the backend hands ZigZag for this pair (golden stays valid while
    it is unchanged)."""
    streamed = streamed_operands(layer_, core_)
    blob = [
        layer_to_zigzag(layer_),
        core_to_zigzag(core_, streamed, DEFAULT_DRAM),
        mapping_to_zigzag(core_),
    ]
    return hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()[:16]


def is_stale(pair: str, golden_pairs: dict[str, Any]) -> bool:
    """Whether the golden figures of ``pair`` are missing or were made from other ZigZag inputs."""
    layer_id, core_id = split(pair)
    entry = golden_pairs.get(pair)
    return entry is None or entry["inputs_sha"] != inputs_sha(layer(layer_id), core(core_id))


def figures(result: CostResult) -> dict[str, Any]:
    """The figures of a cost result that the cross-check compares and the golden file keeps."""
    return {
        "latency_cycles": result.latency_cycles,
        "ideal_cycles": result.ideal_cycles,
        "stall_cycles": result.stall_cycles,
        "onload_cycles": result.onload_cycles,
        "offload_cycles": result.offload_cycles,
        "energy_pj": result.energy_pj,
        "mac_energy_pj": result.mac_energy_pj,
        "dram_energy_pj": result.dram_energy_pj,
        "streamed": list(result.streamed_operands),
        "loop_order": [list(x) for x in (result.mapping.loop_order if result.mapping else ())],
    }


def read_golden() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(GOLDEN.read_text())
    return data


def write_golden(entries: dict[str, dict[str, Any]], zigzag_version: str) -> None:
    data = {
        "about": "ZigZag's figures per cross-check pair; re-bless with "
        "`python bench/cost_crosscheck.py --write-golden`",
        "zigzag_version": zigzag_version,
        "lpf_limit": LPF_LIMIT,
        "pairs": {p: entries[p] for p in PAIRS if p in entries},
    }
    GOLDEN.write_text(json.dumps(data, indent=1) + "\n")


@dataclass(frozen=True)
class Deviation:
    pair: str
    latency: float  # (analytical - zigzag) / zigzag
    energy: float


def deviation(pair: str, ours: CostResult, ref: dict[str, Any]) -> Deviation:
    lat = (ours.latency_cycles - ref["latency_cycles"]) / ref["latency_cycles"]
    energy = (ours.energy_pj - ref["energy_pj"]) / ref["energy_pj"]
    return Deviation(pair, lat, energy)


@dataclass(frozen=True)
class Summary:
    n: int
    latency_median: float
    latency_max: float
    energy_median: float
    energy_max: float


def summarise(rows: list[Deviation]) -> Summary:
    lat = [abs(r.latency) for r in rows]
    en = [abs(r.energy) for r in rows]
    return Summary(len(rows), statistics.median(lat), max(lat), statistics.median(en), max(en))
