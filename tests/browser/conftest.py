"""The one harness of the real-browser tests: Debian's Chromium and how it is launched,
the skip when it is missing, free loopback ports, the environment of the servers'
processes, indexing a corpus, starting the API and the UI and stopping them, and a page
that cannot reach past loopback.

Test modules cannot import this file (``--import-mode=importlib``), so its helpers come
as the session fixture ``harness``; ``browser`` is one headless Chromium per module.
Playwright's own browser downloads are never used. The suite-wide autouse fixture of
``tests/conftest.py`` still points ``RAG_DATA_DIR`` at a temporary folder; the servers
here get their own data folder explicitly.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse

import pytest

from rag.wait import wait_for

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NO_CHROMIUM = (
    f"Chromium is not installed ({CHROMIUM} is missing); run `make browser` "
    "(needs root and apt) to install Debian's chromium for this test."
)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Every test here needs Chromium: skip before any fixture indexes or starts a server."""
    if not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def child_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a server (or CLI) process: this one's, with its own data folder,
    one embedding thread and no model downloads."""
    env = dict(
        os.environ,
        RAG_DATA_DIR=str(data_dir),
        RAG_EMBEDDING__THREADS="1",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        **extra,
    )
    env.pop("UPDATE_SCREENSHOT", None)  # test_browser.py's switch, not a setting
    return env


def ingest(corpus: Path, env: dict[str, str]) -> None:
    """Index ``corpus`` with ``rag ingest`` into ``env``'s data folder."""
    done = subprocess.run(
        [sys.executable, "-m", "rag", "ingest", str(corpus)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, f"rag ingest failed:\n{done.stdout}\n{done.stderr}"


def stop(proc: subprocess.Popen, timeout_s: float = 15) -> None:
    """Stop a child started with start_new_session=True, with its whole process group."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            pass
    try:  # anything left in the group (streamlit under `rag ui`, make's children) goes too
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


def log_tail(log: IO[bytes], chars: int = 3000) -> str:
    log.flush()
    return Path(log.name).read_text(errors="replace")[-chars:]


@contextmanager
def api_and_ui(tmp: Path, env: dict[str, str]) -> Iterator[tuple[str, str]]:
    """(API URL, UI URL): ``rag serve`` and ``rag ui`` on free ports, both answering their
    health checks; stopped on exit. Their logs are ``tmp/api.log`` and ``tmp/ui.log``."""
    api_port, ui_port = free_port(), free_port()
    api, ui = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{ui_port}"
    procs: list[subprocess.Popen] = []
    api_log = open(tmp / "api.log", "w+b")  # noqa: SIM115 - closed below
    ui_log = open(tmp / "ui.log", "w+b")  # noqa: SIM115
    try:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "rag", "serve", "--port", str(api_port)],
            cwd=ROOT, env=env, stdout=api_log, stderr=subprocess.STDOUT, start_new_session=True,
        ))  # fmt: skip
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "rag", "ui", "--port", str(ui_port), "--api-url", api],
            cwd=ROOT, env=env, stdout=ui_log, stderr=subprocess.STDOUT, start_new_session=True,
        ))  # fmt: skip
        assert wait_for(f"{api}/health", timeout_s=180), (
            f"the API did not answer /health:\n{log_tail(api_log)}"
        )
        assert wait_for(f"{ui}/_stcore/health", timeout_s=60), (
            f"the UI did not start:\n{log_tail(ui_log)}"
        )
        yield api, ui
    finally:
        for proc in reversed(procs):
            stop(proc)
        api_log.close()
        ui_log.close()


def only_loopback(context: Any) -> list[str]:
    """Make the Playwright ``context`` refuse every request past loopback; the returned
    list fills with the refused URLs."""
    outside: list[str] = []

    def route_it(route: Any) -> None:
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", "localhost") or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", route_it)
    return outside


class Harness:
    """This conftest's helpers, for the test modules (see the module docstring)."""

    root = ROOT
    free_port = staticmethod(free_port)
    child_env = staticmethod(child_env)
    int8_seeder: Callable[[Path], None] | None = None  # set by the fixture below
    stop = staticmethod(stop)
    api_and_ui = staticmethod(api_and_ui)
    only_loopback = staticmethod(only_loopback)

    @classmethod
    def ingest(cls, corpus: Path, env: dict[str, str]) -> None:
        """``rag ingest``, its data folder first given the session's int8 graph."""
        if cls.int8_seeder is not None:
            cls.int8_seeder(Path(env["RAG_DATA_DIR"]))
        ingest(corpus, env)


@pytest.fixture(scope="session")
def harness(int8_seeder: Callable[[Path], None]) -> type[Harness]:
    Harness.int8_seeder = int8_seeder
    return Harness


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Debian Chromium for the module's tests (each opens its own context)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
