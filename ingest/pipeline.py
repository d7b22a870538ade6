"""Incremental ingestion: scan, compare content hashes, load, chunk, embed, store.

New files are added, changed files replaced, files gone from an ingested folder
removed, unchanged files skipped before they are even parsed. A file that fails
is reported with its reason and, if an earlier version was indexed, that version
stays. Vectors come through the embedding cache, so text seen before is never
embedded twice. Worker processes parse and clean the next files while the model
embeds earlier ones (:mod:`ingest.prefetch`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tqdm import tqdm

from ingest.chunk import TokenCounter, approximate_counter, chunk_document, word_piece_counter
from ingest.prefetch import load_ahead
from ingest.progress import Progress
from ingest.scan import display_path, file_hash, scan
from ingest.structure import heading_path, section_headings, with_context
from rag.embed import MODEL_WINDOW, Embedder, make_embedder, precision_of
from rag.errors import InputError
from rag.records import Chunk, Document, LoadedDocument
from rag.schemas import FileOutcome, IngestSummary
from rag.settings import Settings
from rag.store import IndexStore, IndexWriter

log = logging.getLogger(__name__)

FINGERPRINT_VERSION = 8  # 3: PDF running lines dropped, table rows joined, headings
# 4: a document that fits the model's window with its title is one chunk
# 5: the heading path is stored with each chunk and indexed for BM25 too
# 6: PDF page text read by PDFium (words pypdf split are whole)
# 7: the "f" PDFium loses in an "ff" ligature ("af ect") put back
# 8: the int8 embedder's graph traced with eager attention (its vectors moved slightly)
# Chunks sent to the model together: more texts make fuller batches of one padded length
# (int8) and waste less padding (the torch embedders sort by length).
EMBED_BATCH_CHUNKS = 1024

Loader = Callable[[Path], LoadedDocument]
Todo = tuple[Path, Path, str, Literal["added", "updated"]]
"""A file to (re)index: where to read it, the path it is indexed under, hash, status."""


def fingerprint(settings: Settings, embedder: Embedder) -> dict[str, Any]:
    """What the stored vectors and chunks depend on; a mismatch means rebuild."""
    precision = precision_of(embedder)
    return {
        "version": FINGERPRINT_VERSION,
        "embedder": embedder.model_id.split("@")[0],
        "precision": precision,
        # which int8 graph made the vectors; float32 and bfloat16 stay interchangeable
        "graph": embedder.model_id.rpartition("@")[2] if precision == "int8" else "",
        "dim": embedder.dim,
        "max_tokens": settings.chunking.max_tokens,
        "overlap_tokens": settings.chunking.overlap_tokens,
        "max_chars": settings.chunking.max_chars,
        "include_title": settings.embedding.include_title,
        "bm25_k1": settings.retrieval.bm25_k1,
        "bm25_b": settings.retrieval.bm25_b,
    }


def make_doc_id(path_key: str) -> str:
    """Stable, readable id from a document's identity (its resolved path)."""
    stem = Path(path_key).stem if "/" in path_key or "." in path_key else path_key
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:40] or "doc"
    return f"{slug}-{hashlib.sha1(path_key.encode('utf-8')).hexdigest()[:8]}"


def source_name(path: Path, corpus_dir: Path | None = None) -> str:
    """A document's ``source``, which every client sees: :func:`display_path`, but never
    an absolute server path (the file's name alone then; the log has the full path)."""
    shown = display_path(path, corpus_dir)
    return path.name if Path(shown).is_absolute() else shown


@dataclass(slots=True)
class Item:
    """A file (or given document) to write: loaded, or the reason it could not be."""

    key: str  # the document's identity: its resolved path, or a given document's source
    display: str
    status: Literal["added", "updated"]
    doc: Document | None
    reason: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(slots=True)
class Pending:
    """A document waiting for its vectors."""

    item: Item
    doc: Document
    chunks: list[Chunk]


class Ingestor:
    """Turns loaded documents into index entries. Collaborators default from settings."""

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        store: IndexStore | None = None,
        loader: Loader | None = None,
        count_tokens: TokenCounter | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder or make_embedder(settings.embedding, cache_dir=settings.cache_dir)
        self.store = store or IndexStore(settings.resolved_index_dir)
        if loader is None:
            from ingest.load import load

            loader = functools.partial(load, limits=settings.ingest)
        self.loader = loader
        if count_tokens is None:
            count_tokens = (
                approximate_counter
                if settings.embedding.backend == "hash"
                else word_piece_counter()
            )
        self.count_tokens = count_tokens
        self.corpus_dir = settings.corpus_dir.expanduser().resolve()
        self._progress: Progress | None = None  # the file bar of the ingest running

    def display(self, path: Path) -> str:
        return display_path(path, self.corpus_dir)

    @property
    def fingerprint(self) -> dict[str, Any]:
        return fingerprint(self.settings, self.embedder)

    def _writer(self, *, rebuild: bool = False) -> contextlib.AbstractContextManager[IndexWriter]:
        r = self.settings.retrieval
        return self.store.writer(
            self.fingerprint,
            self.embedder.dim,
            rebuild=rebuild,
            index_type=r.index_type,
            ivf_threshold=r.ivf_threshold,
        )

    def chunk(self, doc: Document) -> list[Chunk]:
        """The document's chunks, each with the heading path in force where it starts."""
        headings = section_headings(doc.text)
        chunks = chunk_document(
            doc,
            max_tokens=self.settings.chunking.max_tokens,
            overlap_tokens=self.settings.chunking.overlap_tokens,
            count_tokens=self.count_tokens,
            max_chars=self.settings.chunking.max_chars,
            fit_tokens=self.fit_tokens(doc, heading_path(headings, 0, title=doc.meta.title)),
        )
        return with_context(doc, chunks, headings)

    def fit_tokens(self, doc: Document, context: str = "") -> int:
        """Word pieces of text that fit in the model's window with what is embedded before
        a whole document's text (title, heading path) and the two special tokens."""
        start = Chunk(doc.doc_id, 0, "", 0, 0, None, None, context)
        prefix = self.embed_text(doc, start)
        used = self.count_tokens([prefix])[0] if prefix else 0
        return max(0, MODEL_WINDOW - 2 - used)

    def embed_text(self, doc: Document, chunk: Chunk) -> str:
        """What is embedded for ``chunk``: the title (when configured), the section
        heading path in force where the chunk starts, then the chunk's own text."""
        title = doc.meta.title if self.settings.embedding.include_title else None
        return "\n".join(part for part in (title, chunk.context, chunk.text) if part)

    def _flush(self, writer: IndexWriter, pending: list[Pending], summary: IngestSummary) -> None:
        texts = [self.embed_text(p.doc, c) for p in pending for c in p.chunks]
        before = getattr(self.embedder, "computed", None)
        vectors = self.embedder.embed(texts)
        after = getattr(self.embedder, "computed", None)
        summary.embedded_chunks += (
            (after - before) if before is not None and after is not None else len(texts)
        )
        if self._progress is not None:
            self._progress.chunks_done(len(texts))
        i = 0
        for p in pending:
            writer.put_document(p.doc, p.item.key, p.chunks, vectors[i : i + len(p.chunks)])
            i += len(p.chunks)
            outcome = FileOutcome(
                path=p.item.display,
                status=p.item.status,
                doc_id=p.doc.doc_id,
                warnings=list(p.item.warnings),
            )
            summary.record(outcome, p.item.key)
        pending.clear()

    def ingest_paths(
        self,
        paths: Sequence[Path | str],
        *,
        keep_missing: bool = False,
        rebuild: bool = False,
        progress: bool = True,
    ) -> IngestSummary:
        """Bring the index in step with these files and folders."""
        summary = IngestSummary()
        files, folders, missing = scan([Path(p) for p in paths], display=self.display)
        for p, r in missing:
            summary.record(FileOutcome(path=p, status="failed", reason=r))
        known = {} if rebuild else self.store.hashes_by_path()
        todo = self._changed([(f, f) for f in files], known, summary)
        seen = {str(f) for f in files}
        gone = [
            (path, doc_id)
            for path, (doc_id, _) in known.items()
            if path not in seen and any(Path(path).is_relative_to(d) for d in folders)
        ]
        if not todo and (keep_missing or not gone) and not rebuild and self.store.exists():
            # Nothing to write (no model load, no new generation), but an index built
            # with other settings is still refused, as it would be when anything changed.
            self.store.check(self.fingerprint)
            return summary
        items = self._loaded(todo, progress)
        self._write(items, summary, gone=[] if keep_missing else gone, rebuild=rebuild)
        return summary

    def ingest_staged(self, files: Sequence[tuple[Path, Path]]) -> IngestSummary:
        """Index ``(staged, final)`` pairs: each file (and its sidecar) is read where it
        is staged but indexed under the path it will have, so it can be moved into the
        corpus folder only after the index has committed (see :mod:`ingest.corpus`)."""
        summary = IngestSummary()
        pairs = [(s.resolve(), f.expanduser().resolve()) for s, f in files]
        todo = self._changed(pairs, self.store.hashes_by_path(), summary)
        if todo or not self.store.exists():
            self._write(self._loaded(todo, False), summary, gone=[], rebuild=False)
        return summary

    def _changed(
        self,
        pairs: Sequence[tuple[Path, Path]],
        known: dict[str, tuple[str, str]],
        summary: IngestSummary,
    ) -> list[Todo]:
        """The (read, final) files whose content differs from the index's; unchanged and
        unreadable ones are recorded in ``summary``."""
        todo: list[Todo] = []
        for read, final in pairs:
            try:
                h = file_hash(read)
            except OSError as exc:
                reason = f"cannot be read ({exc.strerror})"
                summary.record(
                    FileOutcome(path=self.display(final), status="failed", reason=reason),
                    str(final),
                )
                continue
            old = known.get(str(final))
            if old is None or old[1] != h:
                todo.append((read, final, h, "added" if old is None else "updated"))
            else:
                shown = self.display(final)
                summary.record(
                    FileOutcome(path=shown, status="unchanged", doc_id=old[0]), str(final)
                )
        return todo

    def _loaded(self, todo: Sequence[Todo], progress: bool) -> Iterator[Item]:
        """Each file loaded (or its failure), in order; worker processes parse the next
        files meanwhile (ingest.workers, ingest.queue_files)."""
        jobs = [(read, self.display(final)) for read, final, _, _ in todo]
        outcomes = load_ahead(
            self.loader,
            jobs,
            workers=self.settings.ingest.resolved_workers,
            queue=self.settings.ingest.queue_files,
        )
        bar = tqdm(total=len(todo), desc="ingesting", unit="file", disable=not progress)
        self._progress = Progress(bar)
        try:
            for (_, final, h, status), (ld, reason) in zip(todo, outcomes, strict=True):
                key, shown = str(final), self.display(final)
                if ld is None:
                    yield Item(key, shown, status, None, reason)
                else:
                    doc = to_document(ld, key, h, source_name(final, self.corpus_dir))
                    yield Item(key, shown, status, doc, warnings=ld.warnings)
                bar.update(1)
        finally:
            self._progress = None
            bar.close()

    def ingest_documents(
        self,
        items: Iterable[Document],
        *,
        rebuild: bool = False,
        progress: bool = True,
        total: int | None = None,
    ) -> IngestSummary:
        """Index already-loaded documents (keyed by ``doc.source``), skipping unchanged ones."""
        summary = IngestSummary()
        known = {} if rebuild else self.store.hashes_by_path()

        def gen() -> Iterator[Item]:
            for d in tqdm(items, desc="ingesting", unit="doc", disable=not progress, total=total):
                old = known.get(d.source)
                if old is not None and old[1] == d.content_hash:
                    summary.record(
                        FileOutcome(path=d.source, status="unchanged", doc_id=old[0]), d.source
                    )
                    continue
                yield Item(d.source, d.source, "added" if old is None else "updated", d)

        self._write(gen(), summary, gone=[], rebuild=rebuild)
        return summary

    def _write(
        self,
        items: Iterable[Item],
        summary: IngestSummary,
        *,
        gone: list[tuple[str, str]],
        rebuild: bool,
    ) -> None:
        with self._writer(rebuild=rebuild) as writer:
            pending: list[Pending] = []
            n_pending = 0
            for item in items:
                if item.doc is None:
                    reason = item.reason or "unknown error"
                    summary.record(
                        FileOutcome(path=item.display, status="failed", reason=reason), item.key
                    )
                    continue
                chunks = self.chunk(item.doc)
                cap = self.settings.ingest.max_chunks
                if len(chunks) > cap:
                    warning = (
                        f"only the first {cap:,} of {len(chunks):,} chunks were indexed "
                        "(ingest.max_chunks); split the document to index the rest"
                    )
                    log.warning("%s: %s", item.key, warning)
                    chunks, item.warnings = chunks[:cap], (warning, *item.warnings)
                if not chunks:
                    reason = "no text left after cleaning"
                    summary.record(
                        FileOutcome(path=item.display, status="failed", reason=reason), item.key
                    )
                    continue
                pending.append(Pending(item, item.doc, chunks))
                n_pending += len(chunks)
                if n_pending >= EMBED_BATCH_CHUNKS:
                    self._flush(writer, pending, summary)
                    n_pending = 0
            if pending:
                self._flush(writer, pending, summary)
            for path, doc_id in gone:
                writer.remove_document(doc_id)
                shown = self.display(Path(path))
                summary.record(FileOutcome(path=shown, status="removed", doc_id=doc_id), path)

    def remove(self, doc_id: str) -> str:
        """Remove one document by id; returns its path."""
        snap = self.store.open(self.fingerprint)
        row = snap.document(doc_id)
        with self._writer() as writer:
            writer.remove_document(doc_id)
        return row.path


def to_document(
    ld: LoadedDocument, key: str, content_hash: str, source: str | None = None
) -> Document:
    """``source`` defaults to the file's :func:`source_name` (the loader's own for a key
    that is no path)."""
    if not ld.text.strip():
        raise InputError(f"{key}: no text")
    if source is None:
        source = source_name(Path(key)) if Path(key).is_absolute() else ld.source
    return Document(
        doc_id=make_doc_id(key),
        source=source,
        content_hash=content_hash,
        kind=ld.kind,
        text=ld.text,
        meta=ld.meta,
        pages=ld.pages,
    )
