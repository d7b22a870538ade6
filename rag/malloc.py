"""Keeping a long-running server's memory near what it uses (glibc only; a no-op elsewhere).

glibc gives each thread that contends for the heap an arena of its own, up to eight
per core, and keeps freed memory in them. A server answering from a thread pool while
it indexes uploads grew to 3.3x its idle RSS that way in the hostile load run
(BENCHMARKS.md); two arenas and a trim after each index change held it at 1.2-1.3x.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from functools import cache
from typing import Any

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # glibc's mallopt parameter number


@cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    if not hasattr(libc, "mallopt") or not hasattr(libc, "malloc_trim"):
        return None  # not glibc (e.g. musl, macOS)
    return libc


def limit_arenas(n: int) -> bool:
    """At most ``n`` malloc arenas for threads created from now on (0: glibc's default).
    Call it before the thread pool starts; True when it took effect."""
    libc = _libc()
    if n <= 0 or libc is None:
        return False
    ok = bool(libc.mallopt(M_ARENA_MAX, int(n)))
    log.debug("malloc arenas limited to %d: %s", n, ok)
    return ok


def trim() -> bool:
    """Give freed heap memory back to the system; True when some was released."""
    libc = _libc()
    return bool(libc.malloc_trim(0)) if libc is not None else False
