"""A scripted OpenAI-compatible chat-completions server on loopback, for tests.

``OpenAIStub`` serves ``POST /v1/chat/completions`` from a background thread on
127.0.0.1 and a free port. Each test scripts the reply (a string, or a function
of the request body), the status code and the stream's pieces, and reads back the
requests it received (body and headers).
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = str | Callable[[dict[str, Any]], str]


@dataclass
class Received:
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Script:
    reply: Reply = "NOT FOUND"
    status: int = 200
    raw_body: str | None = None  # sent as is (e.g. malformed JSON) instead of a completion
    delay_s: float = 0.0  # before answering
    # Streaming: split the reply into these pieces (default: words with their spaces).
    split: Callable[[str], list[str]] | None = None
    # If set, the stream sends its first piece, then waits for this event before the rest.
    gate: threading.Event | None = None
    gate_timed_out: bool = False


@dataclass
class OpenAIStub:
    script: Script = field(default_factory=Script)
    requests: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> OpenAIStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                stub.requests.append(
                    Received(body, {k.lower(): v for k, v in self.headers.items()})
                )
                stub.respond(self, body)

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def respond(self, h: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        s = self.script
        if s.delay_s:
            time.sleep(s.delay_s)
        if s.status >= 300 or s.raw_body is not None:
            payload = (
                s.raw_body
                if s.raw_body is not None
                else json.dumps({"error": {"message": f"scripted failure {s.status}"}})
            )
            self._send(h, s.status, "application/json", payload.encode())
            return
        reply = s.reply(body) if callable(s.reply) else s.reply
        if not body.get("stream"):
            completion = {
                "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}}]
            }
            self._send(h, 200, "application/json", json.dumps(completion).encode())
            return
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.end_headers()
        pieces = s.split(reply) if s.split else re.findall(r"\S+\s*|\s+", reply)
        h.wfile.write(_event({"choices": [{"index": 0, "delta": {"role": "assistant"}}]}))
        for i, piece in enumerate(pieces):
            h.wfile.write(_event({"choices": [{"index": 0, "delta": {"content": piece}}]}))
            h.wfile.flush()
            if i == 0 and s.gate is not None:
                s.gate_timed_out = not s.gate.wait(5)
        h.wfile.write(_event({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
        h.wfile.write(b"data: [DONE]\n\n")
        h.wfile.flush()

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, ctype: str, data: bytes) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (the timeout test) is expected; anything else is shown."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _event(obj: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(obj)}\n\n".encode()
