"""A killed ingest leaves no parsing process behind: its workers and their forkserver
end with it, instead of waiting on the pool's queue forever."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")

SLOW_LOADER = """
import os, time
from pathlib import Path

def load(path):
    Path(str(path) + ".pid").write_text(str(os.getpid()))
    time.sleep(120)
"""


def alive(pid: int) -> bool:
    """Running, not a zombie waiting for a parent to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def wait_for(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_workers_end_when_the_ingest_is_killed(tmp_path: Path) -> None:
    (tmp_path / "slowload.py").write_text(SLOW_LOADER)
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        from pathlib import Path
        from ingest.prefetch import load_ahead
        import slowload
        jobs = [(Path({str(tmp_path)!r}) / n, n) for n in ("a", "b")]
        for _ in load_ahead(slowload.load, jobs, workers=1, queue=2):
            pass
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        pid_file = tmp_path / "a.pid"
        assert wait_for(pid_file.exists, 60), "the worker never started"
        worker = int(pid_file.read_text())
        forkserver = parent_of(worker)
        assert forkserver != proc.pid and alive(worker) and alive(forkserver)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert wait_for(lambda: not alive(worker), 10), "the worker outlived the ingest"
        assert wait_for(lambda: not alive(forkserver), 10), "the forkserver outlived it"
    finally:
        proc.kill()
