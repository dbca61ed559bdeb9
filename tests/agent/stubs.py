"""Local stub HTTP servers (127.0.0.1, threads): an OnlyFansAPI-style platform and LLM providers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[str, dict[str, Any], dict[str, str]], tuple[int, dict[str, Any]]]


@dataclass
class Stub:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def serve(respond: Responder) -> Iterator[Stub]:
    stub = Stub(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            headers = {k.lower(): v for k, v in self.headers.items()}
            stub.requests.append({"path": self.path, "body": body, "headers": headers})
            status, payload = respond(self.path, body, headers)
            raw = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the caller died mid-request (the fault tests kill it on purpose)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()


class FakePlatform:
    """De-duplicates by Idempotency-Key like the real API; can fail the first N calls with a status."""

    def __init__(self, *, fail_first: int = 0, fail_status: int = 503, delay_seconds: float = 0.0) -> None:
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.delay_seconds = delay_seconds  # a slow platform: a crash can land mid-send
        self.calls = 0
        self.messages: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()

    def __call__(
        self, path: str, body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        with self.lock:
            self.calls += 1
            if self.calls <= self.fail_first:
                return self.fail_status, {"error": "stub failure"}
            key = headers.get("idempotency-key", "")
            if key not in self.messages:
                self.messages[key] = {
                    "id": 1000 + len(self.messages),
                    "text": body.get("text"),
                    "price": body.get("price"),
                }
            return 200, {"data": self.messages[key]}
