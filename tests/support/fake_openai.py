"""A fake OpenAI-compatible HTTP server for tests, driven through the real ``openai`` client.

It records every request, answers ``/v1/embeddings`` with deterministic vectors and
``/v1/chat/completions`` from a responder (plain or streamed as SSE), and can inject faults:
HTTP 500, HTTP 429, a hang longer than the client's timeout, or invalid JSON content.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

ChatResponder = Callable[[dict[str, Any]], str]


def deterministic_vector(text: str, dims: int) -> list[float]:
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    vector = np.random.default_rng(seed).standard_normal(dims)
    return (vector / np.linalg.norm(vector)).astype(float).tolist()


@dataclass
class FakeOpenAI:
    """Start with ``with FakeOpenAI() as fake:``; point clients at ``fake.base_url``."""

    dims: int = 64
    chat_responder: ChatResponder = field(default=lambda body: "ok")
    requests: list[dict[str, Any]] = field(default_factory=list)
    faults: deque[str] = field(default_factory=deque)
    hang_seconds: float = 5.0
    prompt_tokens: int = 11
    completion_tokens: int = 7

    def __post_init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def inject(self, *faults: str) -> None:
        """Queue faults for the next requests: '500', '429', 'timeout', 'invalid_json'."""
        self.faults.extend(faults)

    def calls(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"] == path]

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                path = self.path.split("?")[0]
                fake.requests.append(
                    {"path": path, "body": body, "headers": {k.lower(): v for k, v in self.headers.items()}}
                )
                fault = fake.faults.popleft() if fake.faults else ""
                if fault == "500":
                    return self._json(500, {"error": {"message": "injected", "type": "server_error"}})
                if fault == "429":
                    return self._json(
                        429, {"error": {"message": "slow down", "type": "rate_limit"}}, {"Retry-After": "0"}
                    )
                if fault == "timeout":
                    time.sleep(fake.hang_seconds)
                    return self._json(500, {"error": {"message": "too late"}})
                if path.endswith("/embeddings"):
                    return self._embeddings(body)
                if path.endswith("/chat/completions"):
                    content = "{not json" if fault == "invalid_json" else fake.chat_responder(body)
                    if body.get("stream"):
                        return self._stream(body, content)
                    return self._chat(body, content)
                return self._json(404, {"error": {"message": f"no route {path}"}})

            def _embeddings(self, body: dict[str, Any]) -> None:
                inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
                dims = int(body.get("dimensions") or fake.dims)
                data = [
                    {"object": "embedding", "index": i, "embedding": deterministic_vector(t, dims)}
                    for i, t in enumerate(inputs)
                ]
                self._json(
                    200,
                    {
                        "object": "list",
                        "data": data,
                        "model": body.get("model", "fake"),
                        "usage": {"prompt_tokens": len(inputs), "total_tokens": len(inputs)},
                    },
                )

            def _usage(self) -> dict[str, int]:
                return {
                    "prompt_tokens": fake.prompt_tokens,
                    "completion_tokens": fake.completion_tokens,
                    "total_tokens": fake.prompt_tokens + fake.completion_tokens,
                }

            def _chat(self, body: dict[str, Any], content: str) -> None:
                self._json(
                    200,
                    {
                        "id": "chatcmpl-fake",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body.get("model", "fake"),
                        "choices": [
                            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}
                        ],
                        "usage": self._usage(),
                    },
                )

            def _stream(self, body: dict[str, Any], content: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                words = content.split(" ")
                for i, word in enumerate(words):
                    piece = word if i == 0 else " " + word
                    chunk = {
                        "id": "chatcmpl-fake",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": body.get("model", "fake"),
                        "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                    }
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                final = {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": body.get("model", "fake"),
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                    "usage": self._usage(),
                }
                self.wfile.write(f"data: {json.dumps(final)}\n\ndata: [DONE]\n\n".encode())
                self.wfile.flush()
                self.close_connection = True

        return Handler
