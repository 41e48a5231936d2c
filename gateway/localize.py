"""Showing recipes in the caller's language, with at most one ``llm.Translate`` call per response.

Each recipe's text comes from the cheapest source that has it, in this order:

1. the recipe itself, when it is already in the target language (``native``);
2. the catalog's own translation memory (``Recipe.localized``, e.g. the bundled catalog's
   Spanish), which needs no LLM at all (``memory``);
3. a small in-process LRU of earlier translations keyed by (recipe id, language, model
   version), so a new bundle never serves stale text (``cache``);
4. one batched ``llm.Translate`` call for whatever is left (``llm``).

When that call fails (llm down, deadline), the recipes it was for stay untranslated and the
result says why, so the route can answer with ``degraded: true`` instead of an error.
Translations the llm marked degraded (its fallback backend answered) are served but not
cached, so the better translation replaces them once the backend is back.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from gateway.clients import LlmClient, UpstreamError
from gateway.convert import lang_to_proto
from gateway.metrics import TRANSLATION_CACHE
from recipes.common.v1 import common_pb2
from recipes.llm.v1 import llm_pb2
from services.common.telemetry import TRANSLATION_LATENCY

log = logging.getLogger(__name__)

CacheKey = tuple[int, str, str]


class TranslationCache:
    """A bounded LRU of localised recipes; size 0 disables it."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[CacheKey, common_pb2.Recipe] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: CacheKey) -> common_pb2.Recipe | None:
        recipe = self._items.get(key)
        if recipe is not None:
            self._items.move_to_end(key)
        return recipe

    def put(self, key: CacheKey, recipe: common_pb2.Recipe) -> None:
        if self.max_entries <= 0:
            return
        self._items[key] = recipe
        self._items.move_to_end(key)
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)


@dataclass
class Localized:
    """The recipes in the caller's order, and why the result is degraded (None when it is not)."""

    recipes: list[common_pb2.Recipe]
    degraded_reason: str | None = None
    sources: dict[str, int] = field(default_factory=dict)


def with_text(base: common_pb2.Recipe, text: common_pb2.Recipe | common_pb2.RecipeText) -> common_pb2.Recipe:
    """``base`` with its human-readable text (and language) replaced by ``text``'s."""
    out = common_pb2.Recipe()
    out.CopyFrom(base)
    out.name = text.name
    out.description = text.description
    del out.ingredients[:]
    out.ingredients.extend(text.ingredients)
    del out.steps[:]
    out.steps.extend(text.steps)
    out.language = text.language
    del out.localized[:]
    return out


def _from_memory(recipe: common_pb2.Recipe, target: common_pb2.Language) -> common_pb2.Recipe | None:
    for text in recipe.localized:
        if text.language == target and text.name:
            return with_text(recipe, text)
    return None


def _text_only(recipe: common_pb2.Recipe) -> common_pb2.Recipe:
    """What the translator needs: id, language and the text fields (not nutrition or tags)."""
    return common_pb2.Recipe(
        id=recipe.id,
        name=recipe.name,
        description=recipe.description,
        ingredients=list(recipe.ingredients),
        steps=list(recipe.steps),
        language=recipe.language,
    )


class Localizer:
    """Localises the recipes of one response; shares one cache across requests."""

    def __init__(self, llm: LlmClient, cache: TranslationCache, timeout: float) -> None:
        self.llm = llm
        self.cache = cache
        self.timeout = timeout

    async def localize(self, recipes: Sequence[common_pb2.Recipe], target: str, model_version: str) -> Localized:
        target_proto = lang_to_proto(target)
        out: list[common_pb2.Recipe | None] = []
        pending: list[int] = []
        sources = {"native": 0, "memory": 0, "cache": 0, "llm": 0, "untranslated": 0}
        for i, recipe in enumerate(recipes):
            if recipe.language == target_proto:
                sources["native"] += 1
                out.append(recipe)
            elif (memory := _from_memory(recipe, target_proto)) is not None:
                sources["memory"] += 1
                out.append(memory)
            elif (cached := self.cache.get((recipe.id, target, model_version))) is not None:
                sources["cache"] += 1
                out.append(with_text(recipe, cached))
            else:
                out.append(None)
                pending.append(i)
        reason: str | None = None
        if pending:
            reason = await self._translate(recipes, pending, out, target, model_version)
            sources["untranslated" if reason == "translation_failed" else "llm"] += len(pending)
        for source, count in sources.items():
            if count:
                TRANSLATION_CACHE.labels(source).inc(count)
        final = [r if r is not None else recipes[i] for i, r in enumerate(out)]
        return Localized(final, reason, {k: v for k, v in sources.items() if v})

    async def _translate(
        self,
        recipes: Sequence[common_pb2.Recipe],
        pending: list[int],
        out: list[common_pb2.Recipe | None],
        target: str,
        model_version: str,
    ) -> str | None:
        """One batched Translate for the ``pending`` positions; fills ``out`` or returns a reason."""
        sources = {recipes[i].language for i in pending}
        request = llm_pb2.TranslateRequest(
            target_language=lang_to_proto(target),
            source_language=sources.pop() if len(sources) == 1 else common_pb2.LANGUAGE_UNSPECIFIED,
            recipes=[_text_only(recipes[i]) for i in pending],
        )
        started = time.perf_counter()
        try:
            response = await self.llm.translate(request, timeout=self.timeout)
        except UpstreamError as exc:
            TRANSLATION_LATENCY.labels("none", "error").observe(time.perf_counter() - started)
            log.warning(
                "translation failed; serving untranslated recipes",
                extra={"peer_code": exc.code.name, "recipes": len(pending), "target_lang": target},
            )
            return "translation_failed"
        TRANSLATION_LATENCY.labels(response.backend or "unknown", "degraded" if response.degraded else "ok").observe(
            time.perf_counter() - started
        )
        if len(response.recipes) != len(pending):
            log.warning(
                "translation returned the wrong number of recipes; serving untranslated",
                extra={"expected": len(pending), "got": len(response.recipes)},
            )
            return "translation_failed"
        for i, translated in zip(pending, response.recipes, strict=True):
            text = common_pb2.Recipe()
            text.CopyFrom(translated)
            text.language = lang_to_proto(target)
            out[i] = with_text(recipes[i], text)
            if not response.degraded:
                self.cache.put((recipes[i].id, target, model_version), _text_only(text))
        return "translation_fallback" if response.degraded else None
