"""The recommendation flow both recommendation routes share: rank, pick the language, localise.

When the caller gives no language, ``llm.DetectLanguage`` runs *concurrently* with
``recommender.Recommend`` (ranking does not need it: the recommender reads constraints in
both languages), so detection adds no latency. Then one ``Localizer.localize`` call brings
the results into that language with at most one ``llm.Translate``.

The llm is optional for this flow: if detection fails, the language the recommender's parser
recognised is used, else ``DEFAULT_LANG``; if translation fails, results stay untranslated.
Either way the result is marked degraded, with a reason counted in
``degraded_responses_total{service="gateway"}``. Only a recommender failure fails the request.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from gateway.clients import UpstreamError
from gateway.context import GatewayContext
from gateway.convert import lang_from_proto, lang_to_proto
from gateway.localize import Localized
from recipes.common.v1 import common_pb2
from recipes.llm.v1 import llm_pb2
from recipes.recommender.v1 import recommender_pb2
from services.common.telemetry import DEGRADED_RESPONSES

log = logging.getLogger(__name__)


@dataclass
class RecommendationOutcome:
    response: recommender_pb2.RecommendResponse
    lang: str
    localized: Localized
    reasons: list[str] = field(default_factory=list)

    @property
    def degraded(self) -> bool:
        return self.response.degraded or bool(self.reasons)

    @property
    def recipes(self) -> list[common_pb2.Recipe]:
        return self.localized.recipes


async def detect_language(ctx: GatewayContext, text: str) -> str | None:
    """The text's language as "es"/"en", or None when the llm could not say."""
    request = llm_pb2.DetectLanguageRequest(text=text, default_language=lang_to_proto(ctx.settings.default_lang))
    try:
        response = await ctx.services.llm.detect_language(request, timeout=ctx.settings.detect_language_timeout_seconds)
    except UpstreamError as exc:
        log.warning("language detection failed", extra={"peer_code": exc.code.name})
        return None
    return lang_from_proto(response.language)


async def recommend(
    ctx: GatewayContext, request: recommender_pb2.RecommendRequest, lang: str | None
) -> RecommendationOutcome:
    """Rank for ``request`` and localise the results into ``lang`` (detected when None)."""
    detection = asyncio.ensure_future(detect_language(ctx, request.query)) if lang is None else None
    try:
        response = await ctx.services.recommender.recommend(request, timeout=ctx.settings.recommend_timeout_seconds)
    except BaseException:
        if detection is not None:
            detection.cancel()
        raise
    reasons: list[str] = []
    if detection is not None:
        lang = await detection
        if lang is None:
            reasons.append("language_detection_failed")
            lang = lang_from_proto(response.parsed_filters.language) or ctx.settings.default_lang
    assert lang is not None
    localized = await ctx.localizer().localize([r.recipe for r in response.recipes], lang, response.model_version)
    if localized.degraded_reason:
        reasons.append(localized.degraded_reason)
    for reason in reasons:
        DEGRADED_RESPONSES.labels("gateway", reason).inc()
    return RecommendationOutcome(response, lang, localized, reasons)


def recommend_request(
    query: str,
    n: int,
    alpha: float,
    pantry: list[str] | None = None,
    filters: recommender_pb2.Filters | None = None,
) -> recommender_pb2.RecommendRequest:
    """The recommender's request. ``language`` stays unset on purpose: the caller's ``lang`` is
    the *answer* language ("healthy breakfast" may be asked for in Spanish), not the query's,
    and the recommender's parser reads both languages on its own."""
    return recommender_pb2.RecommendRequest(query=query, n=n, alpha=alpha, pantry=pantry or [], filters=filters)
