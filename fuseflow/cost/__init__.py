"""Intra-core cost: latency and energy of a layer tile on a core, and the cost table."""
