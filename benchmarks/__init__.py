"""Timing scripts, run as `python -m benchmarks.<name>`; results go in BENCHMARKS.md."""
