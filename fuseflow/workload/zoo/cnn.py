"""Zoo CNNs written as ONNX graphs with torchvision-style node names (BatchNorms pre-folded)."""

from __future__ import annotations

import onnx

from fuseflow.workload.zoo.graph import OnnxGraph


def _stem_and_head(g: OnnxGraph, x: str, c: int, classes: int) -> str:
    pooled = g.node("GlobalAveragePool", "/avgpool/GlobalAveragePool", [x])
    flat = g.node("Flatten", "/Flatten", [pooled], axis=1)
    return g.node("Gemm", "/fc/Gemm", [flat, g.weight("fc.weight", (classes, c)),
                                       g.weight("fc.bias", (classes,))], transB=1)  # fmt: skip


def _resnet(name: str, blocks: tuple[int, ...], bottleneck: bool, size: int, batch: int,
            classes: int) -> onnx.ModelProto:  # fmt: skip
    g = OnnxGraph(name)
    x = g.input("input", (batch, 3, size, size))
    x = g.conv("/conv1/Conv", x, 3, 64, 7, stride=2)
    x = g.node("Relu", "/relu/Relu", [x])
    x = g.node("MaxPool", "/maxpool/MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2],
               pads=[1, 1, 1, 1])  # fmt: skip
    c_in, expansion = 64, 4 if bottleneck else 1
    for stage, n_blocks in enumerate(blocks, start=1):
        width = 64 * 2 ** (stage - 1)
        for b in range(n_blocks):
            p = f"/layer{stage}/layer{stage}.{b}"
            stride = 2 if stage > 1 and b == 0 else 1
            c_out = width * expansion
            if bottleneck:
                y = g.node("Relu", f"{p}/relu/Relu", [g.conv(f"{p}/conv1/Conv", x, c_in, width, 1)])
                y = g.conv(f"{p}/conv2/Conv", y, width, width, 3, stride=stride)
                y = g.node("Relu", f"{p}/relu_1/Relu", [y])
                y = g.conv(f"{p}/conv3/Conv", y, width, c_out, 1)
            else:
                y = g.conv(f"{p}/conv1/Conv", x, c_in, width, 3, stride=stride)
                y = g.node("Relu", f"{p}/relu/Relu", [y])
                y = g.conv(f"{p}/conv2/Conv", y, width, width, 3)
            if stride != 1 or c_in != c_out:
                x = g.conv(f"{p}/downsample/downsample.0/Conv", x, c_in, c_out, 1, stride=stride)
            y = g.node("Add", f"{p}/Add", [y, x])
            x = g.node("Relu", f"{p}/relu_{2 if bottleneck else 1}/Relu", [y])
            c_in = c_out
    out = _stem_and_head(g, x, c_in, classes)
    return g.model([out], doc=f"{name}, {size}x{size}, batch {batch}")


def resnet18(size: int = 224, batch: int = 1, classes: int = 1000) -> onnx.ModelProto:
    """ResNet-18 (torchvision layout): 1.814 GMACs in convs + FC at 224x224."""
    return _resnet("resnet18", (2, 2, 2, 2), False, size, batch, classes)


def resnet50(size: int = 224, batch: int = 1, classes: int = 1000) -> onnx.ModelProto:
    """ResNet-50 v1.5 (stride in the 3x3 conv, torchvision layout)."""
    return _resnet("resnet50", (3, 4, 6, 3), True, size, batch, classes)


MOBILENET_V2 = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                (6, 160, 3, 2), (6, 320, 1, 1))  # fmt: skip


def mobilenetv2(size: int = 224, batch: int = 1, classes: int = 1000) -> onnx.ModelProto:
    """MobileNetV2 (width 1.0): inverted residuals with depthwise 3x3 convs and ReLU6 (Clip)."""
    g = OnnxGraph("mobilenetv2")
    lo, hi = g.const("relu6_min", 0.0), g.const("relu6_max", 6.0)

    def conv_relu6(p: str, x: str, c_in: int, c_out: int, k: int, stride: int = 1,
                   group: int = 1) -> str:  # fmt: skip
        y = g.conv(f"{p}.0/Conv", x, c_in, c_out, k, stride=stride, group=group)
        return g.node("Clip", f"{p}.2/Clip", [y, lo, hi])

    x = conv_relu6("/features/features.0/features.0", g.input("input", (batch, 3, size, size)),
                   3, 32, 3, 2)  # fmt: skip
    c_in, idx = 32, 1
    for t, c, n, s in MOBILENET_V2:
        for i in range(n):
            p, stride, hidden = f"/features/features.{idx}/conv", s if i == 0 else 1, c_in * t
            y, j = x, 0
            if t != 1:
                y, j = conv_relu6(f"{p}/conv.0/conv.0", y, c_in, hidden, 1), 1
            y = conv_relu6(f"{p}/conv.{j}/conv.{j}", y, hidden, hidden, 3, stride, hidden)
            y = g.conv(f"{p}/conv.{j + 1}/Conv", y, hidden, c, 1)
            if stride == 1 and c_in == c:
                y = g.node("Add", f"/features/features.{idx}/Add", [x, y])
            x, c_in, idx = y, c, idx + 1
    x = conv_relu6(f"/features/features.{idx}/features.{idx}", x, c_in, 1280, 1)
    pooled = g.node("GlobalAveragePool", "/GlobalAveragePool", [x])
    flat = g.node("Flatten", "/Flatten", [pooled], axis=1)
    w = g.weight("classifier.1.weight", (classes, 1280))
    b = g.weight("classifier.1.bias", (classes,))
    out = g.node("Gemm", "/classifier/classifier.1/Gemm", [flat, w, b], transB=1)
    return g.model([out], doc=f"MobileNetV2, {size}x{size}, batch {batch}")


def squeezenet(size: int = 224, batch: int = 1, classes: int = 1000) -> onnx.ModelProto:
    """SqueezeNet 1.1 (torchvision layout)."""
    g = OnnxGraph("squeezenet")
    x = g.conv("/features/features.0/Conv", g.input("input", (batch, 3, size, size)), 3, 64, 3,
               stride=2, pad=0)  # fmt: skip
    x = g.node("Relu", "/features/features.1/Relu", [x])
    fires = {3: (64, 16, 64), 4: (128, 16, 64), 6: (128, 32, 128), 7: (256, 32, 128),
             9: (256, 48, 192), 10: (384, 48, 192), 11: (384, 64, 256),
             12: (512, 64, 256)}  # fmt: skip
    for idx in range(2, 13):
        p = f"/features/features.{idx}"
        if idx in (2, 5, 8):
            x = g.node("MaxPool", f"{p}/MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2],
                       ceil_mode=1)  # fmt: skip
            continue
        c_in, sq, ex = fires[idx]
        s = g.node(
            "Relu", f"{p}/squeeze_activation/Relu", [g.conv(f"{p}/squeeze/Conv", x, c_in, sq, 1)]
        )
        e1 = g.node("Relu", f"{p}/expand1x1_activation/Relu",
                    [g.conv(f"{p}/expand1x1/Conv", s, sq, ex, 1)])  # fmt: skip
        e3 = g.node("Relu", f"{p}/expand3x3_activation/Relu",
                    [g.conv(f"{p}/expand3x3/Conv", s, sq, ex, 3)])  # fmt: skip
        x = g.node("Concat", f"{p}/Concat", [e1, e3], axis=1)
    x = g.conv("/classifier/classifier.1/Conv", x, 512, classes, 1)
    x = g.node("Relu", "/classifier/classifier.2/Relu", [x])
    x = g.node("GlobalAveragePool", "/classifier/classifier.3/GlobalAveragePool", [x])
    out = g.node("Flatten", "/Flatten", [x], axis=1)
    return g.model([out], doc=f"SqueezeNet 1.1, {size}x{size}, batch {batch}")


def fsrcnn(height: int = 540, width: int = 960, d: int = 56, s: int = 12, m: int = 4,
           scale: int = 4, batch: int = 1) -> onnx.ModelProto:  # fmt: skip
    """FSRCNN(d, s, m) with a sub-pixel output conv (scale**2 channels) at height x width, as in
    Stream's example (no activations)."""
    g = OnnxGraph("fsrcnn")
    x = g.conv("/feature/Conv", g.input("input", (batch, 1, height, width)), 1, d, 5)
    x = g.conv("/shrink/Conv", x, d, s, 1)
    for i in range(m):
        x = g.conv(f"/map/map.{i}/Conv", x, s, s, 3)
    x = g.conv("/expand/Conv", x, s, d, 1)
    out = g.conv("/upsample/Conv", x, d, scale * scale, 3)
    return g.model([out], doc=f"FSRCNN({d},{s},{m}) at {width}x{height}, x{scale} sub-pixel")


TINY_YOLO_V2 = (16, 32, 64, 128, 256, 512)


def tiny_yolov2(
    size: int = 416, batch: int = 1, anchors: int = 5, classes: int = 20
) -> onnx.ModelProto:
    """Tiny-YOLOv2 (VOC): 3x3 conv + BatchNorm + LeakyReLU(0.1) stages, then a 1x1 detector."""
    g = OnnxGraph("tiny_yolov2")
    x, c_in = g.input("image", (batch, 3, size, size)), 3
    for i, c in enumerate((*TINY_YOLO_V2, 1024, 1024), start=1):
        x = g.conv(f"/conv{i}/Conv", x, c_in, c, 3, bias=False)
        bn = [g.weight(f"bn{i}.{k}", (c,)) for k in ("weight", "bias", "mean", "var")]
        x = g.node("BatchNormalization", f"/bn{i}/BatchNormalization", [x, *bn])
        x = g.node("LeakyRelu", f"/act{i}/LeakyRelu", [x], alpha=0.1)
        if i <= 5:
            x = g.node("MaxPool", f"/pool{i}/MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
        elif i == 6:  # stride-1 pool that keeps 13x13: pad one row and column at the end
            x = g.node("MaxPool", f"/pool{i}/MaxPool", [x], kernel_shape=[2, 2], strides=[1, 1],
                       pads=[0, 0, 1, 1])  # fmt: skip
        c_in = c
    out = g.conv("/detector/Conv", x, c_in, anchors * (5 + classes), 1)
    return g.model([out], doc=f"Tiny-YOLOv2, {size}x{size}, batch {batch}")
