"""``POST /v1/qa`` (questions about one recipe) and ``POST /v1/analyze-meal`` (nutrition)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from gateway import convert, schemas
from gateway.context import GatewayContext, get_context, json_response
from gateway.routes import UPSTREAM_PROBLEMS, problems
from recipes.llm.v1 import llm_pb2

router = APIRouter(tags=["assistant"])


@router.post(
    "/v1/qa",
    response_model=schemas.QaResponse,
    responses={**problems(404), **UPSTREAM_PROBLEMS},
    summary="Answer a question about one recipe, from that recipe's data",
)
async def answer_question(body: schemas.QaRequest, ctx: GatewayContext = Depends(get_context)) -> Response:
    request = llm_pb2.AnswerQuestionRequest(
        recipe_id=body.recipe_id, question=body.question, language=convert.lang_to_proto(body.lang)
    )
    response = await ctx.services.llm.answer_question(request, timeout=ctx.settings.llm_timeout_seconds)
    result = schemas.QaResponse(
        answer=response.answer,
        lang=convert.lang_from_proto(response.language),
        recipe_id=response.recipe_id or body.recipe_id,
    )
    return json_response(result)


@router.post(
    "/v1/analyze-meal",
    response_model=schemas.AnalyzeMealResponse,
    responses={**problems(404), **UPSTREAM_PROBLEMS},
    summary="Estimate a meal's nutrition and judge its balance",
)
async def analyze_meal(body: schemas.AnalyzeMealRequest, ctx: GatewayContext = Depends(get_context)) -> Response:
    """The meal may be free text ("two eggs and toast"), ingredient items with amounts,
    catalog recipes with servings, or a mix. Nutrition is an estimate in base units;
    `daily_value_pct` is against a 2,000 kcal adult diet."""
    response = await ctx.services.llm.analyze_meal(
        convert.analyze_meal_request(body), timeout=ctx.settings.llm_timeout_seconds
    )
    return json_response(convert.analyze_meal_response(response))
