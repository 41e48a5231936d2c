"""``GET /v1/recipes/{id}`` and ``GET /v1/recipes/{id}/similar``, both with ``?lang=``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query
from starlette.responses import Response

from gateway import convert, schemas
from gateway.config import LanguageCode
from gateway.context import GatewayContext, get_context, json_response
from gateway.metrics import NUM_RECIPES
from gateway.routes import UPSTREAM_PROBLEMS, problems
from recipes.common.v1 import common_pb2
from services.common.telemetry import DEGRADED_RESPONSES

router = APIRouter(tags=["recipes"])

RecipeIdPath = Path(ge=1, le=2**63 - 1, description="Catalog recipe id.")
LangQuery = Query(None, description="Answer language; omit for the catalog's own text.")


async def _localize(
    ctx: GatewayContext, recipes: list[common_pb2.Recipe], lang: str | None, model_version: str
) -> tuple[list[common_pb2.Recipe], bool]:
    if lang is None or not recipes:
        return recipes, False
    localized = await ctx.localizer().localize(recipes, lang, model_version)
    if localized.degraded_reason:
        DEGRADED_RESPONSES.labels("gateway", localized.degraded_reason).inc()
    return localized.recipes, localized.degraded_reason is not None


def _common_lang(recipes: list[common_pb2.Recipe]) -> LanguageCode | None:
    langs = {convert.lang_from_proto(r.language) for r in recipes}
    return langs.pop() if len(langs) == 1 else None


@router.get(
    "/v1/recipes/{recipe_id}",
    response_model=schemas.RecipeResponse,
    responses={**problems(404), **UPSTREAM_PROBLEMS},
    summary="One recipe by id",
)
async def get_recipe(
    recipe_id: int = RecipeIdPath,
    lang: LanguageCode | None = LangQuery,
    ctx: GatewayContext = Depends(get_context),
) -> Response:
    response = await ctx.services.recommender.get_recipe(recipe_id, timeout=ctx.settings.recommend_timeout_seconds)
    (recipe,), degraded = await _localize(ctx, [response.recipe], lang, response.model_version)
    result = schemas.RecipeResponse(
        recipe=convert.recipe_detail(recipe),
        lang=convert.lang_from_proto(recipe.language),
        degraded=degraded,
        model_version=response.model_version,
    )
    return json_response(result)


@router.get(
    "/v1/recipes/{recipe_id}/similar",
    response_model=schemas.SimilarRecipesResponse,
    responses={**problems(404), **UPSTREAM_PROBLEMS},
    summary="Recipes closest to one recipe",
)
async def similar_recipes(
    recipe_id: int = RecipeIdPath,
    n: int = Query(5, ge=1, le=schemas.MAX_N),
    lang: LanguageCode | None = LangQuery,
    ctx: GatewayContext = Depends(get_context),
) -> Response:
    response = await ctx.services.recommender.similar(recipe_id, n, timeout=ctx.settings.recommend_timeout_seconds)
    texts, degraded = await _localize(ctx, [r.recipe for r in response.recipes], lang, response.model_version)
    result = schemas.SimilarRecipesResponse(
        recipes=[convert.recommended(r, text) for r, text in zip(response.recipes, texts, strict=True)],
        lang=lang if lang is not None and not degraded else _common_lang(texts),  # type: ignore[arg-type]
        degraded=degraded,
        model_version=response.model_version,
    )
    NUM_RECIPES.labels("/v1/recipes/{recipe_id}/similar").observe(len(result.recipes))
    return json_response(result)
