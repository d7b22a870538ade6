"""The persistent index: exact vector search, counts that agree, fingerprints,
the one-writer lock, and generations that survive a failed write."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.errors import IndexBusy, IndexMismatch, IndexMissing
from rag.records import Chunk, DocMeta, Document
from rag.retrieve import Retriever
from rag.schemas import Filters
from rag.settings import RetrievalSettings
from rag.store import IndexSnapshot, IndexStore

DIM = 16
FP = {"version": 1, "embedder": "random", "dim": DIM, "max_tokens": 50, "overlap_tokens": 0}


def make_doc(name: str, n: int, *, date: str = "2012-01-01") -> tuple[Document, list[Chunk]]:
    sents = [f"Sentence {i} of {name} about topic {i % 7}." for i in range(n)]
    text = " ".join(sents)
    doc = Document(
        name, f"{name}.txt", f"hash-{name}-{n}", "text", text, DocMeta(name.title(), date=date)
    )
    chunks, pos = [], 0
    for i, s in enumerate(sents):
        start = text.index(s, pos)
        pos = start + len(s)
        chunks.append(Chunk(name, i, s, start, pos, None, None))
    return doc, chunks


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.standard_normal((n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def check_consistent(snap: IndexSnapshot) -> None:
    rows = snap._query("SELECT id, doc_id, text, char_start, char_end FROM chunks ORDER BY id")
    assert snap.n_chunks == snap.vectors.ntotal == len(rows) == snap.manifest["chunks"]
    assert snap.bm25_ids.tolist() == [r[0] for r in rows]
    for _id, doc_id, text, s, e in rows:
        assert snap.document_text(doc_id)[s:e] == text
    assert snap.n_documents == len(snap.documents())


@pytest.fixture
def store(tmp_path: Path) -> IndexStore:
    return IndexStore(tmp_path / "index")


def fill(store: IndexStore, docs: dict[str, int], seed: int = 0) -> dict[int, np.ndarray]:
    """Index documents of ``n`` random-vector chunks; returns vectors by chunk row id."""
    rng = np.random.default_rng(seed)
    with store.writer(FP, DIM) as w:
        for name, n in docs.items():
            doc, chunks = make_doc(name, n)
            w.put_document(doc, f"/corpus/{name}.txt", chunks, unit(rng, n))
    snap = store.open(FP)
    ids = snap.bm25_ids
    return {int(i): snap.vectors.reconstruct(int(i)) for i in ids}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_faiss_top_k_equals_brute_force(store: IndexStore, seed: int) -> None:
    by_id = fill(store, {"alpha": 60, "beta": 45, "gamma": 30}, seed=seed)
    ids = np.array(sorted(by_id))
    mat = np.stack([by_id[i] for i in ids])
    snap = store.open(FP)
    rng = np.random.default_rng(100 + seed)
    retriever = Retriever(snap, None, RetrievalSettings())  # type: ignore[arg-type]
    beta_ids = snap.chunk_ids_matching(Filters(doc_ids=["beta"]))
    for q in unit(rng, 20):
        for k in (1, 5, 17, len(ids)):
            scores, got = snap.vectors.search(q[None, :], k)
            sims = mat @ q
            want = ids[np.argsort(-sims, kind="stable")[:k]]
            assert got[0].tolist() == want.tolist()
            np.testing.assert_allclose(scores[0], np.sort(sims)[::-1][:k], rtol=1e-5, atol=1e-6)
        # the dense path with a filter: top-k among the allowed ids only
        dense = retriever._dense(q, 10, beta_ids)
        mask = np.isin(ids, beta_ids)
        want = ids[mask][np.argsort(-(mat[mask] @ q))[:10]]
        assert list(dense) == want.tolist()


def test_put_and_remove_keep_counts_in_step(store: IndexStore) -> None:
    fill(store, {"alpha": 5, "beta": 7})
    check_consistent(store.open(FP))
    rng = np.random.default_rng(3)
    with store.writer(FP, DIM) as w:
        doc, chunks = make_doc("alpha", 9)  # replace: 5 chunks become 9
        w.put_document(doc, "/corpus/alpha.txt", chunks, unit(rng, 9))
        doc, chunks = make_doc("gamma", 3)
        w.put_document(doc, "/corpus/gamma.txt", chunks, unit(rng, 3))
    snap = store.open(FP)
    check_consistent(snap)
    assert snap.n_chunks == 9 + 7 + 3 and snap.n_documents == 3
    with store.writer(FP, DIM) as w:
        w.remove_document("beta")
        w.remove_document("no-such-doc")
    snap = store.open(FP)
    check_consistent(snap)
    assert snap.n_chunks == 12 and {d.doc_id for d in snap.documents()} == {"alpha", "gamma"}
    assert snap.hashes_by_path() == {
        "/corpus/alpha.txt": ("alpha", "hash-alpha-9"),
        "/corpus/gamma.txt": ("gamma", "hash-gamma-3"),
    }
    with store.writer(FP, DIM) as w:
        w.remove_document("alpha")
        w.remove_document("gamma")
    snap = store.open(FP)
    check_consistent(snap)
    assert snap.n_chunks == 0 and snap.bm25 is None
    assert Retriever(snap, None, RetrievalSettings()).score("topic", fusion="bm25") == []  # type: ignore[arg-type]


def test_vectors_must_match_chunks(store: IndexStore) -> None:
    doc, chunks = make_doc("alpha", 3)
    with pytest.raises(ValueError, match="3 chunks but 2 vectors"), store.writer(FP, DIM) as w:
        w.put_document(doc, "/corpus/alpha.txt", chunks, unit(np.random.default_rng(0), 2))
    assert not store.exists()


def test_fingerprint_mismatch_says_how_to_rebuild(store: IndexStore) -> None:
    fill(store, {"alpha": 3})
    other = {**FP, "max_tokens": 200}
    with pytest.raises(IndexMismatch, match="rebuild") as err:
        store.open(other)
    assert "max_tokens" in str(err.value) and str(store.root) in str(err.value)
    with pytest.raises(IndexMismatch, match="rebuild"), store.writer(other, DIM):
        pass
    with store.writer(other, DIM, rebuild=True) as w:  # a rebuild starts empty
        assert w.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0] == 0
    assert store.open(other).n_chunks == 0


def test_missing_index_names_the_folder(tmp_path: Path) -> None:
    root = tmp_path / "nowhere" / "index"
    with pytest.raises(IndexMissing) as err:
        IndexStore(root).open()
    assert str(root) in str(err.value) and "rag ingest" in str(err.value)


def test_second_writer_is_refused(store: IndexStore) -> None:
    fill(store, {"alpha": 3})
    before = store.current_generation()
    with store.writer(FP, DIM) as w:
        with pytest.raises(IndexBusy, match=str(store.root)), store.writer(FP, DIM):
            pass
        doc, chunks = make_doc("beta", 2)
        w.put_document(doc, "/corpus/beta.txt", chunks, unit(np.random.default_rng(0), 2))
    assert store.current_generation() != before
    with store.writer(FP, DIM):  # the lock is free again
        pass


def test_crash_inside_writer_keeps_previous_generation(store: IndexStore) -> None:
    fill(store, {"alpha": 4, "beta": 2})
    live = store.current_generation()
    with pytest.raises(RuntimeError, match="boom"), store.writer(FP, DIM) as w:
        w.remove_document("alpha")
        doc, chunks = make_doc("gamma", 3)
        w.put_document(doc, "/corpus/gamma.txt", chunks, unit(np.random.default_rng(1), 3))
        raise RuntimeError("boom")
    assert store.current_generation() == live
    snap = store.open(FP)
    check_consistent(snap)
    assert {d.doc_id for d in snap.documents()} == {"alpha", "beta"}
    assert [p.name for p in store.root.glob("gen-*")] == [live]
    # a writer killed outright leaves its folder behind; the next commit clears it
    (store.root / "gen-20000101T000000-dead00.tmp").mkdir()
    (store.root / "CURRENT.dead.tmp").write_text("x")
    with store.writer(FP, DIM) as w:
        w.remove_document("beta")
    gens = sorted(p.name for p in store.root.glob("gen-*"))
    assert gens == [store.current_generation()] and live not in gens
    assert not list(store.root.glob("CURRENT.*"))
    check_consistent(store.open(FP))


def test_writer_without_changes_publishes_nothing(store: IndexStore) -> None:
    fill(store, {"alpha": 2})
    live = store.current_generation()
    with store.writer(FP, DIM):
        pass
    assert store.current_generation() == live
    assert [p.name for p in store.root.glob("gen-*")] == [live]


def test_filters_select_documents(store: IndexStore) -> None:
    rng = np.random.default_rng(0)
    with store.writer(FP, DIM) as w:
        for name, date in (("old", "2010-05-01"), ("new", "2014-05-01")):
            doc, chunks = make_doc(name, 3, date=date)
            w.put_document(doc, f"/corpus/{name}.txt", chunks, unit(rng, 3))
    snap = store.open(FP)
    r = Retriever(snap, None, RetrievalSettings())  # type: ignore[arg-type]
    new_ids = set(snap.chunk_ids_matching(Filters(doc_ids=["new"])).tolist())
    assert set(r.allowed_ids(Filters(date_from="2012-01-01")).tolist()) == new_ids
    assert r.allowed_ids(Filters()) is None
    assert r.allowed_ids(Filters(kind="pdf")).size == 0
