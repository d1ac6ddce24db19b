"""Silicon validation: shipped cases with measured latencies, run end to end and compared."""
