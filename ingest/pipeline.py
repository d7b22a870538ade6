"""Incremental ingestion: scan, compare content hashes, load, chunk, embed, store.

New files are added, changed files replaced, files gone from an ingested folder
removed, unchanged files skipped before they are even parsed. A file that fails
is reported with its reason and, if an earlier version was indexed, that version
stays. Vectors come through the embedding cache, so text seen before is never
embedded twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tqdm import tqdm

from ingest.chunk import TokenCounter, approximate_counter, chunk_document, word_piece_counter
from rag.embed import Embedder, make_embedder
from rag.errors import FileRejected, InputError
from rag.records import Chunk, Document, LoadedDocument
from rag.schemas import FileOutcome, IngestSummary
from rag.settings import PROJECT_ROOT, Settings
from rag.store import IndexStore, IndexWriter

log = logging.getLogger(__name__)

FINGERPRINT_VERSION = 2
# Chunks sent to the model together: length sorting across more texts wastes less padding.
EMBED_BATCH_CHUNKS = 1024

Loader = Callable[[Path], LoadedDocument]


def fingerprint(settings: Settings, embedder: Embedder) -> dict[str, Any]:
    """What the stored vectors and chunks depend on; a mismatch means rebuild."""
    return {
        "version": FINGERPRINT_VERSION,
        "embedder": embedder.model_id.split("@")[0],
        "dim": embedder.dim,
        "max_tokens": settings.chunking.max_tokens,
        "overlap_tokens": settings.chunking.overlap_tokens,
        "include_title": settings.embedding.include_title,
        "bm25_k1": settings.retrieval.bm25_k1,
        "bm25_b": settings.retrieval.bm25_b,
    }


def make_doc_id(path_key: str) -> str:
    """Stable, readable id from a document's identity (its resolved path)."""
    stem = Path(path_key).stem if "/" in path_key or "." in path_key else path_key
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:40] or "doc"
    return f"{slug}-{hashlib.sha1(path_key.encode('utf-8')).hexdigest()[:8]}"


def display_path(path: Path) -> str:
    """Project-relative path when inside the project, else the absolute path."""
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def file_hash(path: Path) -> str:
    """sha256 of the file and of its metadata sidecar, so editing either re-indexes it."""
    from ingest.meta import find_sidecar

    h = hashlib.sha256()
    sidecar = find_sidecar(path)
    for part in (path, sidecar) if sidecar else (path,):
        with open(part, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):  # noqa: B023 - f is bound per loop
                h.update(block)
        h.update(b"\0sidecar\0")
    return h.hexdigest()


def scan(paths: Sequence[Path]) -> tuple[list[Path], list[Path], list[tuple[str, str]]]:
    """Files to consider, the folders they came from, and paths that do not exist."""
    from ingest.load import SUPPORTED_SUFFIXES
    from ingest.meta import is_sidecar

    files: list[Path] = []
    folders: list[Path] = []
    missing: list[tuple[str, str]] = []
    for given in paths:
        p = Path(given).expanduser().resolve()
        if p.is_dir():
            folders.append(p)
            files.extend(
                f
                for f in sorted(p.rglob("*"))
                if f.is_file()
                and f.suffix.lower() in SUPPORTED_SUFFIXES
                and not is_sidecar(f)
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
        elif p.is_file():
            files.append(p)
        else:
            missing.append((str(given), "no such file or folder; check the path"))
    return list(dict.fromkeys(files)), folders, missing


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

            loader = load
        self.loader = loader
        if count_tokens is None:
            count_tokens = (
                approximate_counter
                if settings.embedding.backend == "hash"
                else word_piece_counter()
            )
        self.count_tokens = count_tokens

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
        return chunk_document(
            doc,
            max_tokens=self.settings.chunking.max_tokens,
            overlap_tokens=self.settings.chunking.overlap_tokens,
            count_tokens=self.count_tokens,
        )

    def embed_text(self, doc: Document, chunk: Chunk) -> str:
        if self.settings.embedding.include_title and doc.meta.title:
            return f"{doc.meta.title}\n{chunk.text}"
        return chunk.text

    def _flush(self, writer: IndexWriter, pending: list[Pending], summary: IngestSummary) -> None:
        texts = [self.embed_text(p.doc, c) for p in pending for c in p.chunks]
        before = getattr(self.embedder, "computed", None)
        vectors = self.embedder.embed(texts)
        after = getattr(self.embedder, "computed", None)
        summary.embedded_chunks += (
            (after - before) if before is not None and after is not None else len(texts)
        )
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
        files, folders, missing = scan([Path(p) for p in paths])
        for p, r in missing:
            summary.record(FileOutcome(path=p, status="failed", reason=r))
        known = {} if rebuild else self.store.hashes_by_path()
        todo: list[tuple[Path, str, Literal["added", "updated"]]] = []  # path, hash, status
        for f in files:
            try:
                h = file_hash(f)
            except OSError as exc:
                reason = f"cannot be read ({exc.strerror})"
                summary.record(
                    FileOutcome(path=display_path(f), status="failed", reason=reason), str(f)
                )
                continue
            old = known.get(str(f))
            if old is None:
                todo.append((f, h, "added"))
            elif old[1] != h:
                todo.append((f, h, "updated"))
            else:
                summary.record(
                    FileOutcome(path=display_path(f), status="unchanged", doc_id=old[0]), str(f)
                )
        seen = {str(f) for f in files}
        gone = [
            (path, doc_id)
            for path, (doc_id, _) in known.items()
            if path not in seen and any(Path(path).is_relative_to(d) for d in folders)
        ]
        if not todo and (keep_missing or not gone) and not rebuild and self.store.exists():
            return summary  # nothing to write: no model load, no new generation

        def loaded() -> Iterator[Item]:
            for f, h, status in tqdm(todo, desc="ingesting", unit="file", disable=not progress):
                key, shown = str(f), display_path(f)
                try:
                    ld = self.loader(f)
                except FileRejected as exc:
                    yield Item(key, shown, status, None, exc.reason)
                    continue
                except Exception as exc:  # a loader bug must not stop the run
                    log.exception("unexpected error loading %s", f)
                    yield Item(key, shown, status, None, f"unexpected error: {exc}")
                    continue
                yield Item(key, shown, status, to_document(ld, key, h), warnings=ld.warnings)

        self._write(loaded(), summary, gone=[] if keep_missing else gone, rebuild=rebuild)
        return summary

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
                shown = display_path(Path(path))
                summary.record(FileOutcome(path=shown, status="removed", doc_id=doc_id), path)

    def remove(self, doc_id: str) -> str:
        """Remove one document by id; returns its path."""
        snap = self.store.open(self.fingerprint)
        row = snap.document(doc_id)
        with self._writer() as writer:
            writer.remove_document(doc_id)
        return row.path


def to_document(ld: LoadedDocument, key: str, content_hash: str) -> Document:
    if not ld.text.strip():
        raise InputError(f"{key}: no text")
    return Document(
        doc_id=make_doc_id(key),
        source=display_path(Path(key)) if Path(key).is_absolute() else ld.source,
        content_hash=content_hash,
        kind=ld.kind,
        text=ld.text,
        meta=ld.meta,
        pages=ld.pages,
    )
