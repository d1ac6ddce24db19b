"""fuseflow: layer-fused DNN scheduling on heterogeneous multi-core dataflow accelerators."""

__version__ = "0.1.0"
