"""The model zoo: named builders of weight-stripped ONNX models with size parameters."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import onnx

from fuseflow.errors import InputError
from fuseflow.workload.zoo import cnn, transformer

Builder = Callable[..., onnx.ModelProto]


@dataclass(frozen=True)
class ZooModel:
    name: str
    build: Builder
    summary: str

    @property
    def params(self) -> dict[str, int]:
        """Size parameters and their defaults."""
        sig = inspect.signature(self.build)
        return {k: int(p.default) for k, p in sig.parameters.items()}

    def model(self, params: Mapping[str, int] | None = None) -> onnx.ModelProto:
        params = dict(params or {})
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            raise InputError(
                f"unknown parameter(s) {', '.join(unknown)}; "
                f"{self.name} takes {', '.join(f'{k}={v}' for k, v in self.params.items())}",
                where=f"zoo:{self.name}",
            )
        bad = [k for k, v in params.items() if v < 1]
        if bad:
            raise InputError(f"parameter {bad[0]} must be >= 1", where=f"zoo:{self.name}")
        return self.build(**params)


ZOO: dict[str, ZooModel] = {
    m.name: m
    for m in (
        ZooModel("resnet18", cnn.resnet18, "ResNet-18, torchvision node names"),
        ZooModel("resnet50", cnn.resnet50, "ResNet-50 v1.5, torchvision node names"),
        ZooModel("mobilenetv2", cnn.mobilenetv2, "MobileNetV2 1.0 (depthwise convs, ReLU6)"),
        ZooModel("squeezenet", cnn.squeezenet, "SqueezeNet 1.1"),
        ZooModel("fsrcnn", cnn.fsrcnn, "FSRCNN(56,12,4) super-resolution, 960x540 maps"),
        ZooModel("tiny_yolov2", cnn.tiny_yolov2, "Tiny-YOLOv2 VOC (Conv+BatchNorm+LeakyReLU)"),
        ZooModel("bert_layer", transformer.bert_layer, "one BERT-base encoder layer"),
        ZooModel("llama_prefill", transformer.llama_prefill, "Llama-style block, prefill"),
        ZooModel("llama_decode", transformer.llama_decode, "Llama-style block, one decode step"),
    )
}


def zoo_model(name: str) -> ZooModel:
    if name not in ZOO:
        raise InputError(f"unknown zoo model; available: {', '.join(ZOO)}", where=f"zoo:{name}")
    return ZOO[name]


def parse_zoo_spec(spec: str) -> tuple[str, dict[str, int]]:
    """``"NAME?k=v&k2=v2"`` (the part after ``zoo:``) to a name and integer parameters."""
    name, _, query = spec.partition("?")
    params: dict[str, int] = {}
    for item in filter(None, query.split("&")):
        key, eq, value = item.partition("=")
        if not eq or not value.strip().lstrip("-").isdigit():
            raise InputError(f"parameter {item!r} must look like key=INTEGER", where=f"zoo:{spec}")
        params[key.strip()] = int(value)
    return name.strip(), params
