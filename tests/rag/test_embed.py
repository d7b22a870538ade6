"""Embedders: the hash fake behaves like an embedding, the cache embeds each text once,
the factory picks by name, and the bundled model loads offline."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.embed import (
    CachedEmbedder,
    EmbeddingCache,
    HashEmbedder,
    SentenceTransformerEmbedder,
    make_embedder,
)
from rag.settings import EmbeddingSettings

QUESTION = "which cities are high-tech innovators?"
RELATED = "High technology innovators include Coventry and Derby."
UNRELATED = "Nottingham gets a venture capital fund."


class CountingEmbedder:
    """A hash embedder that records every text it is asked to embed."""

    def __init__(self) -> None:
        self.inner = HashEmbedder(dim=32)
        self.model_id = "counting-32"
        self.dim = 32
        self.seen: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.seen.extend(texts)
        return self.inner.embed(texts)


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(st.text(max_size=80), min_size=1, max_size=8))
def test_hash_vectors_are_unit_length_and_deterministic(texts: list[str]) -> None:
    a = HashEmbedder().embed(texts)
    b = HashEmbedder().embed(list(reversed(texts)))[::-1]
    assert a.shape == (len(texts), 384) and a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(a, b)


def test_hash_related_texts_are_closer_than_unrelated() -> None:
    q, rel, unrel = HashEmbedder().embed([QUESTION, RELATED, UNRELATED])
    assert q @ rel > q @ unrel
    assert HashEmbedder().embed([]).shape == (0, 384)


def test_cache_embeds_each_distinct_text_once(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    emb = CachedEmbedder(inner, EmbeddingCache(tmp_path / "cache.sqlite"))
    first = emb.embed(["a city", "a fund", "a city"])
    assert sorted(inner.seen) == ["a city", "a fund"] and emb.computed == 2
    second = emb.embed(["a fund", "new text", "a city"])
    assert inner.seen.count("a city") == 1 and inner.seen.count("a fund") == 1
    assert emb.computed == 3
    np.testing.assert_array_equal(second[0], first[1])
    np.testing.assert_array_equal(second[2], first[0])
    np.testing.assert_array_equal(second, inner.inner.embed(["a fund", "new text", "a city"]))
    assert emb.embed([]).shape == (0, 32)


def test_cache_survives_a_new_process_and_keys_by_model(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    CachedEmbedder(CountingEmbedder(), EmbeddingCache(path)).embed(["kept"])
    again = CountingEmbedder()
    CachedEmbedder(again, EmbeddingCache(path)).embed(["kept"])
    assert again.seen == []
    other = CountingEmbedder()
    other.model_id = "another-model"
    CachedEmbedder(other, EmbeddingCache(path)).embed(["kept"])
    assert other.seen == ["kept"]


def test_make_embedder_by_backend_name(tmp_path: Path) -> None:
    plain = make_embedder(EmbeddingSettings(backend="hash", cache=False))
    assert isinstance(plain, HashEmbedder)
    cached = make_embedder(EmbeddingSettings(backend="hash"), cache_dir=tmp_path)
    assert isinstance(cached, CachedEmbedder) and isinstance(cached.inner, HashEmbedder)
    assert (tmp_path / "embeddings.sqlite").exists()
    st_emb = make_embedder(EmbeddingSettings(threads=1, cache=False, dtype="float32"))
    assert isinstance(st_emb, SentenceTransformerEmbedder)
    assert st_emb._model is None  # loads lazily, on first embed
    assert st_emb.model_id == "sentence-transformers/all-MiniLM-L6-v2"
    bf = make_embedder(EmbeddingSettings(dtype="bfloat16", cache=False))
    assert bf.model_id.endswith("@bfloat16")


def test_auto_dtype_follows_the_cpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rag import embed

    with_bf16 = tmp_path / "bf16"
    with_bf16.write_text("processor : 0\nflags : fpu sse2 avx512f avx512_bf16 avx512_vnni\n")
    without = tmp_path / "plain"
    without.write_text("processor : 0\nflags : fpu sse2 avx2\n")
    assert embed.cpu_has_native_bf16(with_bf16)
    assert not embed.cpu_has_native_bf16(without)
    assert not embed.cpu_has_native_bf16(tmp_path / "missing")
    assert embed.cpu_has_int8_dot(with_bf16) and not embed.cpu_has_int8_dot(without)
    assert not embed.cpu_has_int8_dot(tmp_path / "missing")
    amx = tmp_path / "amx"
    amx.write_text("processor : 0\nflags : avx512f avx512_vnni avx512_bf16 amx_bf16 amx_tile\n")
    assert embed.cpu_has_bf16_tiles(amx)
    assert not embed.cpu_has_bf16_tiles(with_bf16) and not embed.cpu_has_bf16_tiles(without)
    assert not embed.cpu_has_bf16_tiles(tmp_path / "missing")
    monkeypatch.setattr(embed, "cpu_has_bf16_tiles", lambda: False)
    monkeypatch.setattr(embed, "cpu_has_int8_dot", lambda: False)
    monkeypatch.setattr(embed, "cpu_has_native_bf16", lambda: False)
    assert embed.resolve_dtype("auto") == "float32"
    monkeypatch.setattr(embed, "cpu_has_native_bf16", lambda: True)
    assert embed.resolve_dtype("auto") == "bfloat16"
    monkeypatch.setattr(embed, "cpu_has_int8_dot", lambda: True)
    assert embed.resolve_dtype("auto") == "int8"
    # On AMX, bfloat16 runs on the matrix tiles and indexes faster than int8 (VNNI too).
    monkeypatch.setattr(embed, "cpu_has_bf16_tiles", lambda: True)
    assert embed.resolve_dtype("auto") == "bfloat16"
    assert embed.resolve_dtype("int8") == "int8"
    assert embed.resolve_dtype("float32") == "float32"


def test_cpu_features_name_what_the_precisions_run_on(tmp_path: Path) -> None:
    from rag import embed

    vnni = tmp_path / "vnni"
    vnni.write_text("processor : 0\nflags : fpu sse2 avx2 avx512f avx512_vnni avx512_bf16\n")
    avx2 = tmp_path / "avx2"
    avx2.write_text("processor : 0\nflags : fpu sse2 fma avx avx2\n")
    amx = tmp_path / "amx"
    amx.write_text("processor : 0\nflags : avx2 avx512f avx512_vnni amx_bf16 amx_tile amx_int8\n")
    old = tmp_path / "old"
    old.write_text("processor : 0\nflags : fpu sse2\n")
    assert embed.cpu_features(vnni) == "AVX-512, VNNI, BF16"
    assert embed.cpu_features(amx) == "AVX-512, VNNI, BF16, AMX"
    assert embed.cpu_features(avx2) == "AVX2"
    assert embed.cpu_features(old) == "no AVX2"
    assert embed.cpu_features(tmp_path / "missing") == "CPU flags unknown"


@pytest.mark.model
def test_minilm_loads_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    emb = SentenceTransformerEmbedder(threads=1)
    vecs = emb.embed([QUESTION, RELATED, UNRELATED])
    assert emb.dim == 384 and vecs.shape == (3, 384) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, rtol=1e-4)
    q, rel, unrel = vecs
    assert q @ rel > q @ unrel
