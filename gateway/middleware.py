"""Pure ASGI middleware: request ids, latency metrics, access logs, the last-resort 500, body limits.

Pure ASGI rather than ``BaseHTTPMiddleware``: it costs less per request and never buffers a
streamed (SSE) response.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar

from opentelemetry import trace
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import REQUEST_ID_KEY, problem_response
from gateway.metrics import API_LATENCY, UNMATCHED_ROUTE

log = logging.getLogger("gateway.access")

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Probes and scrapes would drown the access log; they are logged only when they fail.
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


class RequestIdLogFilter(logging.Filter):
    """Adds the current request id to every log record written while a request is handled,
    and drops uvicorn's ANSI-coloured duplicate of its messages from the JSON."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = current_request_id.get()
        if request_id and not hasattr(record, REQUEST_ID_KEY):
            record.request_id = request_id
        record.__dict__.pop("color_message", None)
        return True


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


class RequestContextMiddleware:
    """Gives every request an id, times it by route template and status, and logs it.

    An incoming ``X-Request-ID`` is kept when it looks like an id (so a caller can correlate),
    otherwise a fresh one is made; either way it is echoed back. An exception nothing else
    handled becomes a 500 problem with the request id, and its traceback goes to the log only.
    """

    def __init__(self, app: ASGIApp, access_log: bool = True) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})[REQUEST_ID_KEY] = request_id
        token = current_request_id.set(request_id)
        span = trace.get_current_span()
        if span.is_recording():
            span.set_attribute("http.request_id", request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = int(message["status"])
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"x-request-id" for k, _ in headers):
                    headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            status = 500
            log.error("unhandled error", exc_info=exc, extra={"path": scope.get("path")})
            if span.is_recording():
                span.record_exception(exc)
                span.set_status(trace.Status(trace.StatusCode.ERROR))
            if not response_started:
                response = problem_response(scope, 500, "internal", f"internal error (reference {request_id})")
                await response(scope, receive, send)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            API_LATENCY.labels(scope["method"], route, str(status)).observe(elapsed)
            if self.access_log and not (route in QUIET_ROUTES and status < 400):
                state = scope.get("state") or {}
                log.info(
                    "%s %s %d",
                    scope["method"],
                    route,
                    status,
                    extra={
                        "http_method": scope["method"],
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                        "client": state.get("client_id"),
                        REQUEST_ID_KEY: request_id,
                    },
                )
            current_request_id.reset(token)


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


class BodyLimitMiddleware:
    """Refuses bodies over ``max_bytes`` with 413, by Content-Length or while streaming in."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            detail = f"the request body is larger than {self.max_bytes} bytes"
            response = problem_response(scope, 413, "payload_too_large", detail, headers={"Connection": "close"})
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the route's body read; FastAPI re-raises HTTPExceptions and the
                    # handler renders it as a problem.
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, limited_receive, send)
