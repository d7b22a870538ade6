"""Start the Streamlit UI as a child process; `rag ui` calls :func:`run`.

python -m ui.launch --port 8501 --api-url http://127.0.0.1:8000
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

APP_PATH = Path(__file__).resolve().parent / "app.py"
PROJECT_ROOT = APP_PATH.parent.parent


def command(port: int, api_url: str, host: str = "127.0.0.1") -> list[str]:
    """The `streamlit run` command line (``api_url`` travels in the environment)."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP_PATH),
        "--server.port", str(port),
        "--server.address", host,
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal",  # no "Deploy" button for readers
        "--client.showSidebarNavigation", "false",  # state.navigation() names the pages
    ]  # fmt: skip


def environment(api_url: str) -> dict[str, str]:
    """The child's environment: the API's URL, and the project importable as `ui`."""
    env = dict(os.environ, RAG_UI__API_URL=api_url)
    paths = [str(PROJECT_ROOT), *filter(None, [env.get("PYTHONPATH")])]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def run(port: int, api_url: str, host: str = "127.0.0.1") -> int:
    """Serve the UI until interrupted; returns Streamlit's exit code (130 on Ctrl-C).

    A SIGTERM sent to this process is passed on, so Streamlit is not left orphaned.
    """
    proc = subprocess.Popen(command(port, api_url, host), env=environment(api_url))
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, lambda *_: proc.terminate()) if main_thread else None
    try:
        return proc.wait()
    except KeyboardInterrupt:  # the terminal sent SIGINT to Streamlit too; let it finish
        proc.wait()
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    from rag.settings import get_settings

    ui = get_settings().ui
    parser = argparse.ArgumentParser(prog="python -m ui.launch", description=__doc__)
    parser.add_argument("--port", type=int, default=ui.port)
    parser.add_argument("--api-url", default=ui.api_url)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    return run(args.port, args.api_url, args.host)


if __name__ == "__main__":
    raise SystemExit(main())
