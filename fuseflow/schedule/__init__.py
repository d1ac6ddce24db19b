"""Scheduling of the CN graph on the cores, and the independent schedule validator."""
