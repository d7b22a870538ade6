"""Real-browser end-to-end test: index the corpus, start the API and the UI, ask in Chromium.

Uses Debian's Chromium (``make browser`` installs it) through Playwright's sync API;
Playwright's own browser downloads are never used. The answer comes from the real
all-MiniLM-L6-v2 model, so this is marked ``model`` as well as ``browser``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from rag.wait import wait_for

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"
ARTIFACTS = ROOT / "tests" / "artifacts"
SCREENSHOT = ARTIFACTS / "browser-answer.png"
README_SCREENSHOT = ROOT / "docs" / "screenshot.png"
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

QUESTION = "which cities are high-tech innovators?"
EXPECTED_CITIES = ("Coventry", "Derby", "Northampton", "Preston")
SOURCE_TITLE = "Centrally-led growth policy holding back cities outside London"
ANSWER_TIMEOUT_S = 90.0
SCROLL_HEIGHT_JS = """() => Math.max(document.body.scrollHeight, ...Array.from(
    document.querySelectorAll('.stMain, [data-testid="stAppScrollToBottomContainer"]'),
    (el) => el.scrollHeight))"""
SCROLL_TOP_JS = "() => document.querySelectorAll('.stMain').forEach((el) => el.scrollTo(0, 0))"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.model,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=(
            f"Chromium is not installed ({CHROMIUM} is missing); run `make browser` "
            "(needs root and apt) to install Debian's chromium for this test."
        ),
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """Stop a child started with start_new_session=True, with its whole process group."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    try:  # anything left in the group (e.g. streamlit under `rag ui`) goes too
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


def _log_tail(log: IO[bytes], chars: int = 3000) -> str:
    log.flush()
    return Path(log.name).read_text(errors="replace")[-chars:]


@pytest.fixture(scope="module")
def ui_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The UI's URL, backed by an API over a freshly indexed copy of the bundled corpus."""
    tmp = tmp_path_factory.mktemp("browser")
    env = dict(
        os.environ,
        RAG_DATA_DIR=str(tmp / "data"),
        RAG_EMBEDDING__THREADS="1",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    env.pop("UPDATE_SCREENSHOT", None)  # this test's switch, not a setting
    ingest = subprocess.run(
        [sys.executable, "-m", "rag", "ingest", str(CORPUS)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert ingest.returncode == 0, f"rag ingest failed:\n{ingest.stdout}\n{ingest.stderr}"

    api_port, ui_port = _free_port(), _free_port()
    api_url = f"http://127.0.0.1:{api_port}"
    procs: list[subprocess.Popen] = []
    api_log = open(tmp / "api.log", "w+b")  # noqa: SIM115 - closed in teardown
    ui_log = open(tmp / "ui.log", "w+b")  # noqa: SIM115
    try:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "rag", "serve", "--port", str(api_port)],
            cwd=ROOT, env=env, stdout=api_log, stderr=subprocess.STDOUT, start_new_session=True,
        ))  # fmt: skip
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "rag", "ui", "--port", str(ui_port), "--api-url", api_url],
            cwd=ROOT, env=env, stdout=ui_log, stderr=subprocess.STDOUT, start_new_session=True,
        ))  # fmt: skip
        assert wait_for(f"{api_url}/health", timeout_s=120), (
            f"the API did not answer /health:\n{_log_tail(api_log)}"
        )
        ui = f"http://127.0.0.1:{ui_port}"
        assert wait_for(f"{ui}/_stcore/health", timeout_s=60), (
            f"the UI did not start:\n{_log_tail(ui_log)}"
        )
        yield ui
    finally:
        for proc in reversed(procs):
            _stop(proc)
        api_log.close()
        ui_log.close()


def _page_text(page) -> str:
    return page.inner_text("body")


def _missing(text: str) -> list[str]:
    wanted = [*EXPECTED_CITIES, "[1]", SOURCE_TITLE]
    missing = [w for w in wanted if w not in text]
    if "Warrington" not in text and "Wigan" not in text:
        missing.append("Warrington or Wigan")
    return missing


def test_question_answered_with_citations_in_chromium(ui_url: str) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(ui_url, wait_until="domcontentloaded")
            chat = page.locator('[data-testid="stChatInput"] textarea')
            chat.wait_for(state="visible", timeout=60_000)
            chat.fill(QUESTION)
            chat.press("Enter")

            deadline = time.monotonic() + ANSWER_TIMEOUT_S
            text = _page_text(page)
            while _missing(text) and time.monotonic() < deadline:
                page.wait_for_timeout(500)
                text = _page_text(page)
            # Streamlit may still be rerunning; wait for it to settle before the screenshot.
            page.wait_for_function(
                "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                timeout=30_000,
            )
            text = _page_text(page)

            # The cited cards open by default; open the first one if it is not, so the
            # screenshot shows its highlighted quote.
            first_card = page.locator('[data-testid="stExpander"] summary').first
            marks = page.locator('[data-testid="stExpander"] mark')
            if first_card.count():
                if not marks.first.is_visible():
                    first_card.click()
                marks.first.wait_for(timeout=10_000)
                page.wait_for_timeout(1000)  # the expander animates open
            # Streamlit scrolls inside its main container, so full_page alone would cut the
            # answer at the viewport: grow the viewport to the content's height instead.
            height = page.evaluate(SCROLL_HEIGHT_JS)
            page.set_viewport_size({"width": 1280, "height": max(900, min(int(height), 4000))})
            page.wait_for_timeout(500)
            page.evaluate(SCROLL_TOP_JS)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()

    assert not _missing(text), f"missing {_missing(text)} in the page:\n{text[:4000]}"
    assert "Searching the publications" not in text
    # A test run must not change tracked files: refresh the README's picture only on request.
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SCREENSHOT, README_SCREENSHOT)
