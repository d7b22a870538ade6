"""Flat and IVF layouts: same answers on easy data, ids kept, removal and filters work,
and the store switches layout at the threshold and back with hysteresis."""

from pathlib import Path

import faiss
import numpy as np
import pytest

from rag import vectors
from rag.retrieve import Retriever
from rag.schemas import Filters
from rag.settings import RetrievalSettings
from rag.store import IndexStore

DIM = 32


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_wanted_layout_switches_with_hysteresis() -> None:
    assert vectors.wanted_layout("auto", 99, 100, "flat") == "flat"
    assert vectors.wanted_layout("auto", 101, 100, "flat") == "ivf"
    assert vectors.wanted_layout("auto", 60, 100, "ivf") == "ivf"  # stays: above half
    assert vectors.wanted_layout("auto", 40, 100, "ivf") == "flat"
    assert vectors.wanted_layout("flat", 10**6, 100, "flat") == "flat"
    assert vectors.wanted_layout("ivf", 10, 100, "flat") == "ivf"


def test_ivf_keeps_ids_reconstructs_removes_and_filters() -> None:
    rng = np.random.default_rng(0)
    x = unit(rng, 4000)
    ids = np.arange(10, 4010, dtype=np.int64)
    ivf = vectors.build("ivf", ids, x, DIM)
    assert vectors.layout_of(ivf) == "ivf" and ivf.ntotal == 4000
    np.testing.assert_allclose(ivf.reconstruct(123), x[113], atol=1e-6)
    # Querying with stored vectors: with every list probed, IVF is exact.
    params = vectors.search_params(ivf, None, nprobe=10_000)
    _, found = ivf.search(x[:20], 1, params=params)
    assert list(found[:, 0]) == list(ids[:20])
    allowed = ids[2000:2100]
    params = vectors.search_params(ivf, allowed, nprobe=10_000)
    _, found = ivf.search(x[:5], 10, params=params)
    assert set(found.ravel()) <= set(allowed.tolist())
    ivf.remove_ids(np.array([10], dtype=np.int64))
    assert ivf.ntotal == 3999
    with pytest.raises(RuntimeError):
        ivf.reconstruct(10)


def test_ivf_survives_a_write_and_read(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    x = unit(rng, 2000)
    ids = np.arange(2000, dtype=np.int64)
    path = str(tmp_path / "v.faiss")
    faiss.write_index(vectors.build("ivf", ids, x, DIM), path)
    back = faiss.read_index(path)
    assert vectors.layout_of(back) == "ivf"
    np.testing.assert_allclose(back.reconstruct(7), x[7], atol=1e-6)


def test_relayout_round_trip_keeps_every_vector() -> None:
    rng = np.random.default_rng(2)
    x = unit(rng, 3000)
    ids = np.arange(100, 3100, dtype=np.int64)
    flat = vectors.build("flat", ids, x, DIM)
    ivf = vectors.relayout(flat, ids.tolist(), "ivf")
    again = vectors.relayout(ivf, ids.tolist(), "flat")
    assert vectors.layout_of(again) == "flat"
    np.testing.assert_allclose(vectors.vectors_for(again, ids[:50].tolist()), x[:50], atol=1e-6)


def test_store_switches_to_ivf_above_the_threshold(tmp_path: Path, settings) -> None:
    """Ingest enough chunks to cross a low threshold: the index becomes IVF, and search
    (with and without filters) still finds documents."""
    from ingest.pipeline import Ingestor

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(1200):
        (corpus / f"doc{i:04d}.txt").write_text(
            f"Report number {i} on city {i % 37} and skills programme {i % 11}.\n\n"
            f"The council in town {i} funded apprenticeships worth {i} thousand pounds."
        )
    retrieval = RetrievalSettings(index_type="auto", ivf_threshold=1000, ivf_nprobe=64)
    s = settings.model_copy(update={"retrieval": retrieval})
    ing = Ingestor(s)
    ing.ingest_paths([corpus], progress=False)
    snap = IndexStore(s.resolved_index_dir).open()
    assert vectors.layout_of(snap.vectors) == "ivf"
    r = Retriever(snap, ing.embedder, retrieval)
    hits = r.search("town 417 apprenticeships thousand pounds", k=5)
    assert any(h.chunk.source.endswith("doc0417.txt") for h in hits)
    only = [d.doc_id for d in snap.documents() if d.source.endswith("doc0005.txt")]
    hits = r.search("apprenticeships", k=3, filters=Filters(doc_ids=only))
    assert hits and {h.chunk.doc_id for h in hits} == set(only)
    # Removing most files drops below half the threshold: back to flat.
    for f in sorted(corpus.iterdir())[400:]:
        f.unlink()
    ing.ingest_paths([corpus], progress=False)
    snap = IndexStore(s.resolved_index_dir).open()
    assert vectors.layout_of(snap.vectors) == "flat"
    assert snap.n_chunks == snap.vectors.ntotal
