"""The per-process state routes share: settings, peer clients, the translation cache.

Routes receive it through the ``get_context`` dependency instead of module globals, so a test
can build an app against fake services and a second app in the same process stays separate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from pydantic import BaseModel
from starlette.responses import Response

from gateway.clients import ServiceClients
from gateway.config import GatewaySettings
from gateway.errors import ApiError
from gateway.localize import Localizer, TranslationCache
from gateway.security import ApiKeyAuth, RateLimiter


@dataclass
class GatewayContext:
    settings: GatewaySettings
    clients: ServiceClients | None
    auth: ApiKeyAuth
    limiter: RateLimiter | None
    cache: TranslationCache = field(init=False)

    def __post_init__(self) -> None:
        self.cache = TranslationCache(self.settings.translation_cache_size)

    @property
    def services(self) -> ServiceClients:
        if self.clients is None:  # only before start-up finished or after shutdown began
            raise ApiError(503, "not_ready", "the gateway is not connected to its services yet")
        return self.clients

    def localizer(self) -> Localizer:
        return Localizer(self.services.llm, self.cache, self.settings.translate_timeout_seconds)


async def get_context(request: Request) -> GatewayContext:
    ctx: GatewayContext = request.app.state.ctx
    return ctx


def json_response(model: BaseModel, status: int = 200) -> Response:
    """Serialise a pydantic model once, in Rust, skipping FastAPI's second validation pass.

    Routes still declare ``response_model`` so the OpenAPI document describes the body.
    """
    return Response(model.model_dump_json(by_alias=True).encode(), status, media_type="application/json")
