"""Core files of the shipped accelerator library (YAML package data)."""
