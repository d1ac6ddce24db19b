"""Accelerator descriptions: cores, memories, DRAM and interconnect (no simulation state)."""
