"""The FastAPI application factory: ``create_app(settings, clients)``.

``clients`` is for tests and embedders that already hold connections; when it is None the
app opens its own channels at start-up (inside the server's event loop, which ``grpc.aio``
requires) and closes them at shutdown.

Request path, outermost first: OpenTelemetry server span -> request id, latency metric and
access log -> CORS -> body-size limit -> routing -> (API routes only) API key and rate limit.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from gateway.clients import ServiceClients
from gateway.config import GatewaySettings
from gateway.context import GatewayContext
from gateway.docs import install_docs
from gateway.errors import PROBLEM_MEDIA_TYPE, install_error_handlers
from gateway.middleware import BodyLimitMiddleware, RequestContextMiddleware
from gateway.routes import COMMON_PROBLEMS, assistant, chat, health, recipes, recommendations
from gateway.security import SECURITY_REQUIREMENT, SECURITY_SCHEMES, ApiKeyAuth, Guard, create_rate_limiter
from services.common.config import load_settings

log = logging.getLogger(__name__)

API_VERSION = "1.0.0"
DESCRIPTION = """Multilingual recipe recommendations, recipe Q&A, meal analysis and a recipe chat.

Errors are `application/problem+json` documents with a stable `code` and the `request_id`.
When `GATEWAY_API_KEYS` is set, send a key as `X-API-Key` or `Authorization: Bearer`."""


def _finish_openapi(schema: dict[str, Any], open_paths: set[str]) -> dict[str, Any]:
    """Error responses are problem documents (problem+json); API routes take an API key."""
    schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    for path, item in schema.get("paths", {}).items():
        for operation in item.values():
            if path not in open_paths:
                operation["security"] = SECURITY_REQUIREMENT
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status.isdigit() and int(status) >= 400 and "application/json" in content:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
    return schema


def create_app(settings: GatewaySettings | None = None, clients: ServiceClients | None = None) -> FastAPI:
    """The gateway app. Settings default to the environment (exiting, variable named, when bad)."""
    settings = settings or load_settings(GatewaySettings)
    ctx = GatewayContext(
        settings=settings,
        clients=clients,
        auth=ApiKeyAuth(settings.api_keys),
        limiter=create_rate_limiter(settings),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        owned = ServiceClients.from_settings(settings) if ctx.clients is None else None
        if owned is not None:
            ctx.clients = owned
        log.info(
            "gateway ready",
            extra={
                "recommender_addr": settings.recommender_addr,
                "llm_addr": settings.llm_addr,
                "api_keys": len(settings.gateway_api_keys),  # how many, never which
                "rate_limit_per_minute": settings.rate_limit_per_minute,
                "rate_limit_store": "redis" if settings.redis_url.get_secret_value() else "memory",
                "redis_url": settings.redacted_redis_url(),
            },
        )
        try:
            yield
        finally:
            if owned is not None:
                ctx.clients = None
                await owned.close()
            if ctx.limiter is not None:
                await ctx.limiter.close()

    app = FastAPI(
        title="recipe-recommender gateway",
        version=API_VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served from local assets by install_docs
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.ctx = ctx
    install_error_handlers(app)
    install_docs(app)

    app.include_router(health.router)
    guard = [Depends(Guard(ctx.auth, ctx.limiter))]
    for module in (recommendations, recipes, assistant, chat):
        app.include_router(module.router, dependencies=guard, responses=COMMON_PROBLEMS)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            open_paths = {getattr(route, "path", "") for route in health.router.routes}
            app.openapi_schema = _finish_openapi(schema, open_paths)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    # add_middleware puts each one outside the previous: this is innermost-first.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Content-Type", "Authorization", "X-API-Key", "X-Request-ID", "Accept"],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(RequestContextMiddleware)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics", exclude_spans=["receive", "send"])
    return app
