"""Every analytical cost result of a fixed set of (shape, core) pairs, written to one JSON file.

    python bench/cost_dump.py OUT.json [--quick]

The pairs: every layer of ResNet-18, MobileNetV2, FSRCNN, a BERT layer and a Llama prefill
block (zoo), and every tile shape of the ``resnet18-tpu-quad-fused`` example, on each of the
library's single cores (``fuseflow hardware list``: ``cores/...``), each with its own DRAM;
plus the example's own cost table on its quad core. Identical contents are costed once. A
pair the model cannot cost is written as its error message. Speed work on the model must
leave this file byte for byte the same (``cmp before.json after.json``); ``--batched`` costs
all shapes of a core in one :func:`layer_costs` call (the same file is expected); ``--quick``
keeps ResNet-18 and the example only.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from fuseflow.cost.analytical import layer_cost, layer_costs
from fuseflow.cost.build import build_cost_table
from fuseflow.cost.cache import layer_key, result_to_dict
from fuseflow.cost.result import CostResult
from fuseflow.errors import FuseflowError
from fuseflow.hardware.catalog import names as library_names
from fuseflow.hardware.load import load_accelerator
from fuseflow.hardware.model import Core, Dram
from fuseflow.workload.layer import Layer
from fuseflow.workload.load import load_workload

MODELS = ("resnet18", "mobilenetv2", "fsrcnn", "bert_layer", "llama_prefill")
EXAMPLE = "resnet18-tpu-quad-fused"


def _example() -> tuple[list[Layer], dict[str, Any]]:
    """The example's tile shapes and its cost table (as dicts keyed 'shape/core')."""
    from fuseflow.api import prepare, run_inputs
    from fuseflow.report.examples import load_example

    ex = load_example(EXAMPLE)
    inputs = run_inputs(ex.workload, ex.hardware, ex.mapping, stacks=ex.stacks, seed=0, options={})
    prep = prepare(inputs, cache=None)
    table = build_cost_table(prep.graph, prep.accelerator, cache=None)
    rows = {f"{s}/{c}": result_to_dict(r) for (s, c), r in sorted(table.results.items())}
    return list(prep.graph.tile_layers), rows


def _shapes(models: tuple[str, ...], tiles: list[Layer]) -> dict[str, Layer]:
    """Unique layers by content key, in first-seen order."""
    out: dict[str, Layer] = {}
    for model in models:
        for layer in load_workload(f"zoo:{model}").layers:
            out.setdefault(layer_key(layer), layer)
    for layer in tiles:
        out.setdefault(layer_key(layer), layer)
    return out


def dump(models: tuple[str, ...], *, batched: bool) -> dict[str, Any]:
    tiles, table = _example()
    shapes = _shapes(models, tiles)
    cores = [name for name in library_names() if name.startswith("cores/")]
    pairs: dict[str, Any] = {}
    for core_name in cores:
        acc = load_accelerator(core_name)
        core = acc.cores[0]
        if batched:  # every shape on this core in one call
            results = layer_costs([(layer, core) for layer in shapes.values()], dram=acc.dram)
        else:
            results = [_one(layer, core, acc.dram) for layer in shapes.values()]
        for key, r in zip(shapes, results, strict=True):
            text = f"{type(r).__name__}: {r}" if isinstance(r, FuseflowError) else None
            pairs[f"{core_name}|{key}"] = text or result_to_dict(r)  # type: ignore[arg-type]
    return {"pairs": pairs, "example_table": table}


def _one(layer: Layer, core: Core, dram: Dram) -> CostResult | FuseflowError:
    try:
        return layer_cost(layer, core, dram=dram)
    except FuseflowError as exc:
        return exc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--batched", action="store_true", help="all shapes of a core in one call")
    args = ap.parse_args()
    t0 = time.perf_counter()
    data = dump(MODELS[:1] if args.quick else MODELS, batched=args.batched)
    args.out.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    n_err = sum(isinstance(v, str) for v in data["pairs"].values())
    print(
        f"{len(data['pairs'])} (shape, core) pairs ({n_err} not costable), "
        f"{len(data['example_table'])} example entries, {time.perf_counter() - t0:.1f} s"
    )


if __name__ == "__main__":
    main()
