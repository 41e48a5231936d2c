"""One error model for the whole API: RFC 9457 ``application/problem+json``, never a stack trace.

Every failure becomes a problem document with a stable ``code`` and the request id:

=========================  =====  ==========================
source                     HTTP   code
=========================  =====  ==========================
invalid body / params      422    invalid_argument
malformed JSON             400    malformed_json
INVALID_ARGUMENT (peer)    422    invalid_argument
NOT_FOUND (peer)           404    not_found
RESOURCE_EXHAUSTED (peer)  429    resource_exhausted
UNAVAILABLE (peer)         503    dependency_unavailable
DEADLINE_EXCEEDED (peer)   504    deadline_exceeded
other peer failures        502    upstream_error
=========================  =====  ==========================

Peer messages are passed through only for codes whose messages the services' contract keeps
safe to show (bad input, not found, limits, internal error references). Transport messages
(addresses, connection errors) are logged, not returned.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import Scope

from gateway.clients import UpstreamError

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
REQUEST_ID_KEY = "request_id"

# gRPC code -> (HTTP status, problem code, whether the peer's message is safe to show).
GRPC_TO_HTTP: dict[grpc.StatusCode, tuple[int, str, bool]] = {
    grpc.StatusCode.INVALID_ARGUMENT: (422, "invalid_argument", True),
    grpc.StatusCode.OUT_OF_RANGE: (422, "invalid_argument", True),
    grpc.StatusCode.NOT_FOUND: (404, "not_found", True),
    grpc.StatusCode.ALREADY_EXISTS: (409, "conflict", True),
    grpc.StatusCode.FAILED_PRECONDITION: (409, "failed_precondition", True),
    grpc.StatusCode.RESOURCE_EXHAUSTED: (429, "resource_exhausted", True),
    grpc.StatusCode.UNAVAILABLE: (503, "dependency_unavailable", False),
    grpc.StatusCode.CANCELLED: (503, "dependency_unavailable", False),
    grpc.StatusCode.DEADLINE_EXCEEDED: (504, "deadline_exceeded", False),
    grpc.StatusCode.UNIMPLEMENTED: (501, "not_implemented", False),
    grpc.StatusCode.INTERNAL: (502, "upstream_error", True),
}
_UPSTREAM_DEFAULT = (502, "upstream_error", False)
_RETRY_AFTER = {429: "1", 503: "1"}
_STATUS_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type"}


class ApiError(Exception):
    """An error the gateway itself raises (auth, rate limit, body size): status, code, detail."""

    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}


def request_id_of(scope: Scope) -> str | None:
    state = scope.get("state")
    return state.get(REQUEST_ID_KEY) if isinstance(state, dict) else None


def problem_response(
    scope: Scope,
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """A problem document for the request in ``scope``."""
    request_id = request_id_of(scope)
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": scope.get("path"),
        "code": code,
        "request_id": request_id,
        **extra,
    }
    out_headers = dict(headers or {})
    if request_id:
        out_headers.setdefault("X-Request-ID", request_id)
    return Response(
        json.dumps(body, ensure_ascii=False).encode(), status, headers=out_headers, media_type=PROBLEM_MEDIA_TYPE
    )


def upstream_problem(scope: Scope, exc: UpstreamError) -> Response:
    status, code, show_details = GRPC_TO_HTTP.get(exc.code, _UPSTREAM_DEFAULT)
    if show_details and exc.details:
        detail = exc.details
    elif status == 503:
        detail = f"the {exc.peer} service is unavailable; try again shortly"
    elif status == 504:
        detail = f"the {exc.peer} service did not answer in time"
    else:
        detail = f"the {exc.peer} service failed"
    level = logging.WARNING if status >= 500 else logging.INFO
    log.log(
        level,
        "peer call failed",
        extra={"peer": exc.peer, "peer_method": exc.method, "peer_code": exc.code.name, "peer_details": exc.details},
    )
    headers = {"Retry-After": _RETRY_AFTER[status]} if status in _RETRY_AFTER else None
    return problem_response(scope, status, code, detail, headers=headers, dependency=exc.peer)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc) or "body"


def validation_problem(scope: Scope, exc: RequestValidationError) -> Response:
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem_response(scope, 400, "malformed_json", "the request body is not valid JSON")
    # Never echo the input back: it may be large or sensitive.
    fields = [{"field": _field(e.get("loc", ())), "message": str(e.get("msg", "")), "type": e["type"]} for e in errors]
    summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:3])
    more = f" (and {len(fields) - 3} more)" if len(fields) > 3 else ""
    return problem_response(scope, 422, "invalid_argument", summary + more, errors=fields)


def http_problem(scope: Scope, exc: StarletteHTTPException) -> Response:
    code = _STATUS_CODES.get(exc.status_code, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return problem_response(scope, exc.status_code, code, detail, headers=dict(exc.headers or {}))


def install_error_handlers(app: FastAPI) -> None:
    """Route every known failure through the problem renderer."""

    async def on_api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return problem_response(request.scope, exc.status, exc.code, exc.detail, headers=exc.headers)

    async def on_upstream(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, UpstreamError)
        return upstream_problem(request.scope, exc)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return validation_problem(request.scope, exc)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return http_problem(request.scope, exc)

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(UpstreamError, on_upstream)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
