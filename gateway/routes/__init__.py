"""HTTP routes, one module per area; ``gateway.app`` mounts them."""

from __future__ import annotations

from typing import Any

from gateway.schemas import Problem

_DESCRIPTIONS = {
    400: "Malformed request (e.g. the body is not JSON).",
    401: "Missing or wrong API key (only when GATEWAY_API_KEYS is set).",
    404: "No such recipe or conversation.",
    413: "The body is over the size limit.",
    422: "A field is missing, of the wrong type or out of its limits; `errors` names each one.",
    429: "Rate limit hit; wait for `Retry-After` seconds.",
    502: "A service failed.",
    503: "A service the route needs is unavailable; retry after `Retry-After` seconds.",
    504: "A service did not answer within the route's deadline.",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for error statuses, all as problem documents (app.py sets the media type)."""
    return {s: {"model": Problem, "description": _DESCRIPTIONS[s]} for s in statuses}


# Every API route can fail in these ways, whatever it does.
COMMON_PROBLEMS = problems(400, 401, 413, 422, 429)
UPSTREAM_PROBLEMS = problems(502, 503, 504)
