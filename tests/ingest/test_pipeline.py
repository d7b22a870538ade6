"""Incremental ingestion: add, skip unchanged, re-embed only what changed, remove,
keep missing, and refuse bad files without losing what is indexed."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from ingest.load import load
from ingest.pipeline import Ingestor
from rag.embed import CachedEmbedder, EmbeddingCache, HashEmbedder
from rag.records import LoadedDocument
from rag.retrieve import Retriever
from rag.settings import Settings
from rag.store import IndexSnapshot

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
PDFS = SHARED_DATA / "pdfs"
STREETS = "streets-ahead-press-release-2011-12-07.txt"
LOCAL = "local-innovation-and-freedom-2012-07-05.txt"


class Counting:
    """The hash embedder, recording what it is asked to embed (under the real cache)."""

    def __init__(self) -> None:
        self.inner = HashEmbedder()
        self.model_id = self.inner.model_id
        self.dim = self.inner.dim
        self.seen: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.seen.extend(texts)
        return self.inner.embed(texts)


@pytest.fixture
def counting() -> Counting:
    return Counting()


@pytest.fixture
def ingestor(settings: Settings, counting: Counting) -> Callable[..., Ingestor]:
    def make(**kw: object) -> Ingestor:
        emb = CachedEmbedder(counting, EmbeddingCache(settings.cache_dir / "embeddings.sqlite"))
        return Ingestor(settings, embedder=emb, **kw)  # type: ignore[arg-type]

    return make


def docs_by_name(snap: IndexSnapshot) -> dict[str, str]:
    return {Path(d.path).name: d.doc_id for d in snap.documents()}


def embed_texts(ing: Ingestor, snap: IndexSnapshot, doc_id: str) -> set[str]:
    title = snap.document(doc_id).title
    rows = snap._query("SELECT context, text FROM chunks WHERE doc_id=?", (doc_id,))
    return {"\n".join(p for p in (title, *r) if p) for r in rows}


def top_doc(ing: Ingestor, query: str) -> str:
    snap = ing.store.open(ing.fingerprint)
    hits = Retriever(snap, ing.embedder, ing.settings.retrieval).search(query, 3)
    return hits[0].chunk.doc_id


def test_incremental_ingest(
    corpus: Path, ingestor: Callable[..., Ingestor], counting: Counting
) -> None:
    ing = ingestor()
    first = ing.ingest_paths([corpus], progress=False)
    assert sorted(Path(p).name for p in first.added) == [LOCAL, STREETS]
    assert not (first.updated or first.removed or first.unchanged or first.failed)
    snap = ing.store.open(ing.fingerprint)
    assert first.embedded_chunks == snap.n_chunks == len(counting.seen) > 0
    current = (ing.store.root / "CURRENT").read_text()

    # unchanged: nothing parsed, embedded or written
    counting.seen.clear()
    again = ingestor().ingest_paths([corpus], progress=False)
    assert sorted(Path(p).name for p in again.unchanged) == [LOCAL, STREETS]
    assert again.embedded_chunks == 0 and not counting.seen
    assert not (again.added or again.updated or again.removed or again.failed)
    assert (ing.store.root / "CURRENT").read_text() == current

    # a change at the end: only the chunks whose text changed are embedded
    ids = docs_by_name(snap)
    old_streets = embed_texts(ing, snap, ids[STREETS])
    old_local = embed_texts(ing, snap, ids[LOCAL])
    with open(corpus / STREETS, "a", encoding="utf-8") as f:
        f.write("\nA closing note: Sunderland and Hull were studied in a later report.\n")
    changed = ingestor().ingest_paths([corpus], progress=False)
    assert [Path(p).name for p in changed.updated] == [STREETS]
    assert [Path(p).name for p in changed.unchanged] == [LOCAL]
    snap2 = ing.store.open(ing.fingerprint)
    new_streets = embed_texts(ing, snap2, ids[STREETS])
    assert set(counting.seen) == new_streets - old_streets
    assert changed.embedded_chunks == len(new_streets - old_streets) >= 1
    assert len(new_streets & old_streets) >= 1  # most of the text was not re-embedded
    assert not set(counting.seen) & old_local
    assert docs_by_name(snap2) == ids  # doc ids are stable across updates
    assert top_doc(ing, "Sunderland Hull later report") == ids[STREETS]

    # a deleted file: kept with --keep-missing, removed without
    (corpus / LOCAL).unlink()
    kept = ingestor().ingest_paths([corpus], keep_missing=True, progress=False)
    assert not kept.removed and LOCAL in docs_by_name(ing.store.open())
    gone = ingestor().ingest_paths([corpus], progress=False)
    assert [Path(p).name for p in gone.removed] == [LOCAL]
    snap3 = ing.store.open()
    assert list(docs_by_name(snap3)) == [STREETS]
    assert snap3.n_chunks == len(snap3.bm25_ids) == snap3.vectors.ntotal


def test_bad_files_fail_with_reasons_and_the_run_goes_on(
    corpus: Path, ingestor: Callable[..., Ingestor]
) -> None:
    (corpus / "empty.pdf").write_bytes(b"")
    (corpus / "notes.pdf").write_text("This is plain text with a .pdf name.\n")
    (corpus / "blank.txt").write_text("   \n\n  \n")
    summary = ingestor().ingest_paths([corpus, corpus / "no-such-file.txt"], progress=False)
    assert sorted(Path(p).name for p in summary.added) == [LOCAL, STREETS]
    reasons = {Path(f["path"]).name: f["reason"] for f in summary.failed}
    assert set(reasons) == {"empty.pdf", "notes.pdf", "blank.txt", "no-such-file.txt"}
    assert "empty" in reasons["empty.pdf"]
    assert "not a PDF" in reasons["notes.pdf"]
    assert "whitespace" in reasons["blank.txt"]
    assert "no such file" in reasons["no-such-file.txt"]


def test_loader_crash_is_reported_not_raised(
    corpus: Path, ingestor: Callable[..., Ingestor]
) -> None:
    def flaky(path: Path) -> LoadedDocument:
        if path.name == LOCAL:
            raise RuntimeError("parser exploded")
        return load(path)

    summary = ingestor(loader=flaky).ingest_paths([corpus], progress=False)
    assert [Path(p).name for p in summary.added] == [STREETS]
    assert summary.failed[0]["reason"] == "unexpected error: parser exploded"


def test_each_file_has_a_typed_outcome_with_its_id_and_loader_warnings(
    corpus: Path, ingestor: Callable[..., Ingestor]
) -> None:
    def warning(path: Path) -> LoadedDocument:
        ld = load(path)
        return LoadedDocument(ld.source, ld.kind, ld.text, ld.meta, ld.pages, ("page 2: odd",))

    ing = ingestor(loader=warning)
    first = ing.ingest_paths([corpus], progress=False)
    ids = docs_by_name(ing.store.open())
    for name in (LOCAL, STREETS):
        outcome = first.outcome(corpus / name)
        assert outcome is not None and outcome.status == "added"
        assert outcome.doc_id == ids[name] and outcome.warnings == ["page 2: odd"]
    again = ing.ingest_paths([corpus], progress=False).outcome(corpus / STREETS)
    assert again is not None and (again.status, again.doc_id) == ("unchanged", ids[STREETS])
    (corpus / LOCAL).unlink()
    gone = ing.ingest_paths([corpus], progress=False).outcome(corpus / LOCAL)
    assert gone is not None and (gone.status, gone.doc_id) == ("removed", ids[LOCAL])


def test_corrupted_file_keeps_its_old_version(
    corpus: Path, ingestor: Callable[..., Ingestor]
) -> None:
    ing = ingestor()
    ing.ingest_paths([corpus], progress=False)
    before = ing.store.open()
    ids = docs_by_name(before)
    chunks_before = before.n_chunks
    (corpus / LOCAL).write_bytes(b"%PDF-1.4\n\x00\x01 broken")  # now a PDF in disguise
    summary = ingestor().ingest_paths([corpus], progress=False)
    assert [Path(f["path"]).name for f in summary.failed] == [LOCAL]
    assert "PDF" in summary.failed[0]["reason"]
    after = ing.store.open()
    assert docs_by_name(after) == ids and after.n_chunks == chunks_before
    assert before.hashes_by_path() == after.hashes_by_path()
    assert top_doc(ing, "Nick Clegg City Deals Nottingham venture capital") == ids[LOCAL]


def test_a_corrupt_newcomer_does_not_block_a_first_index(
    tmp_path: Path, ingestor: Callable[..., Ingestor]
) -> None:
    folder = tmp_path / "only-bad"
    folder.mkdir()
    (folder / "empty.pdf").write_bytes(b"")
    ing = ingestor()
    summary = ing.ingest_paths([folder], progress=False)
    assert [Path(f["path"]).name for f in summary.failed] == ["empty.pdf"]
    assert ing.store.open().n_chunks == 0  # an empty, valid index


@pytest.mark.skipif(not PDFS.is_dir(), reason=f"real PDFs not found at {PDFS} (shared data absent)")
def test_real_pdfs(tmp_path: Path, corpus: Path, ingestor: Callable[..., Ingestor]) -> None:
    good = sorted((PDFS / "good").glob("*.pdf")) + sorted((PDFS / "odd").glob("*.pdf"))
    bad = sorted((PDFS / "bad").glob("*.pdf"))
    folder = tmp_path / "pdfs"
    for sub in ("good", "odd", "bad"):
        shutil.copytree(PDFS / sub, folder / sub)
    ing = ingestor()
    summary = ing.ingest_paths([folder, corpus], progress=False)
    assert sorted(Path(p).name for p in summary.added) == sorted(
        [f.name for f in good] + [LOCAL, STREETS]
    )
    failed = {Path(f["path"]).name: f["reason"] for f in summary.failed}
    assert set(failed) == {f.name for f in bad}
    assert all(len(r) > 10 for r in failed.values())
    snap = ing.store.open(ing.fingerprint)
    ids = docs_by_name(snap)
    for f in good:
        doc = snap.document(ids[f.name])
        assert doc.kind == "pdf" and doc.n_pages and doc.chunks >= 1
        text = snap.document_text(doc.doc_id)
        rows = snap._query(
            "SELECT text, char_start, char_end, page_start, page_end FROM chunks WHERE doc_id=?",
            (doc.doc_id,),
        )
        for chunk_text, s, e, p0, p1 in rows:
            assert text[s:e] == chunk_text
            assert 1 <= p0 <= p1 <= doc.n_pages, f.name
    assert top_doc(ing, "high technology innovators Coventry Derby") == ids[STREETS]


def test_a_no_op_ingest_still_refuses_an_index_built_with_other_settings(
    corpus: Path, settings: Settings, counting: Counting
) -> None:
    """An upgrade that changes how chunks are indexed (the fingerprint's version) with no
    file changed must not pass silently and leave `rag serve` to fail on the old index."""
    from rag.errors import IndexMismatch

    Ingestor(settings, embedder=counting).ingest_paths([corpus], progress=False)  # type: ignore[arg-type]
    group = settings.chunking.model_copy(update={"max_tokens": settings.chunking.max_tokens + 8})
    other = Ingestor(settings.model_copy(update={"chunking": group}), embedder=counting)  # type: ignore[arg-type]
    with pytest.raises(IndexMismatch, match="rag ingest --rebuild"):
        other.ingest_paths([corpus], progress=False)
    assert other.ingest_paths([corpus], rebuild=True, progress=False).failed == []
