"""Files parsed ahead of the embedder, in worker processes, through a bounded window.

:func:`load_ahead` yields each file's outcome in the order given, while up to
``queue`` later files are being parsed and cleaned by ``workers`` processes: the
model embeds file n while file n+1 is read. A loader that cannot be sent to another
process (a test's closure), ``workers=0``, or a single file, loads in this process,
with the same outcomes. A worker that dies (a parser crash) fails its file with a
reason and a fresh pool carries on with the rest.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import pickle
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from rag.errors import FileRejected
from rag.records import LoadedDocument

log = logging.getLogger(__name__)

Loader = Callable[[Path], LoadedDocument]
Outcome = tuple[LoadedDocument | None, str | None]
"""The loaded document, or None and the reason it could not be loaded."""
Job = tuple[Path, str]
"""Where to read a file, and how replies name it."""

CRASHED = (
    "the parser stopped unexpectedly on this file (its worker process died); the file "
    "was skipped, and the rest of the run went on"
)


def load_one(loader: Loader, path: Path, shown: str) -> Outcome:
    """``loader(path)``, or the reason it failed: never raises for a bad file."""
    try:
        return loader(path), None
    except FileRejected as exc:
        return None, exc.reason
    except Exception as exc:  # a loader bug must not stop the run
        log.exception("unexpected error loading %s", path)
        # the log has the absolute path; the reply names the file as replies do
        return None, f"unexpected error: {str(exc).replace(str(path), shown)}"


def _picklable(obj: object) -> bool:
    try:
        pickle.dumps(obj)
    except Exception:
        return False
    return True


def _exit_with_parent() -> None:
    """A worker's initializer: end the worker when the process that started it dies.

    A killed ingest or server (SIGKILL, the OOM killer) shuts no pool down: its workers
    would wait on the pool's queue for ever, and each keeps the forkserver alive, since
    a forkserver child holds the parent's end of the forkserver's liveness pipe.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _pool(workers: int) -> ProcessPoolExecutor:
    # forkserver: workers start from a clean process, never a fork of one that holds the
    # model's threads or a server's sockets.
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["ingest.load"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_exit_with_parent)


def load_ahead(
    loader: Loader, jobs: Sequence[Job], *, workers: int, queue: int
) -> Iterator[Outcome]:
    """Each job's outcome, in order; at most ``queue`` jobs are submitted ahead."""
    if workers <= 0 or len(jobs) < 2 or not _picklable(loader):
        for path, shown in jobs:
            yield load_one(loader, path, shown)
        return
    todo = deque(jobs)
    window: deque[tuple[Job, Future[Outcome]]] = deque()
    pool = _pool(min(workers, len(jobs)))
    try:
        while todo or window:
            while todo and len(window) < max(queue, 1):
                job = todo.popleft()
                window.append((job, pool.submit(load_one, loader, *job)))
            job, fut = window.popleft()
            try:
                outcome = fut.result()
            except BrokenProcessPool:
                log.error("%s: the parsing process died; skipping the file", job[0])
                outcome = (None, CRASHED)
                # Every file in flight is lost with the pool: parse them again in a new one.
                todo.extendleft(reversed([j for j, _ in window]))
                window.clear()
                pool.shutdown(wait=False, cancel_futures=True)
                pool = _pool(min(workers, max(1, len(todo))))
            yield outcome
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
