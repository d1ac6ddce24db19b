"""DepFiN validation workload: FSRCNN's 8 conv layers at 540x960, as in Stream's fsrcnn.py."""

from __future__ import annotations

from fuseflow.workload.builder import WorkloadBuilder
from fuseflow.workload.layer import Workload
from fuseflow.workload.ops import Precisions

# as published: inputs and weights 8 b, partial sums 16 b, final outputs 8 b
PRECISIONS = Precisions(input_bits=8, weight_bits=8, partial_output_bits=16, output_bits=8)

# (name, out channels, kernel, padding) in order; stride 1, no bias/activation layers.
# Layer 6 (1x1) lists padding (1,1)/(1,1) in the source: a leftover without effect there (no
# FY/FX loops), so it is written here without padding (keeps the 540x960 output).
LAYERS = (
    ("conv0_extract", 56, 5, 2),
    ("conv1_shrink", 12, 1, 0),
    ("conv2_map", 12, 3, 1),
    ("conv3_map", 12, 3, 1),
    ("conv4_map", 12, 3, 1),
    ("conv5_map", 12, 3, 1),
    ("conv6_expand", 56, 1, 0),
    ("conv7_out", 16, 3, 1),
)


def build(height: int = 540, width: int = 960) -> Workload:
    """FSRCNN as encoded for DepFiN."""
    b = WorkloadBuilder("fsrcnn_depfin", PRECISIONS)
    x = b.input("image", (1, 1, height, width))
    for name, k, kernel, pad in LAYERS:
        x = b.conv(name, x, k, kernel, padding=pad)
    return b.build()
