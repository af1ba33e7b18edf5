"""Benchmarks: measured by hand (`python -m benchmarks.<name>`), kept apart from the test run."""
