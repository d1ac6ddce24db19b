"""DIANA validation workload: ResNet-18's first layers with the residual, as in Stream's
resnet18_few_layers_with_residual.py (including its odd extra 1x1 conv on the skip path)."""

from __future__ import annotations

from fuseflow.workload.builder import WorkloadBuilder
from fuseflow.workload.layer import Workload
from fuseflow.workload.ops import Precisions

# as published: inputs and weights 8 b, partial sums 16 b, final outputs 8 b
PRECISIONS = Precisions(input_bits=8, weight_bits=8, partial_output_bits=16, output_bits=8)


def build() -> Workload:
    """Nine layers, as in the fact sheet's table (section 2)."""
    b = WorkloadBuilder("resnet18_first_layers_diana", PRECISIONS)
    x = b.input("image", (1, 3, 224, 224))
    # padding (top, bottom, left, right) = (3, 2, 3, 2) as published: 224 -> 112
    y0 = b.conv("conv0", x, 64, 7, stride=2, padding=(3, 2, 3, 2))
    y1 = b.pool("pool1", y0, 2, stride=2)  # 2x2 / 2 without padding, as published
    y2 = b.conv("conv2", y1, 64, 3, padding=1)
    y3 = b.conv("conv3_skip", y1, 64, 1)  # the source's "extra residual?" 1x1 conv
    y4 = b.conv("conv4", y2, 64, 3, padding=1)
    # Stream's Add: Y (its I1) <- conv4, X (its I2) <- conv3; ours: I first, W second
    y5 = b.elementwise("add5", "Add", y4, y3)
    y6 = b.conv("conv6", y5, 64, 3, padding=1)
    y7 = b.conv("conv7", y6, 64, 3, padding=1)
    b.elementwise("add8", "Add", y7, y5)
    return b.build()
