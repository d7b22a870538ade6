"""The library page and lasting conversations in real headless Chromium, started by the
Makefile's own `make run` recipe with its default set-up: no key set anywhere, none typed.

`make run` is run with ``-o index`` (the corpus copy is indexed here first, into a
temporary data folder) and its own ports. Every request the browser makes off loopback
is aborted, so nothing can come from the network.
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from rag.wait import wait_for

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "which cities are high-tech innovators?"
UPLOAD_TITLE = "Tidal power in Orkney harbours"
UPLOAD_TEXT = (
    "Tidal power in Orkney harbours.\n\nThe harbour trust measured tidal currents of four "
    "knots at Stromness and plans twelve turbines by the end of the decade.\n"
)
WAIT_MS = 90_000

pytestmark = [  # and skipped without Chromium (conftest)
    pytest.mark.browser,
    pytest.mark.model,
    pytest.mark.skipif(shutil.which("make") is None, reason="needs make"),
]


@dataclass
class Running:
    ui: str
    api: str
    env: dict[str, str]
    data: Path
    corpus: Path


@pytest.fixture(scope="module")
def make_run(tmp_path_factory: pytest.TempPathFactory, harness: Any) -> Iterator[Running]:
    tmp = tmp_path_factory.mktemp("make-run")
    corpus = tmp / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    env = harness.child_env(tmp / "data", RAG_CORPUS_DIR=str(corpus))
    for name in ("RAG_API__API_KEY", "RAG_UI__API_KEY", "MAKEFLAGS", "MAKELEVEL"):
        env.pop(name, None)  # make run's default set-up: no key anywhere
    harness.ingest(corpus, env)
    api_port, ui_port = harness.free_port(), harness.free_port()
    log_path = tmp / "make-run.log"
    log = open(log_path, "w+b")  # noqa: SIM115 - closed in teardown
    proc = subprocess.Popen(
        ["make", "-s", "-o", "index", "run", f"API_PORT={api_port}", f"UI_PORT={ui_port}",
         f"PY={sys.executable}", f"BIN={Path(sys.executable).parent}"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    ui, api = f"http://127.0.0.1:{ui_port}", f"http://127.0.0.1:{api_port}"
    try:
        deadline = time.monotonic() + 180
        while f"Assistant: {ui}" not in log_path.read_text(errors="replace"):
            assert proc.poll() is None, log_path.read_text(errors="replace")
            assert time.monotonic() < deadline, log_path.read_text(errors="replace")
            time.sleep(0.2)
        # Ready means ready: the address is printed only once the API answers.
        assert httpx.get(f"{api}/health", timeout=5).json()["status"] == "ok"
        assert wait_for(f"{ui}/_stcore/health", timeout_s=90), log_path.read_text()
        yield Running(ui, api, env, tmp / "data", corpus)
    finally:
        harness.stop(proc)
        log.close()


@pytest.fixture
def page(make_run: Running, browser: Any, harness: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    harness.only_loopback(context)
    try:
        yield context.new_page()
    finally:
        context.close()


def _settle(page) -> None:  # noqa: ANN001
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=WAIT_MS
    )


def test_the_key_file_is_private(make_run: Running) -> None:
    key = make_run.data / "local-api-key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert len(key.read_text().strip()) >= 32


def test_upload_preview_and_delete_with_no_key_typed(make_run: Running, page) -> None:  # noqa: ANN001
    page.goto(f"{make_run.ui}/Publications", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Add publications").wait_for(timeout=WAIT_MS)
    _settle(page)
    assert page.get_by_label("Library key").count() == 0  # nothing to type
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        files=[
            {"name": "orkney-tides.txt", "mimeType": "text/plain", "buffer": UPLOAD_TEXT.encode()}
        ]  # fmt: skip
    )
    page.get_by_label("Title").fill(UPLOAD_TITLE)
    page.get_by_label("Date").fill("2020-03-01")
    page.get_by_role("button", name="Upload", exact=True).click()
    page.get_by_text("Uploaded 1 file(s): 1 added.").wait_for(timeout=WAIT_MS)
    _settle(page)
    text = page.inner_text("body")
    assert "X-API-Key" not in text and "header" not in text.lower()
    assert page.locator('[data-testid="stFileUploaderFile"]').count() == 0  # picker cleared
    uploaded = list((make_run.corpus / "uploads").glob("orkney-tides*.txt"))
    assert uploaded, "the upload did not land in the corpus folder"

    # Newest first, so the upload (2020) is the chosen publication: preview its text.
    page.get_by_text("Preview its text").click()
    page.get_by_text("twelve turbines", exact=False).wait_for(timeout=WAIT_MS)

    page.get_by_role("button", name="Delete this publication…").click()
    page.get_by_role("button", name="Yes, delete it").click()
    page.get_by_text(f"Deleted “{UPLOAD_TITLE}”.").wait_for(timeout=WAIT_MS)
    _settle(page)
    assert not [p for p in uploaded if p.exists()]  # its file went too
    docs = httpx.get(f"{make_run.api}/documents").json()["documents"]
    assert UPLOAD_TITLE not in [d["title"] for d in docs]


def test_a_reload_keeps_the_conversation_and_feedback_is_exported(
    make_run: Running,
    page,  # noqa: ANN001
) -> None:
    page.goto(make_run.ui, wait_until="domcontentloaded")
    chat = page.locator('[data-testid="stChatInput"] textarea')
    chat.wait_for(state="visible", timeout=WAIT_MS)
    chat.fill(QUESTION)
    chat.press("Enter")
    thumbs_up = page.locator('[data-testid="stIconMaterial"]', has_text="thumb_up").first
    thumbs_up.wait_for(timeout=WAIT_MS)
    _settle(page)
    assert "Coventry" in page.inner_text("body")
    assert "chat=" in page.url

    thumbs_up.click()
    comment = page.get_by_label("Comment (optional)")
    comment.wait_for(timeout=WAIT_MS)
    comment.fill("The right five cities.")
    comment.press("Enter")
    _settle(page)
    page.get_by_role("button", name="Save comment").click()
    page.get_by_text("Thank you: saved.").wait_for(timeout=WAIT_MS)

    page.reload(wait_until="domcontentloaded")
    page.get_by_text("Coventry").first.wait_for(timeout=WAIT_MS)
    _settle(page)
    body = page.inner_text("body")
    assert QUESTION in body  # the question and its answer are back after the reload
    assert "💬 " + QUESTION in body  # and listed in the sidebar

    out = make_run.data.parent / "reviewed.jsonl"
    export = subprocess.run(
        [sys.executable, "-m", "rag", "feedback", "export", "--output", str(out)],
        cwd=ROOT, env=make_run.env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert export.returncode == 0, export.stderr
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["question"] == QUESTION and row["answerable"] is True
    assert "The right five cities." in row["notes"]
    assert any("Coventry" in f for f in row["facts"]) or any(
        "Coventry" in e["quote"] for e in row["evidence"]
    )
