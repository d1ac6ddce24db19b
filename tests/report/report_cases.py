"""A hand-built two-layer, two-core schedule (CN graph, accelerator, schedule) for report tests.

Layer ``conv_a`` (tiles on core0) feeds ``conv_b`` (tiles on core1) tile by tile; every CN
takes 20 cycles, every transfer 5 (weights 10). With ``n`` tiles: tile i of conv_a runs at
[25+20i, 45+20i), its output goes over link ``c0->c1`` in [45+20i, 50+20i), tile i of conv_b
runs at [50+20i, 70+20i) and writes back to DRAM in [70+20i, 75+20i); latency = 55 + 20n.
"""

from __future__ import annotations

import numpy as np

from fuseflow.hardware.model import Accelerator, Core, Dram, Link, MemoryLevel
from fuseflow.report.schema import InputRef, RunInputs
from fuseflow.schedule.types import (
    DRAM_ENDPOINT,
    EnergyBreakdown,
    MemoryTimeline,
    Schedule,
    TensorKind,
    TransferKind,
)
from fuseflow.tiling.graph import CNGraph, csr_from_edges
from fuseflow.workload.layer import AxisMap, Layer, Operand, TensorInfo, Workload

LINK01, LINK10, DRAM_PORT = 0, 1, 2


def conv(name: str, src: str, dst: str, oy: int, index: int) -> Layer:
    dims = (("B", 1), ("K", 4), ("C", 4), ("OY", oy), ("OX", 4))
    axes_i = (AxisMap.of("B"), AxisMap.of("C"), AxisMap.of("OY"), AxisMap.of("OX"))
    axes_o = (AxisMap.of("B"), AxisMap.of("K"), AxisMap.of("OY"), AxisMap.of("OX"))
    return Layer(
        name=name,
        op_type="Conv",
        kind="conv",
        dims=dims,
        operands={
            "I": Operand(src, axes_i, 8),
            "W": Operand(f"{name}.w", (AxisMap.of("K"), AxisMap.of("C")), 8, constant=True),
            "O": Operand(dst, axes_o, 8),
        },
        source_index=index,
    )


def make_graph(n: int) -> CNGraph:
    a, b = conv("conv_a", "x", "y", n, 0), conv("conv_b", "y", "z", n, 1)
    tensors = {
        t: TensorInfo(t, (1, 4, n, 4), 8, p)
        for t, p in (("x", None), ("y", "conv_a"), ("z", "conv_b"))
    }
    wl = Workload("two_convs", (a, b), tensors, ("x",), ("z",))
    tile = a.with_sizes({"OY": 1})
    rng = np.array([[[0, 1], [0, 4], [0, 4], [i, i + 1], [0, 4]] for i in range(n)])
    src = np.arange(n, dtype=np.int32)
    e = csr_from_edges(
        2 * n, src, src + n, np.full(n, 128, dtype=np.int64), np.zeros(n, dtype=np.int8)
    )
    return CNGraph(
        workload=wl,
        layers=("conv_a", "conv_b"),
        ranges=(rng, rng),
        tile_layers=(tile,),
        layer=np.repeat(np.arange(2, dtype=np.int32), n),
        tile=np.tile(np.arange(n, dtype=np.int32), 2),
        group=np.repeat(np.arange(2, dtype=np.int32), n),
        shape=np.zeros(2 * n, dtype=np.int32),
        output_bits=np.full(2 * n, 128, dtype=np.int64),
        produces_final=np.ones(2 * n, dtype=bool),
        graph_output=np.repeat([False, True], n),
        dram_input_bits=np.repeat(np.array([128, 0], dtype=np.int64), n),
        weight=np.repeat(np.arange(2, dtype=np.int32), n),
        priority=np.arange(2 * n, dtype=np.int64),
        weight_bits=np.array([128, 128], dtype=np.int64),
        group_layer=np.arange(2, dtype=np.int32),
        group_cores=((0, 1), (0, 1)),
        group_fixed=np.array([0, 1], dtype=np.int32),
        **e._asdict(),
        stacks=((0, 1),),
    )


def make_accelerator() -> Accelerator:
    sram = MemoryLevel("sram", 8192, 64, 64, 1.0, 1.0, frozenset({"I", "W", "O"}))
    cores = tuple(
        Core(
            f"core{i}",
            (("D1", 4), ("D2", 4)),
            (("D1", (("K", 4),)), ("D2", (("C", 4),))),
            (sram,),
            0.5,
        )
        for i in range(2)
    )
    links = (Link("c0->c1", "core0", "core1", 32, 0.1), Link("c1->c0", "core1", "core0", 32, 0.1))
    return Accelerator("duo", cores, Dram("dram", 2**30, 64, 64, 64.0, 64.0), links)


def make_schedule(n: int) -> Schedule:
    rows: list[tuple[int, int, int, int, int, int, int, int]] = [
        # kind, tensor kind, tensor, src, dst, start, end, resource
        (TransferKind.WEIGHT_FETCH, TensorKind.WEIGHT, 0, DRAM_ENDPOINT, 0, 0, 10, DRAM_PORT),
        (TransferKind.WEIGHT_FETCH, TensorKind.WEIGHT, 1, DRAM_ENDPOINT, 1, 10, 20, DRAM_PORT),
    ]
    a_start = 25 + 20 * np.arange(n)
    b_start = a_start + 25
    for i in range(n):
        s = int(a_start[i])
        rows.append(
            (TransferKind.INPUT_FETCH, TensorKind.DRAM_INPUT, i, -1, 0, s - 5, s, DRAM_PORT)
        )
        rows.append(
            (TransferKind.CORE_TO_CORE, TensorKind.CN_OUTPUT, i, 0, 1, s + 20, s + 25, LINK01)
        )
        rows.append(
            (
                TransferKind.OUTPUT_WRITEBACK,
                TensorKind.CN_OUTPUT,
                n + i,
                1,
                -1,
                s + 45,
                s + 50,
                DRAM_PORT,
            )
        )
    tr = np.array(rows, dtype=np.int64)
    nt = tr.shape[0]
    times = np.array([0, 10, 20, 55 + 20 * n], dtype=np.int64)
    return Schedule(
        latency_cycles=55 + 20 * n,
        energy=EnergyBreakdown(100.0 * n, 50.0 * n, 0.0, 30.0, 5.0, 0.0, 10.0),
        cn_core=np.repeat(np.arange(2, dtype=np.int32), n),
        cn_start=np.concatenate([a_start, b_start]).astype(np.int64),
        cn_end=np.concatenate([a_start, b_start]).astype(np.int64) + 20,
        cn_energy_pj=np.full(2 * n, 75.0),
        tr_kind=tr[:, 0].astype(np.int8),
        tr_tensor_kind=tr[:, 1].astype(np.int8),
        tr_tensor=tr[:, 2],
        tr_src=tr[:, 3].astype(np.int32),
        tr_dst=tr[:, 4].astype(np.int32),
        tr_start=tr[:, 5],
        tr_end=tr[:, 6],
        tr_bits=np.full(nt, 128, dtype=np.int64),
        tr_bw_bits=np.where(tr[:, 0] == TransferKind.WEIGHT_FETCH, 12.8, 25.6),
        tr_res_ptr=np.arange(nt + 1, dtype=np.int64),
        tr_res=tr[:, 7].astype(np.int32),
        memories=tuple(
            MemoryTimeline(
                f"core{c}:sram",
                (f"core{c}",),
                8192,
                times,
                np.array([0, 128 * (c + 1), 512, 0], dtype=np.int64),
            )
            for c in range(2)
        ),
    )


def make_inputs() -> RunInputs:
    return RunInputs(
        workload=InputRef(spec="two_convs.yaml", path="/tmp/two_convs.yaml", sha256="0" * 64),
        hardware=InputRef(spec="duo"),
        seed=0,
        options={"prefetch_weights": False},
        allocation=[0, 1],
        fuseflow_version="0.1.0",
    )
