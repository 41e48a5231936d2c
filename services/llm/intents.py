"""Chat intent rules (es/en): recommend, ask about a recipe, analyse a meal, or other.

Rules, not a model: they are instant, deterministic and easy to extend, and the intent only
decides which grounding data to gather. Whatever backend writes the reply sees that data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.llm.qa import TOPIC_KEYWORDS
from services.llm.text import fold

RECOMMEND = "recommend"
ASK = "ask_recipe"
ANALYSE = "analyze_meal"
OTHER = "other"

_ANALYSE = (
    "analiza", "analizar", "analisis", "cuantas calorias tiene", "cuantas calorias", "calorias de mi",
    "valor nutricional de", "comi", "desayune", "almorce", "cene", "me comi", "nutricion de mi",
    "analyze", "analyse", "analysis", "how many calories", "i ate", "i had", "calories in my",
    "nutrition of my", "my meal", "mi comida", "mi desayuno", "mi almuerzo", "mi cena",
)  # fmt: skip
_RECIPE_REFERENCE = (
    "la receta", "esa receta", "esta receta", "la primera", "la segunda", "la tercera", "la ultima", "el primero",
    "la de", "esa", "esta", "eso", "this recipe", "that recipe", "the recipe", "the first", "the second",
    "the third", "the last", "that one", "this one", "it", "first one", "second one", "third one",
)  # fmt: skip
_RECOMMEND = (
    "recomienda", "recomiendame", "recomendar", "recomendacion", "sugiere", "sugerencia", "quiero", "busco",
    "dame", "receta", "recetas", "algo", "idea", "ideas", "que cocino", "que hago", "que puedo cocinar",
    "tengo", "con", "sin", "para cenar", "para almorzar", "para desayunar", "recommend", "suggest", "want",
    "looking for", "give me", "recipe", "recipes", "something", "what can i cook", "what should i cook",
    "i have", "dinner", "lunch", "breakfast", "with", "without", "quick", "easy", "rapido", "facil",
)  # fmt: skip
_GREETING = (
    "hola", "buenas", "buenos dias", "buenas tardes", "buenas noches", "gracias", "chau", "adios", "hello",
    "hi", "hey", "thanks", "thank you", "bye", "good morning", "good evening", "ayuda", "help",
    "que puedes hacer", "what can you do", "quien eres", "who are you",
)  # fmt: skip
_ASKS_FOR_RECIPES = ("receta", "recetas", "recipe", "recipes", "recomienda", "recommend")
_ORDINALS = {
    0: ("primera", "primero", "first", "1", "#1", "uno", "one"),
    1: ("segunda", "segundo", "second", "2", "#2", "dos", "two"),
    2: ("tercera", "tercero", "third", "3", "#3", "tres", "three"),
    -1: ("ultima", "ultimo", "last"),
}


@dataclass(frozen=True)
class Intent:
    name: str
    # For ASK: which of the previously shown recipes (0-based, -1 = last); None = the first.
    ordinal: int | None = None


def _has(folded: str, phrase: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", folded) is not None


def ordinal_of(message: str) -> int | None:
    folded = fold(message)
    for index, words in _ORDINALS.items():
        if any(_has(folded, w) for w in words):
            return index
    return None


def classify_intent(message: str, has_recipe_context: bool) -> Intent:
    """Decide the intent of one chat message, given whether recipes were shown before."""
    folded = fold(message)
    if any(_has(folded, k) for k in _ANALYSE) or re.search(r"\d+\s*(g|gr|gramos|grams|kg|oz|ml)\b", folded):
        return Intent(ANALYSE)
    question_topic = any(_has(folded, k) for topic in TOPIC_KEYWORDS.values() for k in topic)
    references = any(_has(folded, k) for k in _RECIPE_REFERENCE)
    ordinal = ordinal_of(message)
    if has_recipe_context and (question_topic or ordinal is not None) and (references or ordinal is not None):
        return Intent(ASK, ordinal)
    asks_for_recipes = any(_has(folded, k) for k in _ASKS_FOR_RECIPES)
    if has_recipe_context and question_topic and not asks_for_recipes:
        return Intent(ASK, ordinal)
    greeting = any(_has(folded, k) for k in _GREETING)
    if greeting and len(folded.split()) <= 4 and not any(_has(folded, k) for k in _RECOMMEND):
        return Intent(OTHER)
    return Intent(RECOMMEND)
