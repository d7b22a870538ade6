"""A benchmark run on another kind of CPU writes its own section beside the first."""

from __future__ import annotations

from pathlib import Path

from rag.bench.report import tagged, write_section


def test_a_tagged_run_keeps_the_untagged_section_and_replaces_only_its_own(
    tmp_path: Path,
) -> None:
    md = tmp_path / "BENCHMARKS.md"
    write_section(tagged("latency", ""), "first machine", path=md)
    write_section(tagged("latency", "avx2"), "second machine, run 1", path=md)
    write_section(tagged("latency", "avx2"), "second machine, run 2", path=md)
    text = md.read_text()
    assert tagged("latency", "") == "latency" and tagged("latency", "avx2") == "latency-avx2"
    assert "first machine" in text and "run 2" in text and "run 1" not in text
    assert text.count("<!-- bench:latency:start -->") == 1
    assert text.count("<!-- bench:latency-avx2:start -->") == 1
