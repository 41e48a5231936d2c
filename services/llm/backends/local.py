"""The local backend: deterministic, offline, and plain about being rules and tables.

Translation is glossary-based and word-level (the service applies the catalog's own
translations first); Q&A reads the recipe's fields; meal text is parsed by rules; chat replies
are templates filled with catalog data, and say so.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence

from recipes.common.v1 import common_pb2
from services.llm.backends.base import ChatPrompt, LlmBackend, MealItemGuess, TranslationItem
from services.llm.glossary import Glossary
from services.llm.intents import ANALYSE, ASK, OTHER, RECOMMEND
from services.llm.languages import Lang
from services.llm.nutrition import parse_meal_text
from services.llm.qa import LocalQA

CHUNK_CHARS = 48


def chunk_text(text: str, size: int = CHUNK_CHARS) -> list[str]:
    """Split a reply into stream chunks at word boundaries; joining them gives ``text`` back."""
    pieces = re.findall(r"\S+\s*|\s+", text)
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        if current and len(current) + len(piece) > size:
            chunks.append(current)
            current = ""
        current += piece
    if current:
        chunks.append(current)
    return chunks


_T = {
    "es": {
        "found": "Encontré estas recetas en el catálogo:",
        "item": "{i}. {name} — {minutes}{rating}.",
        "minutes": "{m} min",
        "no_minutes": "tiempo no indicado",
        "rating": ", ★ {avg:.1f} ({count} valoraciones)",
        "follow": "¿Quieres saber más de alguna? Pregúntame, por ejemplo, «¿cuánto tarda la primera?» o "
        "«¿qué ingredientes lleva la segunda?».",
        "none": "No encontré recetas del catálogo para eso. Prueba con otros ingredientes, un plato o un tiempo "
        "máximo, por ejemplo «pasta vegetariana en menos de 30 minutos».",
        "down": "Ahora mismo no puedo consultar el catálogo de recetas. Inténtalo de nuevo en un momento.",
        "no_focus": "¿Sobre qué receta me preguntas? Pídeme primero unas recetas y luego pregunta, por ejemplo, "
        "«¿cuánto tarda la primera?».",
        "analysis": "Estimé tu comida:",
        "suggestions": "Sugerencias:",
        "help": "¡Hola! Soy el asistente de recetas. Puedo recomendarte recetas del catálogo (por ejemplo, "
        "«algo vegano con garbanzos en menos de 30 minutos»), responder preguntas sobre una receta y estimar "
        "la nutrición de una comida («2 huevos y una tostada»).",
        "honest": "(Respuesta generada a partir de los datos del catálogo.)",
    },
    "en": {
        "found": "I found these recipes in the catalog:",
        "item": "{i}. {name} — {minutes}{rating}.",
        "minutes": "{m} min",
        "no_minutes": "time not given",
        "rating": ", ★ {avg:.1f} ({count} ratings)",
        "follow": 'Want to know more about one? Ask me, for example, "how long does the first one take?" or '
        '"what goes into the second one?".',
        "none": "I found no catalog recipes for that. Try other ingredients, a dish or a time limit, for example "
        '"vegetarian pasta in under 30 minutes".',
        "down": "I cannot reach the recipe catalog right now. Please try again in a moment.",
        "no_focus": 'Which recipe do you mean? Ask me for some recipes first, then ask, for example, "how long '
        'does the first one take?".',
        "analysis": "My estimate of your meal:",
        "suggestions": "Suggestions:",
        "help": "Hi! I am the recipe assistant. I can recommend recipes from the catalog (for example, "
        '"something vegan with chickpeas in under 30 minutes"), answer questions about a recipe and estimate '
        'the nutrition of a meal ("2 eggs and a slice of toast").',
        "honest": "(Reply generated from the catalog data.)",
    },
}


class LocalBackend(LlmBackend):
    name = "local"
    model = "rules-v1"

    def __init__(self, glossary: Glossary, qa: LocalQA) -> None:
        self.glossary = glossary
        self.qa = qa

    async def translate(self, items: Sequence[TranslationItem], target: Lang, *, timeout: float) -> list[str]:
        return [self.glossary.translate(item.text, item.source, target) for item in items]

    async def answer_question(self, recipe: common_pb2.Recipe, question: str, lang: Lang, *, timeout: float) -> str:
        return self.qa.answer(recipe, question, lang)

    async def parse_meal(self, text: str, lang: Lang, *, timeout: float) -> list[MealItemGuess]:
        return [
            MealItemGuess(text=p.input, food=p.food_text, quantity=p.quantity, unit=p.unit, size=p.size)
            for p in parse_meal_text(text)
        ]

    def render_chat(self, prompt: ChatPrompt) -> str:
        """The whole templated reply (streamed in chunks by :meth:`chat`)."""
        t = _T[prompt.lang]
        if prompt.intent == RECOMMEND:
            if prompt.catalog_unavailable:
                return t["down"]
            if not prompt.recipes:
                return t["none"]
            lines = [t["found"]]
            for i, r in enumerate(prompt.recipes, 1):
                minutes = t["minutes"].format(m=r.minutes) if r.minutes > 0 else t["no_minutes"]
                rating = t["rating"].format(avg=r.rating, count=r.rating_count) if r.rating_count else ""
                lines.append(t["item"].format(i=i, name=r.name, minutes=minutes, rating=rating))
            lines.append(t["follow"])
            lines.append(t["honest"])
            return "\n".join(lines)
        if prompt.intent == ASK:
            if prompt.catalog_unavailable:
                return t["down"]
            if prompt.focus is None:
                return t["no_focus"]
            return self.qa.answer(prompt.focus, prompt.message, prompt.lang)
        if prompt.intent == ANALYSE and prompt.analysis is not None:
            analysis = prompt.analysis
            lines = [f"{t['analysis']} {analysis.assessment}"]
            if analysis.suggestions:
                lines.append(t["suggestions"])
                lines.extend(f"- {s}" for s in analysis.suggestions)
            return "\n".join(lines)
        assert prompt.intent in (OTHER, ANALYSE)
        return t["help"]

    async def chat(self, prompt: ChatPrompt, *, timeout: float) -> AsyncIterator[str]:
        for chunk in chunk_text(self.render_chat(prompt)):
            yield chunk
            await asyncio.sleep(0)  # let the server flush each chunk
