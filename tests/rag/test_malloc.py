"""rag.malloc: the glibc memory knobs `rag serve` uses, and their no-op elsewhere."""

from __future__ import annotations

import platform

import pytest

from rag import malloc

glibc = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="the arena limit and trim are glibc calls"
)


@glibc
def test_on_glibc_the_arena_limit_takes_effect_and_trim_runs() -> None:
    assert malloc.limit_arenas(8) is True  # glibc's own default for these cores: harmless
    assert isinstance(malloc.trim(), bool)
    blob = [bytearray(64 * 1024) for _ in range(2000)]  # ~128 MiB, then freed
    del blob
    assert malloc.trim() is True  # freed heap memory is handed back


def test_zero_leaves_glibc_default() -> None:
    assert malloc.limit_arenas(0) is False


def test_without_glibc_both_are_no_ops(monkeypatch: pytest.MonkeyPatch) -> None:
    malloc._libc.cache_clear()
    monkeypatch.setattr(malloc.ctypes.util, "find_library", lambda name: None)
    try:
        assert malloc.limit_arenas(2) is False
        assert malloc.trim() is False
    finally:
        malloc._libc.cache_clear()


def test_serve_limits_arenas_before_the_thread_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from rag.api.app import create_app
    from rag.settings import Settings

    calls: list[int] = []
    monkeypatch.setattr(malloc, "limit_arenas", lambda n: calls.append(n) or True)
    settings = Settings(api={"malloc_arenas": 3})  # type: ignore[arg-type]
    with TestClient(create_app(settings)):
        assert calls == [3]


def test_an_index_change_hands_freed_memory_back(
    service,  # type: ignore[no-untyped-def]  # tests/rag/conftest.py: the seed corpus indexed
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    service.search("cities")  # a live snapshot, as a serving process has
    trims: list[bool] = []
    monkeypatch.setattr(malloc, "trim", lambda: trims.append(True) or True)
    (added,) = service.add_files([("note.txt", io.BytesIO(b"A note about Leeds and trams."))])
    assert added.doc_id and trims, "the swap to the new snapshot did not trim"
    n = len(trims)
    service.remove(added.doc_id, delete_file=True)
    assert len(trims) > n
