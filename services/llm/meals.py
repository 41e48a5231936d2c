"""AnalyzeMeal: free text, structured items and recipe portions into one nutrition estimate.

The backend only *reads* free text (which foods, how much); the numbers always come from the
nutrition table (per 100 g, USDA) or from the catalog's per-serving nutrition.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

from recipes.common.v1 import common_pb2
from recipes.llm.v1 import llm_pb2
from services.common.errors import InvalidArgument, NotFound, Unavailable
from services.llm.backends.base import LlmBackend, MealItemGuess
from services.llm.languages import Lang
from services.llm.meal import MatchedFood, MealAnalysis, analyse
from services.llm.nutrition import MAX_GRAMS, NutritionTable, parse_unit
from services.llm.recipe_source import RecipeSource
from services.llm.recipes import stored_text
from services.llm.resources import NUTRIENTS
from services.llm.router import BatchOperation, Router
from services.llm.text import fold, normalise_request_text

_UNMATCHED_RECIPE = {
    "es": {"missing": "receta {id} (no existe)", "down": "receta {id} (catálogo no disponible)",
           "empty": "receta {id} (sin datos nutricionales)"},
    "en": {"missing": "recipe {id} (not found)", "down": "recipe {id} (catalog unavailable)",
           "empty": "recipe {id} (no nutrition data)"},
}  # fmt: skip


@dataclass
class MealResult:
    analysis: MealAnalysis
    backend: str
    degraded: bool


class MealAnalyzer:
    def __init__(
        self,
        router: Router,
        table: NutritionTable,
        daily_values: dict[str, float],
        recipes: RecipeSource,
        recipe_timeout: float,
    ) -> None:
        self.router = router
        self.table = table
        self.daily_values = daily_values
        self.recipes = recipes
        self.recipe_timeout = recipe_timeout

    async def parse_text(self, text: str, lang: Lang, *, deadline: float) -> tuple[list[MealItemGuess], str, bool]:
        normalised = normalise_request_text(text)

        async def call(backend: LlmBackend, indices: list[int], timeout: float) -> list[list[MealItemGuess]]:
            return [await backend.parse_meal(normalised, lang, timeout=timeout)]

        routed = await self.router.run(
            BatchOperation(
                name="parse_meal",
                requests=[{"text": normalised, "lang": lang}],
                call=call,
                encode=lambda guesses: json.dumps([dataclasses.asdict(g) for g in guesses]),
                decode=lambda raw: [MealItemGuess(**g) for g in json.loads(raw)],
            ),
            deadline=deadline,
        )
        return routed.values[0], routed.backend, routed.degraded

    def _resolve_guess(self, guess: MealItemGuess, lang: Lang) -> MatchedFood | None:
        food = self.table.match(guess.food) or (self.table.match(guess.text) if guess.text != guess.food else None)
        if food is None:
            return None
        grams = min(self.table.grams(food, guess.quantity, guess.unit, guess.size), MAX_GRAMS)
        return MatchedFood(guess.text, food.name(lang), grams, self.table.nutrients(food, grams))

    def _resolve_item(self, index: int, item: llm_pb2.MealItem, lang: Lang) -> MatchedFood | None:
        food = self.table.match(item.ingredient)
        if food is None:
            return None
        label = item.ingredient.strip()
        if item.HasField("grams"):
            grams = item.grams
        else:
            unit = item.unit.strip()
            if unit and parse_unit(unit) is None:
                piece_words = {fold(w) for w in (*food.piece_names_en, *food.piece_names_es)}
                if fold(unit) not in piece_words:
                    raise InvalidArgument(
                        f"items[{index}].unit",
                        f"unknown unit {unit!r}; use g, kg, oz, lb, cup, tbsp, tsp, ml, l or a piece word",
                    )
            quantity = item.quantity if item.HasField("quantity") else None
            grams = self.table.grams(food, quantity, unit or None)
            label = " ".join(p for p in (_fmt_qty(quantity), unit, item.ingredient.strip()) if p)
        grams = min(grams, MAX_GRAMS)
        return MatchedFood(label, food.name(lang), grams, self.table.nutrients(food, grams))

    async def _portions(
        self, portions: Sequence[llm_pb2.RecipePortion], lang: Lang
    ) -> tuple[list[MatchedFood], list[str], bool]:
        if not portions:
            return [], [], False
        texts = _UNMATCHED_RECIPE[lang]
        ids = [p.recipe_id for p in portions]
        try:
            found, missing = await self.recipes.get_recipes(list(dict.fromkeys(ids)), timeout=self.recipe_timeout)
        except (Unavailable, NotFound):
            return [], [texts["down"].format(id=i) for i in ids], True
        by_id = {r.id: r for r in found}
        matched: list[MatchedFood] = []
        unmatched: list[str] = []
        for portion in portions:
            recipe = by_id.get(portion.recipe_id)
            if recipe is None or portion.recipe_id in missing:
                unmatched.append(texts["missing"].format(id=portion.recipe_id))
                continue
            if not recipe.HasField("nutrition") or recipe.nutrition.calories_kcal <= 0:
                unmatched.append(texts["empty"].format(id=portion.recipe_id))
                continue
            servings = portion.servings or 1.0
            stored = stored_text(recipe, lang)
            name = stored.name if stored is not None else recipe.name
            nutrition = {n: getattr(recipe.nutrition, n) * servings for n in NUTRIENTS}
            label = f"{name} × {_fmt_qty(servings)}"
            matched.append(MatchedFood(label, name, 0.0, nutrition))
        return matched, unmatched, False

    async def analyse(
        self,
        text: str,
        items: Sequence[llm_pb2.MealItem],
        portions: Sequence[llm_pb2.RecipePortion],
        lang: Lang,
        *,
        deadline: float,
    ) -> MealResult:
        matched: list[MatchedFood] = []
        unmatched: list[str] = []
        backend = self.router.primary.name
        degraded = False
        if text.strip():
            guesses, backend, degraded = await self.parse_text(text, lang, deadline=deadline)
            for guess in guesses:
                resolved = self._resolve_guess(guess, lang)
                if resolved is None:
                    unmatched.append(guess.text)
                else:
                    matched.append(resolved)
        for index, item in enumerate(items):
            resolved = self._resolve_item(index, item, lang)
            if resolved is None:
                unmatched.append(item.ingredient.strip())
            else:
                matched.append(resolved)
        recipe_matched, recipe_unmatched, catalog_down = await self._portions(portions, lang)
        matched.extend(recipe_matched)
        unmatched.extend(recipe_unmatched)
        analysis = analyse(matched, unmatched, self.daily_values, lang)
        return MealResult(analysis, backend, degraded or catalog_down)


def _fmt_qty(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if math.isclose(value, round(value)) else f"{value:g}"


def nutrition_pb(values: dict[str, float]) -> common_pb2.Nutrition:
    return common_pb2.Nutrition(**{n: round(values.get(n, 0.0), 2) for n in NUTRIENTS})
