"""Translate: texts and whole recipes in ONE backend call, cached per item.

Order of sources for each piece of text:
1. nothing to do (already in the target language, or empty);
2. the recipe's own stored text in the target language (translation memory);
3. the response cache (per item, per backend);
4. one batched backend call for everything still missing (identical texts sent once).
List shapes are kept: a recipe's ingredients and steps come back as lists of the same length.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from recipes.common.v1 import common_pb2
from services.common.telemetry import TRANSLATION_LATENCY
from services.llm.backends.base import LlmBackend, TranslationItem
from services.llm.detect import LanguageDetector
from services.llm.languages import Lang, from_pb, other, to_pb
from services.llm.metrics import TRANSLATED_ITEMS
from services.llm.recipes import stored_text
from services.llm.router import BatchOperation, Router
from services.llm.text import normalise_request_text

MEMORY_BACKEND = "translation-memory"
RECIPE_FIELDS = ("name", "description")
RECIPE_LISTS = ("ingredients", "steps")


@dataclass
class TranslationResult:
    texts: list[str]
    recipes: list[common_pb2.Recipe]
    backend: str
    cached_count: int
    degraded: bool
    backend_items: int = 0
    memory_items: int = 0


@dataclass
class _Slot:
    """Where one translated string goes back: texts[i], or a recipe field / list element."""

    text_index: int = -1
    recipe_index: int = -1
    field: str = ""
    position: int = -1


@dataclass
class _Plan:
    items: list[TranslationItem] = field(default_factory=list)
    slots: list[_Slot] = field(default_factory=list)


class Translator:
    def __init__(self, router: Router, detector: LanguageDetector) -> None:
        self.router = router
        self.detector = detector

    def _source_of(self, text: str, given: Lang | None, target: Lang) -> Lang:
        if given is not None:
            return given
        # Undecided short texts are assumed NOT to be in the target language: translating an
        # already-target text is harmless, skipping a foreign one is not.
        return self.detector.detect(text, default=other(target)).language

    async def translate(
        self,
        texts: Sequence[str],
        recipes: Sequence[common_pb2.Recipe],
        target: Lang,
        source: Lang | None,
        *,
        deadline: float,
    ) -> TranslationResult:
        started = time.perf_counter()
        out_texts = list(texts)
        out_recipes = [self._prepare(recipe, target) for recipe in recipes]
        plan = _Plan()
        memory_items = 0

        for i, text in enumerate(texts):
            if not text.strip():
                continue
            src = self._source_of(text, source, target)
            if src != target:
                plan.items.append(TranslationItem(normalise_request_text(text), src))
                plan.slots.append(_Slot(text_index=i))

        for r, recipe in enumerate(recipes):
            src = from_pb(recipe.language) or self._source_of(f"{recipe.name}. {recipe.description}", source, target)
            if src == target:
                continue
            if not any(from_pb(t.language) == src for t in recipe.localized):
                # Keep the original text beside the translation: the response stays a full memory.
                out_recipes[r].localized.append(
                    common_pb2.RecipeText(
                        language=to_pb(src),
                        name=recipe.name,
                        description=recipe.description,
                        ingredients=recipe.ingredients,
                        steps=recipe.steps,
                    )
                )
            memory = stored_text(recipe, target)
            for name in RECIPE_FIELDS:
                value: str = getattr(recipe, name)
                if memory is not None and getattr(memory, name):
                    setattr(out_recipes[r], name, getattr(memory, name))
                    memory_items += 1
                elif value.strip():
                    plan.items.append(TranslationItem(normalise_request_text(value), src))
                    plan.slots.append(_Slot(recipe_index=r, field=name))
            for name in RECIPE_LISTS:
                values: Sequence[str] = getattr(recipe, name)
                stored: Sequence[str] = getattr(memory, name) if memory is not None else ()
                if stored:
                    del getattr(out_recipes[r], name)[:]
                    getattr(out_recipes[r], name).extend(stored)
                    memory_items += len(stored)
                    continue
                for position, value in enumerate(values):
                    if value.strip():
                        plan.items.append(TranslationItem(normalise_request_text(value), src))
                        plan.slots.append(_Slot(recipe_index=r, field=name, position=position))

        TRANSLATED_ITEMS.labels("memory").inc(memory_items)
        if not plan.items:
            TRANSLATION_LATENCY.labels(MEMORY_BACKEND, "ok").observe(time.perf_counter() - started)
            return TranslationResult(out_texts, out_recipes, MEMORY_BACKEND, 0, False, 0, memory_items)

        items = plan.items

        async def call(backend: LlmBackend, indices: list[int], timeout: float) -> list[str]:
            return await backend.translate([items[i] for i in indices], target, timeout=timeout)

        routed = await self.router.run(
            BatchOperation(
                name="translate",
                requests=[{"source": it.source, "target": target, "text": it.text} for it in items],
                call=call,
                encode=lambda s: s,
                decode=lambda s: s,
            ),
            deadline=deadline,
        )
        for slot, value in zip(plan.slots, routed.values, strict=True):
            if slot.text_index >= 0:
                out_texts[slot.text_index] = value
            elif slot.position >= 0:
                getattr(out_recipes[slot.recipe_index], slot.field)[slot.position] = value
            else:
                setattr(out_recipes[slot.recipe_index], slot.field, value)
        TRANSLATED_ITEMS.labels("cache").inc(routed.cached_count)
        TRANSLATED_ITEMS.labels("backend").inc(len(items) - routed.cached_count)
        TRANSLATION_LATENCY.labels(routed.backend, "degraded" if routed.degraded else "ok").observe(
            time.perf_counter() - started
        )
        return TranslationResult(
            out_texts,
            out_recipes,
            routed.backend,
            routed.cached_count,
            routed.degraded,
            len(items) - routed.cached_count,
            memory_items,
        )

    @staticmethod
    def _prepare(recipe: common_pb2.Recipe, target: Lang) -> common_pb2.Recipe:
        copy = common_pb2.Recipe()
        copy.CopyFrom(recipe)
        copy.language = to_pb(target)
        return copy
