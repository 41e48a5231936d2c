"""Pydantic models of the REST API: the shapes DESIGN.md §3a promises, with the edge limits.

Request bodies are strict (``"5"`` is not a number, ``true`` is not an integer) and reject
unknown fields, so a typo is a clear 422 instead of a silently ignored option. The one
exception is the compatibility route, which keeps the predecessor's lenient behaviour.

Limits live here, as constants, so that they appear in ``/openapi.json`` and the docs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from gateway.config import LanguageCode

MAX_QUERY_CHARS = 500
MAX_N = 50
MAX_LIST_ITEMS = 50
MAX_ITEM_CHARS = 100
MAX_QUESTION_CHARS = 1000
MAX_MESSAGE_CHARS = 4000
MAX_MEAL_TEXT_CHARS = 2000
MAX_MEAL_ITEMS = 100
MAX_MEAL_RECIPES = 20
COMPAT_DEFAULT_N = 3

# At least one non-blank character (JSON Schema and pydantic both search, unanchored).
_NOT_BLANK = r"\S"
Query = Annotated[str, StringConstraints(min_length=1, max_length=MAX_QUERY_CHARS, pattern=_NOT_BLANK)]
Item = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ITEM_CHARS, pattern=_NOT_BLANK)]
RecipeId = Annotated[int, Field(ge=1, le=2**63 - 1, description="Catalog recipe id.")]
ConversationId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Lang = Annotated[
    LanguageCode | None, Field(description="Answer language (ISO 639-1); null means the input's language.")
]


class StrictRequest(BaseModel):
    """Base of the v1 request bodies: strict types, no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid")


# ----------------------------------------------------------------------------- shared output


class Nutrition(BaseModel):
    """Per serving, in base units."""

    calories_kcal: float
    protein_g: float
    fat_g: float
    saturated_fat_g: float
    carbohydrates_g: float
    sugar_g: float
    fiber_g: float
    sodium_mg: float


class Rating(BaseModel):
    average: float = Field(description="Mean of the ratings, 1..5; 0 when unrated.")
    count: int


class Score(BaseModel):
    hybrid: float = Field(description="The blended score results are ordered by.")
    semantic: float
    popularity: float


class Recipe(BaseModel):
    id: int
    name: str
    description: str
    ingredients: list[str]
    steps: list[str]
    minutes: int | None = Field(description="Total time; null when unknown.")
    tags: list[str]
    nutrition: Nutrition
    rating: Rating


class RecommendedRecipe(Recipe):
    score: Score
    missing_ingredients: list[str] = Field(description="Pantry mode: what the pantry lacks.")


# ----------------------------------------------------------------------------- recommendations


class RecommendationFilters(StrictRequest):
    max_minutes: int | None = Field(None, ge=1, le=100_000, description="Only recipes ready within this time.")
    tags: list[Item] = Field(default_factory=list, max_length=MAX_LIST_ITEMS, description="All must be present.")
    include_ingredients: list[Item] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    exclude_ingredients: list[Item] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)


class RecommendationRequest(StrictRequest):
    query: Query
    n: int = Field(5, ge=1, le=MAX_N)
    alpha: float = Field(0.7, ge=0.0, le=1.0, description="Weight of meaning against popularity.")
    lang: Lang = None
    pantry: list[Item] = Field(default_factory=list, max_length=MAX_LIST_ITEMS, description="Ingredients on hand.")
    filters: RecommendationFilters = Field(default_factory=lambda: RecommendationFilters.model_validate({}))


class FiltersOut(BaseModel):
    max_minutes: int | None
    tags: list[str]
    include_ingredients: list[str]
    exclude_ingredients: list[str]


class ParsedFilters(BaseModel):
    """How the query was read: explicit and parsed filters merged, and the phrases that set them."""

    filters: FiltersOut
    pantry: list[str]
    semantic_query: str
    matched_phrases: list[str]
    lang: LanguageCode | None


class RecommendationsResponse(BaseModel):
    recipes: list[RecommendedRecipe]
    lang: LanguageCode
    parsed_filters: ParsedFilters
    degraded: bool = Field(description="True when a dependency failed and the answer is a fallback.")
    model_version: str


# ----------------------------------------------------------------------------- compatibility route


class CompatRequest(BaseModel):
    """The predecessor's body: lenient (unknown fields ignored), as its clients expect."""

    query: Query


class CompatRecipe(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    nombre: str
    descripcion: str = Field(alias="descripción")
    ingredientes: list[str]
    instrucciones: list[str]
    calificacion_promedio: float = Field(alias="calificación_promedio")


class CompatResponse(BaseModel):
    recetas: list[CompatRecipe]


# ----------------------------------------------------------------------------- recipes


class RecipeDetail(Recipe):
    servings: int | None
    cuisine: str


class RecipeResponse(BaseModel):
    recipe: RecipeDetail
    lang: LanguageCode | None = Field(description="Language of the text; null when the catalog does not say.")
    degraded: bool
    model_version: str


class SimilarRecipesResponse(BaseModel):
    recipes: list[RecommendedRecipe]
    lang: LanguageCode | None
    degraded: bool
    model_version: str


# ----------------------------------------------------------------------------- Q&A and meal analysis


class QaRequest(StrictRequest):
    recipe_id: RecipeId
    question: Annotated[str, StringConstraints(min_length=1, max_length=MAX_QUESTION_CHARS, pattern=_NOT_BLANK)]
    lang: Lang = None


class QaResponse(BaseModel):
    answer: str
    lang: LanguageCode | None
    recipe_id: int


class MealItem(StrictRequest):
    ingredient: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_NOT_BLANK)]
    quantity: float | None = Field(None, ge=0, le=100_000)
    unit: Annotated[str, StringConstraints(max_length=20)] = Field("", description="g, kg, oz, cup, tbsp, ...")
    grams: float | None = Field(None, ge=0, le=100_000, description="Wins over quantity and unit.")


class RecipePortion(StrictRequest):
    id: RecipeId
    servings: float = Field(1.0, gt=0, le=50)


class AnalyzeMealRequest(StrictRequest):
    """A meal as free text, as ingredient items, as catalog recipe portions, or any mix."""

    text: Annotated[str, StringConstraints(max_length=MAX_MEAL_TEXT_CHARS)] | None = None
    items: list[MealItem] = Field(default_factory=list, max_length=MAX_MEAL_ITEMS)
    recipes: list[RecipePortion] = Field(default_factory=list, max_length=MAX_MEAL_RECIPES)
    lang: Lang = None

    @model_validator(mode="after")
    def _something_to_analyse(self) -> AnalyzeMealRequest:
        if not ((self.text and self.text.strip()) or self.items or self.recipes):
            raise ValueError("give the meal as text, items or recipes")
        return self


class DailyValuePercent(BaseModel):
    """Share of the daily value of a 2,000 kcal adult diet, in percent."""

    calories: float
    protein: float
    fat: float
    saturated_fat: float
    carbohydrates: float
    sugar: float
    fiber: float
    sodium: float


class MatchedItem(BaseModel):
    input: str
    food: str
    grams: float
    nutrition: Nutrition


class AnalyzeMealResponse(BaseModel):
    nutrition: Nutrition
    daily_value_pct: DailyValuePercent
    assessment: str
    suggestions: list[str]
    matched: list[MatchedItem]
    unmatched: list[str]


# ----------------------------------------------------------------------------- chat


class ChatRequest(StrictRequest):
    conversation_id: ConversationId | None = Field(None, description="Omit to start a new conversation.")
    message: Annotated[str, StringConstraints(min_length=1, max_length=MAX_MESSAGE_CHARS, pattern=_NOT_BLANK)]
    lang: Lang = None


class ChatResponse(BaseModel):
    conversation_id: str
    reply: str
    recipes: list[Recipe]


class ConversationMessage(BaseModel):
    id: str
    seq: int
    role: Literal["user", "assistant"]
    content: str
    created_at: datetime | None
    recipe_ids: list[int]
    lang: LanguageCode | None


class ConversationResponse(BaseModel):
    conversation_id: str
    messages: list[ConversationMessage]
    created_at: datetime | None


# ----------------------------------------------------------------------------- health and errors


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready"]
    dependencies: dict[str, str] = Field(description="grpc.health.v1 status per peer service.")


class FieldError(BaseModel):
    field: str = Field(description="Where the bad value is, e.g. body.n or query.lang.")
    message: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem document (``application/problem+json``)."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    code: str = Field(description="Stable machine-readable reason, e.g. invalid_argument, rate_limited.")
    request_id: str | None = None
    errors: list[FieldError] | None = None
