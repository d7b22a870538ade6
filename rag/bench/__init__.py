"""Benchmarks behind `make bench`; each writes its own section of BENCHMARKS.md.

They run from a checkout (``python -m rag.bench.<name>``); the wheel ships none of them
(``exclude`` in pyproject.toml).
"""
