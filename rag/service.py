"""The library facade the CLI and the API share: one loaded index, one embedder.

``Service`` loads the model and the live index once; reads always use a complete
snapshot, and writes (ingest, upload, delete) build a new generation and then
swap the snapshot reference atomically, so searches keep working during a re-index.
Adding and removing files changes the corpus folder and the index as one step
(:mod:`ingest.corpus`), so the folder stays the source of truth; a change a crash
interrupted is finished or undone when a ``Service`` starts (:mod:`ingest.staging`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest import corpus, staging
from ingest.pipeline import Ingestor, file_hash, fingerprint
from rag import malloc
from rag.embed import Embedder, make_embedder
from rag.errors import NotFound
from rag.retrieve import Retriever
from rag.schemas import (
    AnswerResponse,
    ChatMessage,
    FileOutcome,
    Filters,
    IngestSummary,
    SearchResponse,
)
from rag.settings import Settings
from rag.store import IndexSnapshot, IndexStore

if TYPE_CHECKING:
    from rag.answer import Answerer

log = logging.getLogger(__name__)


class Service:
    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        store: IndexStore | None = None,
        answerer: Answerer | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder or make_embedder(settings.embedding, cache_dir=settings.cache_dir)
        self.store = store or IndexStore(settings.resolved_index_dir)
        self._snapshot: IndexSnapshot | None = None
        self._swap = threading.Lock()
        self._write = threading.Lock()
        self._corpus = threading.Lock()  # one change to the corpus folder at a time
        self._answerer = answerer
        self.recover()

    def recover(self) -> list[str]:
        """Finish or undo corpus changes a crashed process left (see ingest.staging)."""
        try:
            return staging.recover(self.settings.corpus_dir, self.store.hashes_by_path, file_hash)
        except OSError:  # e.g. a read-only corpus folder: reads must still work
            log.warning("could not recover staged changes in %s", self.settings.corpus_dir,
                        exc_info=True)  # fmt: skip
            return []

    # -- reading ---------------------------------------------------------------
    @property
    def fingerprint(self) -> dict[str, Any]:
        return fingerprint(self.settings, self.embedder)

    def snapshot(self) -> IndexSnapshot:
        """The live snapshot, reloaded if another process published a newer generation."""
        current = self.store.current_generation()
        snap = self._snapshot
        if snap is None or (current is not None and snap.generation != current):
            with self._swap:
                snap = self._snapshot
                if snap is None or (current is not None and snap.generation != current):
                    snap = self.store.open(self.fingerprint)
                    self._snapshot = snap
        return snap

    def retriever(self) -> Retriever:
        return Retriever(self.snapshot(), self.embedder, self.settings.retrieval)

    def search(self, query: str, k: int = 5, filters: Filters | None = None) -> SearchResponse:
        hits = self.retriever().search(query, k, filters)
        return SearchResponse(query=query, results=[h.to_result(i + 1) for i, h in enumerate(hits)])

    @property
    def answerer(self) -> Answerer:
        if self._answerer is None:
            from rag.answer import Answerer

            self._answerer = Answerer(self.settings)
        return self._answerer

    def warm_up(self) -> None:
        """Load the embedding model and the reader now, so the first question is not slow."""
        self.embedder.embed(["warm up"])
        reader = getattr(self.answerer, "reader", None)  # an injected answerer may have none
        if reader is not None:  # reading one pair loads the model
            reader.read("warm up", ["The reader is loaded."], [""])

    def ask(
        self,
        question: str,
        *,
        history: Sequence[ChatMessage] = (),
        filters: Filters | None = None,
        k: int | None = None,
        generator: str | None = None,
    ) -> AnswerResponse:
        return self.answerer.ask(
            question,
            retriever=self.retriever(),
            history=history,
            filters=filters,
            k=k,
            generator=generator,
        )

    def ask_stream(
        self,
        question: str,
        *,
        history: Sequence[ChatMessage] = (),
        filters: Filters | None = None,
        k: int | None = None,
        generator: str | None = None,
    ) -> Iterator[tuple[str, Any]]:
        """("token", text) events, then ("final", AnswerResponse)."""
        return self.answerer.ask_stream(
            question,
            retriever=self.retriever(),
            history=history,
            filters=filters,
            k=k,
            generator=generator,
        )

    # -- writing ---------------------------------------------------------------
    def ingestor(self) -> Ingestor:
        return Ingestor(self.settings, embedder=self.embedder, store=self.store)

    def ingest(
        self,
        paths: Sequence[Path | str],
        *,
        keep_missing: bool = True,
        rebuild: bool = False,
        progress: bool = False,
    ) -> IngestSummary:
        """Bring the index in step with these files and folders (see ``Ingestor``)."""
        with self._write:
            summary = self.ingestor().ingest_paths(
                paths, keep_missing=keep_missing, rebuild=rebuild, progress=progress
            )
        self._refresh()
        return summary

    def add_files(
        self,
        files: Sequence[corpus.Incoming],
        *,
        metadata: dict[str, Any] | None = None,
        max_bytes: int | None = None,
    ) -> list[FileOutcome]:
        """Store ``(name, bytes stream)`` pairs in the corpus folder's ``uploads/`` and
        index them; one outcome per file, and a failed file leaves the folder as it was.

        ``metadata`` is written as each file's sidecar; ``max_bytes`` defaults to
        ``api.max_upload_mb``.
        """
        if max_bytes is None:
            max_bytes = int(self.settings.api.max_upload_mb * 1_000_000)
        with self._corpus:
            return corpus.add_files(
                self.settings.corpus_dir,
                files,
                ingest=self._ingest_staged,
                max_bytes=max_bytes,
                sidecar=metadata,
            )

    def _ingest_staged(self, pairs: list[tuple[Path, Path]]) -> IngestSummary:
        with self._write:
            summary = self.ingestor().ingest_staged(pairs)
        self._refresh()
        return summary

    def remove(self, doc_id: str, *, delete_file: bool = False) -> str:
        """Remove one document from the index; returns its path. With ``delete_file``,
        its file and sidecar are deleted too when they lie inside the corpus folder
        (moved out first, so a crash never leaves the file there unindexed)."""
        with self._corpus:
            if not delete_file:
                with self._write:
                    path = self.ingestor().remove(doc_id)
            else:
                paths = {d: p for p, (d, _) in self.store.hashes_by_path().items()}
                if doc_id not in paths:
                    raise NotFound(f"No document with id {doc_id!r}; list ids with GET /documents.")
                with corpus.removing(self.settings.corpus_dir, Path(paths[doc_id])) as change:
                    with self._write:
                        path = self.ingestor().remove(doc_id)
                    change.commit()
            self._refresh()
        return path

    def _refresh(self) -> None:
        if self._snapshot is None:
            return  # nothing loaded yet: the first read opens the newest generation
        if self.store.exists():
            new = self.store.open(self.fingerprint)
            with self._swap:
                self._snapshot = new
        malloc.trim()  # the old snapshot and the ingestion's buffers go back to the system
