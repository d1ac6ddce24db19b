"""The cost table builder and its on-disk cache: hits, invalidation, concurrent writers."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing as mp
from pathlib import Path

import pytest

from fuseflow.cost import build
from fuseflow.cost.analytical import layer_cost
from fuseflow.cost.build import cost_each, cost_pairs, open_cache
from fuseflow.cost.cache import ENV_VAR, CostCache, default_cache_dir, result_to_dict
from fuseflow.cost.result import CostResult
from fuseflow.errors import InfeasibleError
from fuseflow.hardware.model import Core, Dram
from fuseflow.workload.layer import Layer
from tests.cost.helpers import conv, gemm, tpu_like

DRAM = Dram("dram", 10**10, 64, 64, 100.0, 100.0)


class Counting:
    """The analytical model, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, layer: Layer, core: Core, *, dram: Dram) -> CostResult:
        self.calls += 1
        return layer_cost(layer, core, dram=dram)


def test_hit_returns_the_same_result(tmp_path: Path) -> None:
    fn = Counting()
    jobs = [(gemm(m=16, k=32, n=32), tpu_like())]
    first = cost_pairs(jobs, DRAM, cache=tmp_path, cost_fn=fn)
    again = cost_pairs(jobs, DRAM, cache=tmp_path, cost_fn=fn)
    assert fn.calls == 1
    assert again == first
    assert len(list(tmp_path.rglob("*.json"))) == 1


def test_stored_dict_is_dataclasses_asdict() -> None:
    """The cache file's content keeps the layout of ``dataclasses.asdict`` (old files stay
    readable and byte-identical), with and without a mapping."""
    r = layer_cost(conv(k=8, c=8, oy=6, ox=6, fy=3, fx=3), tpu_like(), dram=DRAM)
    assert r.mapping is not None
    for res in (r, dataclasses.replace(r, mapping=None)):
        assert json.dumps(result_to_dict(res)) == json.dumps(dataclasses.asdict(res))


def test_same_content_is_costed_once(tmp_path: Path) -> None:
    fn = Counting()
    core = tpu_like()
    twin = dataclasses.replace(core, name="twin")
    a, b = gemm("a", m=16, k=32, n=32), gemm("b", m=16, k=32, n=32)
    out = cost_pairs([(a, core), (b, twin), (a, twin)], DRAM, cache=None, cost_fn=fn)
    assert fn.calls == 1
    assert [r.core for r in out] == ["tpu_like", "twin", "twin"]
    assert out[0].latency_cycles == out[1].latency_cycles


def test_invalidated_by_core_layer_and_model_version(tmp_path: Path) -> None:
    fn = Counting()
    layer = gemm(m=16, k=32, n=32)
    cost_pairs([(layer, tpu_like())], DRAM, cache=tmp_path, cost_fn=fn)
    cost_pairs([(layer, tpu_like(sram_bw=1024))], DRAM, cache=tmp_path, cost_fn=fn)
    assert fn.calls == 2
    cost_pairs([(gemm(m=16, k=32, n=64), tpu_like())], DRAM, cache=tmp_path, cost_fn=fn)
    assert fn.calls == 3
    cost_pairs([(layer, tpu_like())], DRAM, cache=tmp_path, cost_fn=fn, version="next")
    assert fn.calls == 4
    cost_pairs([(layer, tpu_like())], DRAM, cache=tmp_path, cost_fn=fn)
    assert fn.calls == 4


def test_corrupt_entry_is_recomputed(tmp_path: Path) -> None:
    fn = Counting()
    jobs = [(gemm(m=16, k=32, n=32), tpu_like())]
    cost_pairs(jobs, DRAM, cache=tmp_path, cost_fn=fn)
    (entry,) = tmp_path.rglob("*.json")
    entry.write_text('{"truncated')
    cost_pairs(jobs, DRAM, cache=tmp_path, cost_fn=fn)
    assert fn.calls == 2


def test_unwritable_cache_still_costs(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    jobs = [(gemm(m=16, k=32, n=32), tpu_like())]
    (r,) = cost_pairs(jobs, DRAM, cache=blocker / "cache")
    assert r == layer_cost(*jobs[0], dram=DRAM)


def test_cache_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env"))
    assert default_cache_dir() == tmp_path / "env"
    opened = open_cache(True)
    assert opened is not None and opened.root == tmp_path / "env"
    explicit = open_cache(tmp_path / "arg")
    assert explicit is not None and explicit.root == tmp_path / "arg"
    assert open_cache(None) is None
    monkeypatch.delenv(ENV_VAR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "fuseflow"


def _writer(root: str, n: int) -> None:
    layers = [conv(f"c{i}", k=32, c=32, oy=4 + i, ox=4, fy=3, fx=3) for i in range(n)]
    cost_pairs([(layer, tpu_like()) for layer in layers], DRAM, cache=root)


def test_two_concurrent_writers(tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), 6)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    files = sorted(tmp_path.rglob("*.json"))
    assert len(files) == 6
    assert not list(tmp_path.rglob(".tmp-*"))
    store = CostCache(tmp_path)
    fn = Counting()
    layers = [conv(f"c{i}", k=32, c=32, oy=4 + i, ox=4, fy=3, fx=3) for i in range(6)]
    cached = cost_pairs([(la, tpu_like()) for la in layers], DRAM, cache=store, cost_fn=fn)
    assert fn.calls == 0
    assert cached == [layer_cost(la, tpu_like(), dram=DRAM) for la in layers]


def test_build_cost_table_on_a_graph(tmp_path: Path) -> None:
    from fuseflow.api import prepare, run_inputs
    from fuseflow.report.examples import load_example

    ex = load_example("resnet18-tpu-quad-fused")
    inputs = run_inputs(ex.workload, ex.hardware, ex.mapping, stacks=ex.stacks, seed=0, options={})
    prep = prepare(inputs, cache=tmp_path)
    table = prep.costs
    graph, acc = prep.graph, prep.accelerator
    for g, cores in enumerate(graph.group_cores):
        for s in set(graph.shape[graph.group == g].tolist()):
            for c in cores:
                r = table.get(s, c)
                assert r.core == acc.cores[c].name
                assert r == layer_cost(graph.tile_layers[s], acc.cores[c], dram=acc.dram)
    again = build.build_cost_table(graph, acc, cache=tmp_path)
    assert dict(again.results) == dict(table.results)


def test_cost_each_keeps_errors_in_place_and_cost_pairs_raises_after_storing(
    tmp_path: Path,
) -> None:
    """Jobs that cannot be costed (here: weights that fit no register) come back as their own
    error, naming their own layer even when an equal layer failed first; ``cost_pairs``
    raises the first error only after the other results are in the cache."""
    core = tpu_like()
    tiny_rf = tuple(
        dataclasses.replace(m, size_bits=1) if m.name == "rf_128B" else m for m in core.memories
    )
    tiny = dataclasses.replace(core, name="tiny", memories=tiny_rf)
    a, b = gemm("a", m=16, k=32, n=32), gemm("b", m=16, k=32, n=32)
    ok = gemm("ok", m=8, k=32, n=32)
    out = cost_each([(a, tiny), (ok, core), (b, tiny)], DRAM, cache=None)
    assert isinstance(out[0], InfeasibleError) and "'a'" in str(out[0])
    assert isinstance(out[2], InfeasibleError) and "'b'" in str(out[2])
    assert out[1] == layer_cost(ok, core, dram=DRAM)
    with pytest.raises(InfeasibleError, match="'a'"):
        cost_pairs([(ok, core), (a, tiny), (b, tiny)], DRAM, cache=tmp_path)
    fn = Counting()
    (again,) = cost_pairs([(ok, core)], DRAM, cache=tmp_path, cost_fn=fn)
    assert fn.calls == 0 and again == out[1]
