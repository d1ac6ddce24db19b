"""Zoo models import with hand-computed MAC counts; parameters change sizes."""

from __future__ import annotations

import pytest
from onnx import checker

from fuseflow.errors import InputError
from fuseflow.workload.load import load_workload
from fuseflow.workload.zoo import ZOO, parse_zoo_spec


def compute_macs(spec: str) -> int:
    """MACs of conv and gemm layers (the figures papers quote)."""
    return sum(x.macs for x in load_workload(spec).layers if x.kind in ("conv", "gemm"))


def test_resnet18_224():
    assert compute_macs("zoo:resnet18") == 1_814_073_344  # 1.814 GMACs incl. the FC


def test_resnet18_names_follow_torchvision():
    w = load_workload("zoo:resnet18")
    for name in ("/conv1/Conv", "/layer1/layer1.0/conv1/Conv", "/layer1/layer1.0/Add",
                 "/layer2/layer2.0/downsample/downsample.0/Conv", "/fc/Gemm"):  # fmt: skip
        w.node(name)


def test_resnet50_224():
    assert compute_macs("zoo:resnet50") == 4_089_184_256


def test_mobilenetv2_224():
    w = load_workload("zoo:mobilenetv2")
    assert compute_macs("zoo:mobilenetv2") == 300_774_272  # the usual "300M MACs"
    dw = w.layer("/features/features.1/conv/conv.0/conv.0.0/Conv")
    assert dw.sizes["G"] == 32 and dw.sizes["C"] == 1


def test_squeezenet_224():
    assert compute_macs("zoo:squeezenet") == 349_151_936


def test_tiny_yolov2_folds_batchnorms():
    w = load_workload("zoo:tiny_yolov2")
    assert not [x for x in w.layers if x.op_type == "BatchNormalization"]
    assert compute_macs("zoo:tiny_yolov2") == 3_485_520_896
    assert w.tensors[w.outputs[0]].shape == (1, 125, 13, 13)


def test_fsrcnn_size_parameters():
    small = load_workload("zoo:fsrcnn?height=10&width=20")
    assert small.tensors[small.outputs[0]].shape == (1, 16, 10, 20)


@pytest.mark.parametrize("seq", [128, 64])
def test_bert_layer(seq):
    d, f = 768, 3072
    assert (
        compute_macs(f"zoo:bert_layer?seq={seq}")
        == 4 * seq * d * d + 2 * seq * seq * d + 2 * seq * d * f
    )


def test_llama_prefill():
    s, d, f = 512, 4096, 11008
    assert compute_macs("zoo:llama_prefill") == s * (4 * d * d + 3 * d * f) + 2 * s * s * d


def test_llama_decode_attends_to_cache_plus_new_token():
    d, f, kv = 4096, 11008, 1024
    w = load_workload("zoo:llama_decode")
    assert compute_macs("zoo:llama_decode") == 4 * d * d + 3 * d * f + 2 * (kv + 1) * d
    scores = w.layer("/self_attn/MatMul")
    assert scores.sizes == {"B": 1, "G": 32, "OY": 1, "K": kv + 1, "C": 128}
    assert not scores.operands["W"].constant
    assert "past_key" in w.inputs


def test_every_zoo_model_imports_small():
    small = {"size": 32, "seq": 8, "kv_len": 8, "height": 8, "width": 8, "hidden": 64,
             "heads": 4, "ffn": 128}  # fmt: skip
    for name, model in ZOO.items():
        params = "&".join(f"{k}={v}" for k, v in small.items() if k in model.params)
        w = load_workload(f"zoo:{name}?{params}")
        assert w.total_macs > 0 and w.warnings == ()
        checker.check_model(model.model(parse_zoo_spec(f"{name}?{params}")[1]), full_check=True)


def test_bad_zoo_specs():
    with pytest.raises(InputError, match="unknown zoo model"):
        load_workload("zoo:alexnet")
    with pytest.raises(InputError, match="unknown parameter"):
        load_workload("zoo:resnet18?seq=3")
    with pytest.raises(InputError, match="key=INTEGER"):
        load_workload("zoo:resnet18?size=big")
