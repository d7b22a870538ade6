"""Hybrid retrieval over the seed corpus (hash embedder): the canonical passage ranks
high, filters apply before ranking, and every result slices back to its document."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from rag.retrieve import FUSIONS, fuse
from rag.schemas import Filters, SearchResponse
from rag.service import Service
from rag.settings import Settings

QUESTION = "which cities are high-tech innovators?"
CITIES = ("Coventry", "Derby", "Northampton", "Preston", "Warrington/Wigan")


def assert_slices(svc: Service, resp: SearchResponse) -> None:
    snap = svc.snapshot()
    assert [r.rank for r in resp.results] == list(range(1, len(resp.results) + 1))
    scores = [r.score for r in resp.results]
    assert scores == sorted(scores, reverse=True)
    for r in resp.results:
        assert snap.document_text(r.doc_id)[r.char_start : r.char_end] == r.text
        assert r.chunk_id.startswith(r.doc_id + ":")
    assert len({r.chunk_id for r in resp.results}) == len(resp.results)


def test_canonical_question_finds_the_coventry_passage(seed_service: Service) -> None:
    resp = seed_service.search(QUESTION, 5)
    assert_slices(seed_service, resp)
    top3 = [r for r in resp.results[:3] if all(c in r.text for c in CITIES)]
    assert top3 and top3[0].source.endswith("streets-ahead-press-release-2011-12-07.txt")
    assert top3[0].title == "Centrally-led growth policy holding back cities outside London"


@pytest.mark.parametrize("fusion", FUSIONS)
def test_every_fusion_mode_answers(seed_service: Service, fusion: str) -> None:
    retriever = seed_service.retriever()
    hits = retriever.search(QUESTION, 4, fusion=fusion)
    assert len(hits) == 4
    assert any("Coventry" in h.chunk.text for h in hits)
    fused = [h.score for h in hits]
    assert fused == sorted(fused, reverse=True)
    if fusion == "dense":
        assert all(-1.0001 <= h.dense <= 1.0001 for h in hits)


def test_bm25_alone_finds_nothing_for_unknown_words(seed_service: Service) -> None:
    assert seed_service.retriever().search("zzqx vvkw", 3, fusion="bm25") == []


@pytest.fixture
def crowded(
    tmp_path: Path, seed_copier: Callable[[Path], Path], make_settings: Callable[..., Settings]
) -> Service:
    """The seeds plus 40 later decoys that match the question better than anything else."""
    folder = seed_copier(tmp_path / "corpus")
    for i in range(40):
        (folder / f"decoy-{i:02d}.txt").write_text(
            f"Decoy {i}: which cities are high-tech innovators?\n\n"
            "Cities that are high-tech innovators are high tech innovators in high technology. "
            f"Innovators in high-tech cities number {i}.\n"
        )
        meta = {
            "title": f"Decoy {i}",
            "date": f"2015-01-{1 + i % 28:02d}",
            "authors": ["Someone Else"],
        }
        (folder / f"decoy-{i:02d}.meta.json").write_text(json.dumps(meta))
    svc = Service(make_settings(tmp_path / "data", retrieval={"candidates": 10}))
    summary = svc.ingest([folder])
    assert len(summary.added) == 42 and not summary.failed
    return svc


def test_filters_apply_before_ranking(crowded: Service) -> None:
    snap = crowded.snapshot()
    docs = {d.doc_id: d for d in snap.documents()}
    seeds = {i for i, d in docs.items() if not d.title.startswith("Decoy")}
    streets = next(i for i in seeds if i.startswith("streets-ahead"))
    local = next(i for i in seeds if i.startswith("local-innovation"))
    unfiltered = crowded.search(QUESTION, 10)
    assert all(r.doc_id not in seeds for r in unfiltered.results)  # the decoys crowd them out

    cases: list[tuple[Filters, set[str]]] = [
        (Filters(date_to="2013-12-31"), seeds),
        (Filters(date_from="2012-01-01", date_to="2012-12-31"), {local}),
        (Filters(author="crowley"), {streets}),
        (Filters(author="Neil Lee"), {local}),
        (Filters(doc_ids=[streets]), {streets}),
        (Filters(doc_ids=[local, streets]), seeds),
        (Filters(kind="text", date_to="2011-12-31"), {streets}),
    ]
    for filters, allowed in cases:
        want = min(5, sum(docs[d].chunks for d in allowed))
        resp = crowded.search(QUESTION, 5, filters)
        assert len(resp.results) == want, filters
        assert {r.doc_id for r in resp.results} <= allowed, filters
        assert_slices(crowded, resp)
    assert crowded.search(QUESTION, 5, Filters(kind="pdf")).results == []
    assert crowded.search(QUESTION, 5, Filters(doc_ids=["no-such-doc"])).results == []


@pytest.mark.parametrize("fusion", FUSIONS)
def test_filters_hold_in_every_fusion_mode(crowded: Service, fusion: str) -> None:
    retriever = crowded.retriever()
    filters = Filters(author="crowley")
    hits = retriever.search(QUESTION, 5, filters, fusion=fusion)
    assert len(hits) == 5 and all(h.chunk.doc_id.startswith("streets-ahead") for h in hits)


def test_fuse_on_a_hand_made_example() -> None:
    dense = np.array([0.9, 0.5, 0.1])  # evenly spaced: min-max [1, 0.5, 0], z [s, 0, -s]
    bm25 = np.array([0.0, 4.0, 8.0])  # the reverse order: min-max [0, 0.5, 1], z [-s, 0, s]
    s = np.sqrt(1.5)  # 1 / population standard deviation of (-1, 0, 1)
    np.testing.assert_allclose(fuse(dense, bm25, "convex", alpha=0.75), [0.75, 0.5, 0.25])
    np.testing.assert_allclose(fuse(dense, bm25, "convex", alpha=0.25), [0.25, 0.5, 0.75])
    np.testing.assert_allclose(fuse(dense, bm25, "zscore", alpha=0.75), [s / 2, 0, -s / 2])
    rrf = [1 / 61 + 1 / 63, 2 / 62, 1 / 63 + 1 / 61]
    np.testing.assert_allclose(fuse(dense, bm25, "rrf", rrf_k=60), rrf)
    assert fuse(dense, bm25, "dense") is dense and fuse(dense, bm25, "bm25") is bm25
    # 'length': convex up to `length` query tokens, then BM25's share shrinks with them
    short = fuse(dense, bm25, "length", alpha=0.75, n_tokens=10, length=10)
    np.testing.assert_allclose(short, [0.75, 0.5, 0.25])
    long = fuse(dense, bm25, "length", alpha=0.5, n_tokens=20, length=10)  # share 0.25
    np.testing.assert_allclose(long, [0.75, 0.5, 0.25])
    np.testing.assert_allclose(fuse(dense, bm25, "length", n_tokens=0), [0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match="unknown fusion"):
        fuse(dense, bm25, "max")
