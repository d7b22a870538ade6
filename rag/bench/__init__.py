"""Benchmarks behind `make bench`; each writes its own section of BENCHMARKS.md."""
