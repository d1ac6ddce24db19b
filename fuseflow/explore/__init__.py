"""Design-space exploration: sweeps over many design points."""
