"""The text embedded for each recipe: short and meaning-dense.

USE's cost is per token (DESIGN §9a: ~200 texts/s at ~105 tokens), so the document is the
name, the cuisine, the meal type and the first few distinctive ingredients (pantry basics such
as salt, oil and water are dropped: every recipe has them, they carry no meaning). Steps and the
description are left out: they are long and mostly technique, and the recommender's lexical
index covers their words anyway. A recipe with Spanish text gets a second document in Spanish;
its vector is the normalised mean of both, so queries in either language land near it.

``DOCUMENT_VERSION`` is recorded in the manifest: change it whenever the text changes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

DOCUMENT_VERSION = "compact-v2"
# Measured on the bundled catalog's 112 labelled queries (mlops evaluate, USE):
#   ingredients  tokens/doc  recommender nDCG@10  plain-semantic nDCG@10
#   8            ~44         0.687                0.450
#   3            ~27         0.720                0.473
#   0            ~13         0.708                0.502
# Three distinctive ingredients rank best and cost 40% fewer tokens than eight; more dilute the
# dish's meaning, and the lexical index already matches every ingredient word.
MAX_INGREDIENTS = 3

PANTRY_BASICS = {
    "salt",
    "pepper",
    "black pepper",
    "water",
    "oil",
    "olive oil",
    "vegetable oil",
    "canola oil",
    "sugar",
    "butter",
    "ice",
    "salt and pepper",
    "kosher salt",
    "sea salt",
    "cooking spray",
    "ground black pepper",
    "sal",
    "pimienta",
    "pimienta negra",
    "agua",
    "aceite",
    "aceite de oliva",
    "aceite vegetal",
    "azúcar",
    "mantequilla",
    "hielo",
    "sal y pimienta",
}
# Food.com course tags -> words a person would search with.
MEAL_TYPES = {
    "breakfast": ("breakfast", "desayuno"),
    "brunch": ("brunch", "brunch"),
    "lunch": ("lunch", "almuerzo"),
    "main-dish": ("main dish", "plato principal"),
    "side-dishes": ("side dish", "guarnición"),
    "soups-stews": ("soup", "sopa"),
    "soups": ("soup", "sopa"),
    "stews": ("stew", "guiso"),
    "salads": ("salad", "ensalada"),
    "desserts": ("dessert", "postre"),
    "appetizers": ("appetizer", "aperitivo"),
    "snacks": ("snack", "merienda"),
    "beverages": ("drink", "bebida"),
    "drinks": ("drink", "bebida"),
    "cocktails": ("cocktail", "cóctel"),
    "breads": ("bread", "pan"),
    "sauces": ("sauce", "salsa"),
}
CUISINES_ES = {
    "peruvian": "peruana",
    "mexican": "mexicana",
    "spanish": "española",
    "argentine": "argentina",
    "colombian": "colombiana",
    "italian": "italiana",
    "french": "francesa",
    "indian": "india",
    "chinese": "china",
    "japanese": "japonesa",
    "thai": "tailandesa",
    "middle-eastern": "de Medio Oriente",
    "american": "estadounidense",
    "greek": "griega",
    "chilean": "chilena",
    "cuban": "cubana",
    "brazilian": "brasileña",
    "korean": "coreana",
    "portuguese": "portuguesa",
    "vietnamese": "vietnamita",
    "moroccan": "marroquí",
    "jamaican": "jamaicana",
    "venezuelan": "venezolana",
    "lebanese": "libanesa",
    "british": "británica",
    "german": "alemana",
    "turkish": "turca",
    "caribbean": "caribeña",
    "cajun-creole": "cajún",
    "cajun": "cajún",
    "filipino": "filipina",
    "nigerian": "nigeriana",
}
_SPACES = re.compile(r"\s+")


def _ingredients(items: Sequence[str]) -> list[str]:
    kept = [i.strip() for i in items if i and i.strip().lower() not in PANTRY_BASICS]
    return list(dict.fromkeys(kept))[:MAX_INGREDIENTS]


def _meal(tags: Sequence[str], lang: int) -> str:
    for tag in tags:
        if tag in MEAL_TYPES:
            return MEAL_TYPES[tag][lang]
    return ""


def _join(parts: Sequence[str]) -> str:
    return _SPACES.sub(" ", ". ".join(p for p in parts if p)).strip()


def documents(recipe: dict[str, Any]) -> list[str]:
    """One text per language the recipe is written in (its own language first)."""
    tags = list(recipe.get("tags") or [])
    cuisine = (recipe.get("cuisine") or "").replace("-", " ")
    meal = _meal(tags, 0)
    texts = [
        _join(
            [
                recipe.get("name") or "",
                " ".join(p for p in (cuisine, meal) if p),
                ", ".join(_ingredients(recipe.get("ingredients") or [])),
            ]
        )
    ]
    for loc in recipe.get("localized") or []:
        if loc.get("language") == "es" and loc.get("name"):
            cuisine_es = CUISINES_ES.get(recipe.get("cuisine") or "", "")
            meal_es = _meal(tags, 1)
            descriptor = f"{meal_es} {'de cocina ' + cuisine_es if cuisine_es else ''}".strip()
            texts.append(_join([loc["name"], descriptor, ", ".join(_ingredients(loc.get("ingredients") or []))]))
    return texts
