"""The analytical cost model against zigzag-dse: golden ZigZag figures, re-proved live, and the
zigzag backend's own behaviour. Re-bless: ``python bench/cost_crosscheck.py --write-golden``."""

from __future__ import annotations

import math
import sys

import crosscheck_pairs as cp
import pytest

from fuseflow.cost import analytical, zigzag_backend
from fuseflow.cost.result import CostResult
from fuseflow.errors import InfeasibleError, InputError

# Full LOMA searches re-run live (cheap ones: few loop prime factors).
LIVE_SEARCH = ("r18.fc@zz:tpu_like", "bert.qk@zz:tpu_like")


@pytest.fixture(scope="module")
def golden() -> dict:
    return cp.read_golden()


@pytest.fixture(scope="module")
def ours() -> dict[str, CostResult]:
    return {
        p: analytical.layer_cost(cp.layer(cp.split(p)[0]), cp.core(cp.split(p)[1]))
        for p in cp.PAIRS
    }


def test_pairs_cover_layer_kinds_and_cores() -> None:
    assert len(cp.PAIRS) >= 50
    assert {cp.split(p)[1] for p in cp.PAIRS} == set(cp.CORES)
    layers = [cp.layer(cp.split(p)[0]) for p in cp.PAIRS]
    sizes = [layer.sizes for layer in layers]
    assert any(s.get("G", 1) > 1 and s["C"] == 1 for s in sizes), "depthwise"
    assert any(s.get("G", 1) > 1 and s["C"] > 1 and "FY" in s for s in sizes), "grouped conv"
    assert any(max(layer.attrs.get("strides", (1,))) > 1 for layer in layers), "strided"
    assert any(s.get("OY", 1) != s.get("OX", 1) and "OX" in s for s in sizes), "non-square"
    ops = {layer.op_type for layer in layers}
    assert {"Conv", "Gemm", "MatMul"} <= ops
    assert any(not layer.operands["W"].constant for layer in layers), "activation x activation"


def test_golden_made_with_the_installed_zigzag(golden: dict) -> None:
    from importlib.metadata import version

    installed = version("zigzag-dse")
    assert golden["zigzag_version"] == installed, (
        f"golden figures from zigzag-dse {golden['zigzag_version']}, installed {installed}: "
        "re-bless with bench/cost_crosscheck.py --write-golden"
    )


def test_golden_matches_what_the_backend_would_send(golden: dict) -> None:
    """Every pair has golden figures computed from exactly today's ZigZag inputs."""
    stale = [p for p in cp.PAIRS if cp.is_stale(p, golden["pairs"])]
    assert not stale, f"re-bless with bench/cost_crosscheck.py --write-golden --stale: {stale}"


@pytest.mark.parametrize("pair", cp.PAIRS[::3])
def test_golden_figures_reproduce_live(golden: dict, pair: str) -> None:
    """ZigZag evaluating the golden loop order today gives the golden figures."""
    ref = golden["pairs"][pair]
    layer, core = cp.layer(cp.split(pair)[0]), cp.core(cp.split(pair)[1])
    order = [tuple(x) for x in ref["loop_order"]]
    live = zigzag_backend.layer_cost(layer, core, loop_order=order)
    assert live.latency_cycles == ref["latency_cycles"]
    assert live.energy_pj == pytest.approx(ref["energy_pj"], rel=1e-9)


@pytest.mark.parametrize("pair", LIVE_SEARCH)
def test_golden_search_reproduces_live(golden: dict, pair: str) -> None:
    ref = golden["pairs"][pair]
    layer, core = cp.layer(cp.split(pair)[0]), cp.core(cp.split(pair)[1])
    live = cp.figures(zigzag_backend.layer_cost(layer, core, lpf_limit=golden["lpf_limit"]))
    for key in ("latency_cycles", "ideal_cycles", "stall_cycles", "loop_order"):
        assert live[key] == ref[key], key
    assert live["energy_pj"] == pytest.approx(ref["energy_pj"], rel=1e-9)


def test_analytical_agrees_with_zigzag(golden: dict, ours: dict[str, CostResult]) -> None:
    rows = [cp.deviation(p, ours[p], golden["pairs"][p]) for p in cp.PAIRS]
    kept = [r for r in rows if r.pair not in cp.OUTLIERS]
    s = cp.summarise(kept)
    report = "\n".join(f"{r.pair}: latency {r.latency:+.1%} energy {r.energy:+.1%}" for r in rows)
    assert s.latency_median <= cp.TARGET_MEDIAN, report
    assert s.energy_median <= cp.TARGET_MEDIAN, report
    assert s.latency_max <= cp.TARGET_MAX, report
    assert s.energy_max <= cp.TARGET_MAX, report
    # the outlier list stays minimal: each one still is an outlier
    for r in rows:
        if r.pair in cp.OUTLIERS:
            assert max(abs(r.latency), abs(r.energy)) > cp.TARGET_MAX, r.pair


def test_backend_result_adds_up(golden: dict) -> None:
    pair = "mv2.exp16@zz:tpu_like"  # W streams from DRAM on this core
    layer, core = cp.layer(cp.split(pair)[0]), cp.core(cp.split(pair)[1])
    order = [tuple(x) for x in golden["pairs"][pair]["loop_order"]]
    r = zigzag_backend.layer_cost(layer, core, loop_order=order)
    parts = r.ideal_cycles + r.stall_cycles + r.onload_cycles + r.offload_cycles
    assert parts == r.latency_cycles
    assert r.offload_cycles >= 0
    assert r.mac_energy_pj == pytest.approx(layer.macs * core.mac_energy_pj)
    mem = sum(p.energy_pj for p in r.memory_energy)
    assert r.energy_pj == pytest.approx(r.mac_energy_pj + mem)
    assert r.streamed_operands == ("W",)
    assert r.dram_energy_pj > 0
    assert r.dram_bw_bits > 0
    assert {p.level for p in r.memory_energy if p.operand == "W"} == {"rf_128B", "dram"}
    assert r.mapping is not None
    temporal: dict[str, int] = {}
    for dim, size in r.mapping.loop_order:
        temporal[dim] = temporal.get(dim, 1) * size
    spatial = core.unrolled_loops
    for dim, size in layer.dims:
        assert temporal.get(dim, 1) == math.ceil(size / min(spatial.get(dim, 1), size)), dim


def test_backend_refuses_ops_zigzag_treats_as_free() -> None:
    from fuseflow.workload.load import load_workload

    pool = next(x for x in load_workload("zoo:resnet18").layers if x.op_type == "MaxPool")
    with pytest.raises(InfeasibleError, match="MaxPool"):
        zigzag_backend.layer_cost(pool, cp.core("lib:c32_k32"))


def test_backend_without_zigzag_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "zigzag.stages.main", None)
    with pytest.raises(InputError, match=r"pip install fuseflow\[zigzag\]"):
        zigzag_backend.layer_cost(cp.layer("r18.fc"), cp.core("lib:c32_k32"))


def test_layers_convert_to_zigzag_equations() -> None:
    conv1 = zigzag_backend.layer_to_zigzag(cp.layer("r18.conv1"))  # 7x7 stride 2
    assert conv1["equation"] == "O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][ix0][ix1]"
    assert conv1["dimension_relations"] == ["ix0=2*oy+1*fy", "ix1=2*ox+1*fx"]
    assert conv1["operand_precision"] == {"I": 8, "W": 8, "O": 16, "O_final": 8}
    grouped = zigzag_backend.layer_to_zigzag(cp.layer("grouped"))  # channel = 4*G + C
    assert grouped["equation"].endswith("*I[b][g][c][ix0][ix1]")
    assert dict(zip(grouped["loop_dims"], grouped["loop_sizes"], strict=True))["G"] == 32
    qk = zigzag_backend.layer_to_zigzag(cp.layer("bert.qk"))  # activation x activation
    assert qk["equation"] == "O[b][g][oy][k]+=W[b][g][c][k]*I[b][g][oy][c]"
    assert qk["dimension_relations"] == []


def test_core_converts_with_dram_only_for_streamed_operands() -> None:
    core = cp.core("zz:tpu_like")
    acc = zigzag_backend.core_to_zigzag(core, {"W"}, analytical.DEFAULT_DRAM)
    assert list(acc["memories"]) == ["rf_128B", "rf_2B", "sram_2MB", "dram"]
    assert acc["memories"]["dram"]["operands"] == ["I2"]
    assert acc["memories"]["sram_2MB"]["served_dimensions"] == ["D1", "D2"]
    assert acc["operational_array"]["sizes"] == [32, 32]
    assert (
        "dram"
        not in zigzag_backend.core_to_zigzag(core, set(), analytical.DEFAULT_DRAM)["memories"]
    )
