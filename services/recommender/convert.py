"""Protobuf <-> engine dataclasses. Kept apart so the engine never imports generated code."""

from __future__ import annotations

import math
from typing import Any

from recipes.common.v1 import common_pb2
from recipes.recommender.v1 import recommender_pb2
from services.recommender.engine import RankedRecipe, RerankItem, ScoreBreakdown
from services.recommender.query import Filters, ParsedQuery

_NUTRITION_FIELDS = tuple(f.name for f in common_pb2.Nutrition.DESCRIPTOR.fields)
Language = common_pb2.Language
_LANGUAGES: dict[str, Language] = {"es": common_pb2.LANGUAGE_ES, "en": common_pb2.LANGUAGE_EN}
_CODES: dict[int, str] = {int(v): k for k, v in _LANGUAGES.items()}


def language_to_proto(code: str | None) -> Language:
    return _LANGUAGES.get((code or "").lower()[:2], common_pb2.LANGUAGE_UNSPECIFIED)


def language_from_proto(value: int) -> str:
    return _CODES.get(int(value), "")


def _num(value: Any) -> float:
    if value is None:
        return 0.0
    number = float(value)
    return 0.0 if math.isnan(number) else number


def recipe_to_proto(recipe: dict[str, Any]) -> common_pb2.Recipe:
    """A catalog row (dict) as a ``recipes.common.v1.Recipe``."""
    # The proto's fields are the catalog's nutrition columns (catalog.NUTRITION_COLUMNS); reading
    # them from the descriptor keeps this module, and the service, free of pyarrow.
    nutrition = common_pb2.Nutrition(**{c: _num(recipe.get(c)) for c in _NUTRITION_FIELDS})
    rating = common_pb2.Rating(
        average=_num(recipe.get("rating_average")),
        count=int(recipe.get("rating_count") or 0),
        bayesian_average=_num(recipe.get("bayesian_average")),
    )
    localized = [
        common_pb2.RecipeText(
            language=language_to_proto(loc.get("language")),
            name=loc.get("name") or "",
            description=loc.get("description") or "",
            ingredients=list(loc.get("ingredients") or []),
            steps=list(loc.get("steps") or []),
        )
        for loc in recipe.get("localized") or []
    ]
    return common_pb2.Recipe(
        id=int(recipe["id"]),
        name=recipe.get("name") or "",
        description=recipe.get("description") or "",
        ingredients=list(recipe.get("ingredients") or []),
        steps=list(recipe.get("steps") or []),
        minutes=int(recipe.get("minutes") or 0),
        tags=list(recipe.get("tags") or []),
        nutrition=nutrition,
        rating=rating,
        language=language_to_proto(recipe.get("language")),
        localized=localized,
        servings=int(recipe.get("servings") or 0),
        cuisine=recipe.get("cuisine") or "",
    )


def score_to_proto(score: ScoreBreakdown) -> recommender_pb2.ScoreBreakdown:
    return recommender_pb2.ScoreBreakdown(
        hybrid=score.hybrid,
        semantic=score.semantic,
        lexical=score.lexical,
        popularity=score.popularity,
        pantry_coverage=score.pantry_coverage,
    )


def ranked_to_proto(item: RankedRecipe) -> recommender_pb2.RecommendedRecipe:
    return recommender_pb2.RecommendedRecipe(
        recipe=recipe_to_proto(item.recipe),
        score=score_to_proto(item.score),
        missing_ingredients=item.missing_ingredients,
    )


def filters_from_proto(message: recommender_pb2.Filters) -> Filters:
    return Filters(
        max_minutes=int(message.max_minutes),
        tags=list(message.tags),
        include_ingredients=list(message.include_ingredients),
        exclude_ingredients=list(message.exclude_ingredients),
    )


def filters_to_proto(filters: Filters) -> recommender_pb2.Filters:
    return recommender_pb2.Filters(
        max_minutes=filters.max_minutes,
        tags=filters.tags,
        include_ingredients=filters.include_ingredients,
        exclude_ingredients=filters.exclude_ingredients,
    )


def parsed_to_proto(parsed: ParsedQuery) -> recommender_pb2.ParsedFilters:
    return recommender_pb2.ParsedFilters(
        filters=filters_to_proto(parsed.filters),
        pantry=parsed.pantry,
        semantic_query=parsed.semantic_query,
        matched_phrases=parsed.matched_phrases,
        language=language_to_proto(parsed.language),
    )


def rerank_item_to_proto(item: RerankItem) -> recommender_pb2.RerankResult:
    return recommender_pb2.RerankResult(
        index=item.index,
        score=item.score,
        breakdown=score_to_proto(item.breakdown),
        excluded=item.excluded,
        excluded_reason=item.excluded_reason,
    )
