"""Zoo transformer blocks: a BERT-base encoder layer and a Llama-style decoder block."""

from __future__ import annotations

import math

import onnx

from fuseflow.workload.zoo.graph import OnnxGraph


def _heads(g: OnnxGraph, name: str, x: str, batch: int, seq: int, heads: int, d_head: int,
           perm: tuple[int, ...] = (0, 2, 1, 3)) -> str:  # fmt: skip
    """(B, S, H*Dh) -> (B, H, S, Dh) (or (B, H, Dh, S) for keys with perm (0, 2, 3, 1))."""
    shape = g.const(f"{name}/shape", (batch, seq, heads, d_head))
    y = g.node("Reshape", f"{name}/Reshape", [x, shape])
    return g.node("Transpose", f"{name}/Transpose", [y], perm=list(perm))


def _merge(g: OnnxGraph, name: str, x: str, batch: int, seq: int, d_model: int) -> str:
    y = g.node("Transpose", f"{name}/Transpose", [x], perm=[0, 2, 1, 3])
    return g.node(
        "Reshape", f"{name}/Reshape", [y, g.const(f"{name}/shape", (batch, seq, d_model))]
    )


def bert_layer(seq: int = 128, batch: int = 1, hidden: int = 768, heads: int = 12,
               ffn: int = 3072) -> onnx.ModelProto:  # fmt: skip
    """One BERT-base encoder layer (post-LN, GELU), HuggingFace-style node names."""
    g = OnnxGraph("bert_layer", opset=20)
    d_head = hidden // heads
    x = g.input("hidden_states", (batch, seq, hidden))
    a = "/attention/self"
    q = _heads(
        g, f"{a}/query", g.linear(f"{a}/query", x, hidden, hidden), batch, seq, heads, d_head
    )
    k = _heads(g, f"{a}/key", g.linear(f"{a}/key", x, hidden, hidden), batch, seq, heads, d_head,
               (0, 2, 3, 1))  # fmt: skip
    v = _heads(
        g, f"{a}/value", g.linear(f"{a}/value", x, hidden, hidden), batch, seq, heads, d_head
    )
    scores = g.node("MatMul", f"{a}/MatMul", [q, k])
    scores = g.node("Div", f"{a}/Div", [scores, g.const(f"{a}/scale", math.sqrt(d_head))])
    probs = g.node("Softmax", f"{a}/Softmax", [scores], axis=-1)
    ctx = _merge(
        g, f"{a}/context", g.node("MatMul", f"{a}/MatMul_1", [probs, v]), batch, seq, hidden
    )
    y = g.linear("/attention/output/dense", ctx, hidden, hidden)
    y = g.node("Add", "/attention/output/Add", [y, x])
    y = _layernorm(g, "/attention/output/LayerNorm", y, hidden)
    h = g.linear("/intermediate/dense", y, hidden, ffn)
    h = g.node("Gelu", "/intermediate/intermediate_act_fn/Gelu", [h])
    z = g.linear("/output/dense", h, ffn, hidden)
    z = g.node("Add", "/output/Add", [z, y])
    out = _layernorm(g, "/output/LayerNorm", z, hidden)
    return g.model([out], doc=f"BERT-base encoder layer, seq {seq}, batch {batch}")


def _layernorm(g: OnnxGraph, name: str, x: str, hidden: int) -> str:
    prefix = name.strip("/").replace("/", ".")
    scale, bias = g.weight(f"{prefix}.weight", (hidden,)), g.weight(f"{prefix}.bias", (hidden,))
    return g.node("LayerNormalization", f"{name}/LayerNormalization", [x, scale, bias], axis=-1)


def _rmsnorm(g: OnnxGraph, name: str, x: str, hidden: int) -> str:
    scale = g.weight(f"{name.strip('/')}.weight", (hidden,))
    return g.node("RMSNormalization", f"{name}/RMSNormalization", [x, scale], axis=-1)


def _llama(name: str, seq: int, past: int, batch: int, hidden: int, heads: int,
           ffn: int) -> onnx.ModelProto:  # fmt: skip
    g = OnnxGraph(name, opset=23)
    d_head = hidden // heads
    x = g.input("hidden_states", (batch, seq, hidden))
    h = _rmsnorm(g, "/input_layernorm", x, hidden)
    a = "/self_attn"
    q = _heads(g, f"{a}/q", g.linear(f"{a}/q_proj", h, hidden, hidden, bias=False), batch, seq,
               heads, d_head)  # fmt: skip
    k = _heads(g, f"{a}/k", g.linear(f"{a}/k_proj", h, hidden, hidden, bias=False), batch, seq,
               heads, d_head)  # fmt: skip
    v = _heads(g, f"{a}/v", g.linear(f"{a}/v_proj", h, hidden, hidden, bias=False), batch, seq,
               heads, d_head)  # fmt: skip
    outputs = []
    if past:
        k = g.node("Concat", f"{a}/Concat", [g.input("past_key", (batch, heads, past, d_head)), k],
                   axis=2)  # fmt: skip
        v = g.node("Concat", f"{a}/Concat_1",
                   [g.input("past_value", (batch, heads, past, d_head)), v], axis=2)  # fmt: skip
        outputs = [k, v]
    kt = g.node("Transpose", f"{a}/Transpose_k", [k], perm=[0, 1, 3, 2])
    scores = g.node("MatMul", f"{a}/MatMul", [q, kt])
    scores = g.node("Mul", f"{a}/Mul", [scores, g.const(f"{a}/scale", 1 / math.sqrt(d_head))])
    probs = g.node("Softmax", f"{a}/Softmax", [scores], axis=-1)
    ctx = _merge(
        g, f"{a}/context", g.node("MatMul", f"{a}/MatMul_1", [probs, v]), batch, seq, hidden
    )
    y = g.node("Add", "/Add", [g.linear(f"{a}/o_proj", ctx, hidden, hidden, bias=False), x])
    m = _rmsnorm(g, "/post_attention_layernorm", y, hidden)
    gate = g.linear("/mlp/gate_proj", m, hidden, ffn, bias=False)
    gate = g.node(
        "Mul", "/mlp/act_fn/Mul", [gate, g.node("Sigmoid", "/mlp/act_fn/Sigmoid", [gate])]
    )
    up = g.linear("/mlp/up_proj", m, hidden, ffn, bias=False)
    z = g.linear("/mlp/down_proj", g.node("Mul", "/mlp/Mul", [gate, up]), ffn, hidden, bias=False)
    out = g.node("Add", "/Add_1", [z, y])
    return g.model([out, *outputs], doc=f"{name}: seq {seq}, past {past}, batch {batch}")


def llama_prefill(seq: int = 512, batch: int = 1, hidden: int = 4096, heads: int = 32,
                  ffn: int = 11008) -> onnx.ModelProto:  # fmt: skip
    """A Llama-style decoder block (RMSNorm, MHA without RoPE, SwiGLU) over a prompt of ``seq``
    tokens; full (unmasked) attention scores are computed, as a dense kernel would."""
    return _llama("llama_prefill", seq, 0, batch, hidden, heads, ffn)


def llama_decode(kv_len: int = 1024, batch: int = 1, hidden: int = 4096, heads: int = 32,
                 ffn: int = 11008) -> onnx.ModelProto:  # fmt: skip
    """One decode step of the Llama-style block: one new token attends to a KV cache of
    ``kv_len`` past tokens plus itself (the new key/value are appended: outputs present_*)."""
    return _llama("llama_decode", 1, kv_len, batch, hidden, heads, ffn)
