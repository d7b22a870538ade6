"""A benchmark's own ``rag serve`` on loopback: a free port, waiting until healthy, stopping."""

from __future__ import annotations

import socket
import subprocess
import time
from typing import IO

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url}/health did not answer within {timeout:.0f} s")


def stop(proc: subprocess.Popen[bytes], log: IO[bytes] | None = None, timeout: float = 20) -> None:
    """Stop the server (terminate, then kill after ``timeout``) and close its log."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
    if log is not None:
        log.close()
