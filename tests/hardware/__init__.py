"""Tests of the hardware step."""
