"""Benchmarks of the whole stack; see bench/README.md."""
