"""``POST /v1/recommendations`` and the predecessor's ``POST /recommend``."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from gateway import convert, schemas
from gateway.context import GatewayContext, get_context, json_response
from gateway.metrics import NUM_RECIPES
from gateway.pipeline import recommend, recommend_request
from gateway.routes import UPSTREAM_PROBLEMS
from recipes.recommender.v1 import recommender_pb2

router = APIRouter()


@router.post(
    "/v1/recommendations",
    response_model=schemas.RecommendationsResponse,
    responses=UPSTREAM_PROBLEMS,
    tags=["recommendations"],
    summary="Recipes for a free-text query, in the caller's language",
)
async def recommendations(body: schemas.RecommendationRequest, ctx: GatewayContext = Depends(get_context)) -> Response:
    """Ranks catalog recipes for `query` (semantic similarity blended with popularity by
    `alpha`), applies `filters` and the constraints read from the query ("sin huevo",
    "under 30 minutes", "vegan"), and answers in `lang`, or in the query's language when
    `lang` is null. `degraded` is true when a dependency failed and the answer is a fallback
    (lexical ranking, or untranslated text)."""
    filters = recommender_pb2.Filters(
        max_minutes=body.filters.max_minutes or 0,
        tags=body.filters.tags,
        include_ingredients=body.filters.include_ingredients,
        exclude_ingredients=body.filters.exclude_ingredients,
    )
    outcome = await recommend(ctx, recommend_request(body.query, body.n, body.alpha, body.pantry, filters), body.lang)
    ranked = outcome.response.recipes
    result = schemas.RecommendationsResponse(
        recipes=[convert.recommended(r, text) for r, text in zip(ranked, outcome.recipes, strict=True)],
        lang=outcome.lang,  # type: ignore[arg-type]
        parsed_filters=convert.parsed_filters(outcome.response.parsed_filters),
        degraded=outcome.degraded,
        model_version=outcome.response.model_version,
    )
    NUM_RECIPES.labels("/v1/recommendations").observe(len(result.recipes))
    return json_response(result)


@router.post(
    "/recommend",
    response_model=schemas.CompatResponse,
    responses=UPSTREAM_PROBLEMS,
    tags=["compatibility"],
    summary="The predecessor's contract: three recipes, in Spanish",
)
async def recommend_compat(body: schemas.CompatRequest, ctx: GatewayContext = Depends(get_context)) -> Response:
    """Kept byte-for-byte compatible with the previous service: `{"query"}` in,
    `{"recetas": [{"nombre", "descripción", "ingredientes", "instrucciones",
    "calificación_promedio"}]}` out, always in Spanish, three recipes. New clients should use
    `POST /v1/recommendations`."""
    request = recommend_request(body.query, schemas.COMPAT_DEFAULT_N, 0.7)
    outcome = await recommend(ctx, request, "es")
    result = schemas.CompatResponse(recetas=[convert.compat_recipe(r) for r in outcome.recipes])
    NUM_RECIPES.labels("/recommend").observe(len(result.recetas))
    return json_response(result)
