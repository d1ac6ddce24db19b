"""Time the workload import of the largest models (ONNX light CNNs and zoo transformer blocks).

Run: python bench/import_models.py [--repeat N]
Prints, per model: layers, shape ops, GMACs, and the best-of-N wall time of load_workload
split into the zoo build (ONNX graph construction) and the import proper.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import onnx

from fuseflow.workload.load import load_workload
from fuseflow.workload.onnx import import_onnx
from fuseflow.workload.zoo import parse_zoo_spec, zoo_model

LIGHT = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"
MODELS = [
    str(LIGHT / "light_resnet50.onnx"),
    str(LIGHT / "light_densenet121.onnx"),
    str(LIGHT / "light_inception_v1.onnx"),
    str(LIGHT / "light_inception_v2.onnx"),
    str(LIGHT / "light_vgg19.onnx"),
    "zoo:resnet50",
    "zoo:mobilenetv2",
    "zoo:fsrcnn",
    "zoo:bert_layer?seq=512",
    "zoo:llama_prefill?seq=2048",
    "zoo:llama_decode?kv_len=4096",
]


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'model':<32} {'layers':>6} {'shape':>6} {'GMACs':>9} {'build ms':>9} {'import ms':>9}")
    for spec in MODELS:
        w = load_workload(spec)
        label = Path(spec).stem if not spec.startswith("zoo:") else spec
        build, imp = time_import(spec, args.repeat)
        print(
            f"{label:<32} {len(w.layers):>6} {len(w.shape_ops):>6} {w.total_macs / 1e9:>9.3f} "
            f"{build * 1e3:>9.1f} {imp * 1e3:>9.1f}"
        )


def time_import(spec: str, repeat: int) -> tuple[float, float]:
    """Best-of-``repeat`` seconds of the zoo graph build (0 for files) and of the import."""
    if not spec.startswith("zoo:"):
        return 0.0, best_of(repeat, partial(load_workload, spec))
    name, params = parse_zoo_spec(spec[4:])
    build = best_of(repeat, partial(zoo_model(name).model, params))
    model = zoo_model(name).model(params)
    return build, best_of(repeat, partial(import_onnx, spec, model=model))


if __name__ == "__main__":
    main()
