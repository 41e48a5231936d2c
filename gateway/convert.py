"""Conversions between the protobuf messages of the services and the REST schemas.

Kept apart from the routes so that the mapping (language codes, zero-means-unset fields,
timestamps) is defined once and unit-tested on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from gateway import schemas
from gateway.config import LanguageCode
from recipes.common.v1 import common_pb2
from recipes.llm.v1 import llm_pb2
from recipes.recommender.v1 import recommender_pb2

_TO_PROTO: dict[str, common_pb2.Language] = {"es": common_pb2.LANGUAGE_ES, "en": common_pb2.LANGUAGE_EN}
_FROM_PROTO: dict[int, LanguageCode] = {common_pb2.LANGUAGE_ES: "es", common_pb2.LANGUAGE_EN: "en"}
_ROLES = {llm_pb2.ROLE_USER: "user", llm_pb2.ROLE_ASSISTANT: "assistant"}


def lang_to_proto(lang: str | None) -> common_pb2.Language:
    return _TO_PROTO.get(lang or "", common_pb2.LANGUAGE_UNSPECIFIED)


def lang_from_proto(language: int) -> LanguageCode | None:
    return _FROM_PROTO.get(language)


def nutrition(n: common_pb2.Nutrition) -> schemas.Nutrition:
    return schemas.Nutrition(
        calories_kcal=n.calories_kcal,
        protein_g=n.protein_g,
        fat_g=n.fat_g,
        saturated_fat_g=n.saturated_fat_g,
        carbohydrates_g=n.carbohydrates_g,
        sugar_g=n.sugar_g,
        fiber_g=n.fiber_g,
        sodium_mg=n.sodium_mg,
    )


def _recipe_fields(r: common_pb2.Recipe) -> dict[str, object]:
    return {
        "id": r.id,
        "name": r.name,
        "description": r.description,
        "ingredients": list(r.ingredients),
        "steps": list(r.steps),
        "minutes": r.minutes or None,  # 0 means unknown on the wire
        "tags": list(r.tags),
        "nutrition": nutrition(r.nutrition),
        "rating": schemas.Rating(average=r.rating.average, count=r.rating.count),
    }


def recipe(r: common_pb2.Recipe) -> schemas.Recipe:
    return schemas.Recipe.model_validate(_recipe_fields(r))


def recipe_detail(r: common_pb2.Recipe) -> schemas.RecipeDetail:
    return schemas.RecipeDetail.model_validate(
        {**_recipe_fields(r), "servings": r.servings or None, "cuisine": r.cuisine}
    )


def recommended(r: recommender_pb2.RecommendedRecipe, localized: common_pb2.Recipe) -> schemas.RecommendedRecipe:
    """A ranked result, with its text taken from ``localized`` (the same recipe, localised)."""
    score = schemas.Score(hybrid=r.score.hybrid, semantic=r.score.semantic, popularity=r.score.popularity)
    missing = localized_missing(r.recipe, localized, r.missing_ingredients)
    return schemas.RecommendedRecipe.model_validate(
        {**_recipe_fields(localized), "score": score, "missing_ingredients": missing}
    )


def localized_missing(original: common_pb2.Recipe, localized: common_pb2.Recipe, missing: Sequence[str]) -> list[str]:
    """The missing ingredients in the language of ``localized``.

    The recommender names them as they appear in the recipe's own ingredient list, and
    translation keeps list shapes, so the same position in the localised list is the same
    ingredient. A name not found in the original list is returned as it came.
    """
    if len(original.ingredients) != len(localized.ingredients):
        return list(missing)
    position = {name: i for i, name in enumerate(original.ingredients)}
    return [localized.ingredients[position[m]] if m in position else m for m in missing]


def parsed_filters(p: recommender_pb2.ParsedFilters) -> schemas.ParsedFilters:
    f = p.filters
    return schemas.ParsedFilters(
        filters=schemas.FiltersOut(
            max_minutes=f.max_minutes or None,
            tags=list(f.tags),
            include_ingredients=list(f.include_ingredients),
            exclude_ingredients=list(f.exclude_ingredients),
        ),
        pantry=list(p.pantry),
        semantic_query=p.semantic_query,
        matched_phrases=list(p.matched_phrases),
        lang=lang_from_proto(p.language),
    )


def compat_recipe(r: common_pb2.Recipe) -> schemas.CompatRecipe:
    """The predecessor's Spanish keys; the rating rounded as it showed it."""
    return schemas.CompatRecipe.model_validate(
        {
            "nombre": r.name,
            "descripción": r.description,
            "ingredientes": list(r.ingredients),
            "instrucciones": list(r.steps),
            "calificación_promedio": round(r.rating.average, 2),
        }
    )


def _timestamp(ts: Timestamp, present: bool) -> datetime | None:
    if not present:
        return None
    return datetime.fromtimestamp(ts.seconds + ts.nanos / 1e9, tz=UTC)


def conversation(response: llm_pb2.GetConversationResponse) -> schemas.ConversationResponse:
    messages = [
        schemas.ConversationMessage(
            id=m.id,
            seq=m.seq,
            role=_ROLES.get(m.role, "assistant"),  # type: ignore[arg-type]
            content=m.content,
            created_at=_timestamp(m.created_at, m.HasField("created_at")),
            recipe_ids=list(m.recipe_ids),
            lang=lang_from_proto(m.language),
        )
        for m in response.messages
    ]
    return schemas.ConversationResponse(
        conversation_id=response.conversation_id,
        messages=messages,
        created_at=_timestamp(response.created_at, response.HasField("created_at")),
    )


def analyze_meal_request(body: schemas.AnalyzeMealRequest) -> llm_pb2.AnalyzeMealRequest:
    return llm_pb2.AnalyzeMealRequest(
        text=body.text or "",
        items=[
            llm_pb2.MealItem(ingredient=i.ingredient, quantity=i.quantity, unit=i.unit, grams=i.grams)
            for i in body.items
        ],
        recipes=[llm_pb2.RecipePortion(recipe_id=p.id, servings=p.servings) for p in body.recipes],
        language=lang_to_proto(body.lang),
    )


def analyze_meal_response(r: llm_pb2.AnalyzeMealResponse) -> schemas.AnalyzeMealResponse:
    d = r.daily_value_pct
    return schemas.AnalyzeMealResponse(
        nutrition=nutrition(r.nutrition),
        daily_value_pct=schemas.DailyValuePercent(
            calories=d.calories,
            protein=d.protein,
            fat=d.fat,
            saturated_fat=d.saturated_fat,
            carbohydrates=d.carbohydrates,
            sugar=d.sugar,
            fiber=d.fiber,
            sodium=d.sodium,
        ),
        assessment=r.assessment,
        suggestions=list(r.suggestions),
        matched=[
            schemas.MatchedItem(input=m.input, food=m.food, grams=m.grams, nutrition=nutrition(m.nutrition))
            for m in r.matched
        ],
        unmatched=list(r.unmatched),
    )


def recipes(items: Iterable[common_pb2.Recipe]) -> list[schemas.Recipe]:
    return [recipe(r) for r in items]
