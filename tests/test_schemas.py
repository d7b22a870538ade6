"""The shared wire shapes: the server-sent event framing of ``POST /ask``, and the ingest
summary's typed outcomes behind its by-status JSON."""

from __future__ import annotations

from pathlib import Path

from rag.schemas import FileOutcome, IngestSummary, parse_sse, sse_event


def test_sse_parser_joins_multi_line_data_and_flushes_at_the_end() -> None:
    lines = ["event: final", "data: {", 'data: "a": 1}', "", "data:x"]
    assert list(parse_sse(iter(lines))) == [("final", '{\n"a": 1}'), ("message", "x")]


def test_sse_events_written_by_the_api_parse_back() -> None:
    body = sse_event("token", '{"text": "a"}') + sse_event("final", "{}")
    assert list(parse_sse(body.splitlines())) == [("token", '{"text": "a"}'), ("final", "{}")]


def test_ingest_summary_keeps_its_json_and_finds_outcomes_by_path(tmp_path: Path) -> None:
    summary = IngestSummary(embedded_chunks=3)
    summary.record(FileOutcome(path="a.txt", status="added", doc_id="a-1"), str(tmp_path / "a.txt"))
    summary.record(FileOutcome(path="b.txt", status="failed", reason="the file is empty"))
    summary.record(FileOutcome(path="c.txt", status="unchanged", doc_id="c-1"))
    assert summary.model_dump() == {
        "added": ["a.txt"], "updated": [], "removed": [], "unchanged": ["c.txt"],
        "failed": [{"path": "b.txt", "reason": "the file is empty"}], "embedded_chunks": 3,
    }  # fmt: skip
    found = summary.outcome(tmp_path / "." / "a.txt")
    assert found is not None and found.doc_id == "a-1"
    assert summary.outcome(tmp_path / "b.txt") is None
