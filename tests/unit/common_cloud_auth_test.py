"""ID-token call credentials: fetched from a metadata endpoint, cached until near expiry."""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from services.common.cloud_auth import GoogleIdTokenPlugin


def make_jwt(exp: float) -> str:
    def part(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part({'exp': exp, 'aud': 'x'})}.sig"


def test_token_is_fetched_with_audience_and_cached() -> None:
    seen: list[tuple[str, str]] = []
    token = make_jwt(time.time() + 3600)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append((self.path, self.headers.get("Metadata-Flavor", "")))
            body = token.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/identity?audience={{audience}}"
        plugin = GoogleIdTokenPlugin("https://recipes-llm.a.run.app", fetch_url=url)
        got: list[tuple[object, object]] = []
        plugin(None, lambda metadata, error: got.append((metadata, error)))  # type: ignore[arg-type]
        plugin(None, lambda metadata, error: got.append((metadata, error)))  # type: ignore[arg-type]
    finally:
        server.shutdown()
    assert got[0] == ((("authorization", f"Bearer {token}"),), None)
    assert len(seen) == 1, "the second call must use the cached token"
    assert seen[0] == ("/identity?audience=https://recipes-llm.a.run.app", "Google")


def test_fetch_failure_is_reported_to_grpc_not_raised() -> None:
    plugin = GoogleIdTokenPlugin("https://x", fetch_url="http://127.0.0.1:9/{audience}")
    got: list[tuple[object, object]] = []
    plugin(None, lambda metadata, error: got.append((metadata, error)))  # type: ignore[arg-type]
    assert got[0][0] == () and isinstance(got[0][1], OSError)
