"""``/healthz`` (liveness), ``/readyz`` (peers via grpc.health.v1) and ``/metrics``.

These stay outside the API-key guard and the rate limit: probes and scrapers carry no key.
Liveness never looks at dependencies (restarting the gateway does not fix a peer);
readiness answers 503 naming each peer that is not SERVING.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from gateway import schemas
from gateway.context import GatewayContext, get_context, json_response
from gateway.errors import problem_response

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=schemas.Health, summary="Liveness: the process answers")
async def healthz() -> Response:
    return json_response(schemas.Health(status="ok"))


@router.get(
    "/readyz",
    response_model=schemas.Readiness,
    responses={503: {"model": schemas.Problem, "description": "A peer service is not SERVING; `down` names it."}},
    summary="Readiness: every peer service reports SERVING",
)
async def readyz(request: Request, ctx: GatewayContext = Depends(get_context)) -> Response:
    if ctx.clients is None:
        return problem_response(request.scope, 503, "not_ready", "the gateway is starting", dependencies={}, down=[])
    statuses = await ctx.clients.readiness(ctx.settings.health_timeout_seconds)
    down = sorted(name for name, status in statuses.items() if status != "SERVING")
    if down:
        detail = "not ready: " + ", ".join(f"{name} is {statuses[name]}" for name in down)
        return problem_response(request.scope, 503, "dependency_unavailable", detail, dependencies=statuses, down=down)
    return json_response(schemas.Readiness(status="ready", dependencies=statuses))


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
