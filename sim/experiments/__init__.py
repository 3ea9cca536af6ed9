"""Experiments: experiment files, designs, sweeps and their executors, and results files.

Built on :mod:`sim.model`; below :mod:`sim.analysis` (see docs/architecture.md)."""
