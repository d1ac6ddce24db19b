"""Allocation search: which core runs which group of tiles."""
