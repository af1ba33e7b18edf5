"""Benchmarks on PostgreSQL + Redis: `make bench` or `python -m tests.benchmarks`.

Kept apart from the test run (no file here is named test_*.py). Each figure is printed with a
baseline measured in the same run and the ratio between them; see docs/benchmarks.md.
"""
