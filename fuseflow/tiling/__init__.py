"""Tiling: mapping file, layer stacks, computation nodes and their exact dependencies."""
