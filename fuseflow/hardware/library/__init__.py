"""The shipped accelerator library (YAML package data; see fuseflow/hardware/catalog.py)."""
