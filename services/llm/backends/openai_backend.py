"""Any OpenAI-compatible chat-completions server: OpenAI, Ollama, vLLM, llama.cpp.

- The SDK's own retries are off (``max_retries=0``): the router owns the one retry loop.
- Temperature 0 and a fixed seed; JSON mode; outputs validated with pydantic.
- System prompts are versioned files with no user text; data and user text go in user messages.
- Every response's token usage is counted and priced from the versioned price table.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, TypeVar

import openai
from pydantic import BaseModel, ValidationError

from recipes.common.v1 import common_pb2
from services.llm.backends.base import (
    BackendError,
    ChatPrompt,
    GroundingRecipe,
    InvalidOutput,
    LlmBackend,
    MealItemGuess,
    TranslationItem,
)
from services.llm.backends.schemas import AnswerOutput, MealOutput, TranslateOutput
from services.llm.languages import Lang, from_pb
from services.llm.metrics import LLM_COST, LLM_TOKENS
from services.llm.pricing import PriceTable, Usage
from services.llm.prompt_library import PromptLibrary
from services.llm.resources import NUTRIENTS, Substitution

log = logging.getLogger(__name__)

OutputT = TypeVar("OutputT", bound=BaseModel)


def recipe_facts(recipe: common_pb2.Recipe, lang: Lang) -> dict[str, Any]:
    """The recipe as JSON for a prompt, with its stored text in ``lang`` when it has one."""
    facts: dict[str, Any] = {
        "id": recipe.id,
        "language": from_pb(recipe.language) or "",
        "name": recipe.name,
        "description": recipe.description,
        "ingredients": list(recipe.ingredients),
        "steps": list(recipe.steps),
        "minutes": recipe.minutes or None,
        "servings": recipe.servings or None,
        "tags": list(recipe.tags),
        "cuisine": recipe.cuisine,
        "nutrition_per_serving": (
            {n: round(getattr(recipe.nutrition, n), 1) for n in NUTRIENTS} if recipe.HasField("nutrition") else None
        ),
        "rating": {"average": round(recipe.rating.average, 2), "count": recipe.rating.count},
    }
    for text in recipe.localized:
        if from_pb(text.language) == lang and text.name:
            facts[f"text_{lang}"] = {
                "name": text.name,
                "description": text.description,
                "ingredients": list(text.ingredients),
                "steps": list(text.steps),
            }
    return facts


def grounding_facts(recipe: GroundingRecipe) -> dict[str, Any]:
    return {
        "id": recipe.id,
        "name": recipe.name,
        "description": recipe.description,
        "minutes": recipe.minutes or None,
        "servings": recipe.servings or None,
        "rating": round(recipe.rating, 2),
        "rating_count": recipe.rating_count,
        "tags": recipe.tags[:10],
        "ingredients": recipe.ingredients,
    }


class OpenAIBackend(LlmBackend):
    name = "openai"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        model: str,
        prompts: PromptLibrary,
        prices: PriceTable,
        temperature: float = 0.0,
        seed: int = 7,
        max_output_tokens: int = 2048,
        find_substitutions: Callable[[str], tuple[str, list[Substitution]]] | None = None,
    ) -> None:
        self.model = model
        self.prompts = prompts
        self.prices = prices
        self.temperature = temperature
        self.seed = seed
        self.max_output_tokens = max_output_tokens
        self._find_substitutions = find_substitutions
        self._client = openai.AsyncOpenAI(base_url=base_url or None, api_key=api_key or "unset", max_retries=0)

    async def close(self) -> None:
        await self._client.close()

    # -- plumbing -------------------------------------------------------------------------
    def _request(
        self, prompt: str, user_messages: Sequence[str], history: Sequence[tuple[str, str]] = ()
    ) -> dict[str, Any]:
        messages: list[dict[str, str]] = [{"role": "system", "content": self.prompts.system(prompt)}]
        messages.extend({"role": role, "content": content} for role, content in history)
        messages.extend({"role": "user", "content": content} for content in user_messages)
        return {
            "model": self.model,
            "messages": messages,
            "temperature": self.temperature,
            "seed": self.seed,
            "max_tokens": self.max_output_tokens,
        }

    def _record_usage(self, usage: Any) -> None:
        if usage is None:
            return
        details = getattr(usage, "prompt_tokens_details", None)
        counted = Usage(
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            cached_tokens=int(getattr(details, "cached_tokens", 0) or 0) if details else 0,
        )
        LLM_TOKENS.labels(self.name, self.model, "prompt").inc(counted.prompt_tokens)
        LLM_TOKENS.labels(self.name, self.model, "completion").inc(counted.completion_tokens)
        if counted.cached_tokens:
            LLM_TOKENS.labels(self.name, self.model, "cached").inc(counted.cached_tokens)
        LLM_COST.labels(self.name, self.model).inc(self.prices.cost(self.model, counted))

    @staticmethod
    def _map_error(exc: Exception) -> BackendError:
        if isinstance(exc, openai.APITimeoutError):
            return BackendError("timeout", "the model server did not answer in time")
        if isinstance(exc, openai.APIConnectionError):
            return BackendError("connection", f"cannot reach the model server: {exc}")
        if isinstance(exc, openai.RateLimitError):
            return BackendError("rate_limited", "the model server is rate limiting (HTTP 429)")
        if isinstance(exc, openai.InternalServerError):
            return BackendError("server_error", f"the model server failed (HTTP {exc.status_code})")
        if isinstance(exc, openai.APIStatusError):
            return BackendError(
                "rejected", f"the model server refused the request (HTTP {exc.status_code})", retryable=False
            )
        return BackendError("error", f"unexpected model client error: {type(exc).__name__}")

    async def _complete_json(
        self, prompt: str, payload: dict[str, Any], schema: type[OutputT], *, timeout: float
    ) -> OutputT:
        request = self._request(prompt, [json.dumps(payload, ensure_ascii=False)])
        try:
            response = await self._client.chat.completions.create(
                **request, response_format={"type": "json_object"}, timeout=timeout
            )
        except openai.OpenAIError as exc:
            raise self._map_error(exc) from exc
        self._record_usage(response.usage)
        content = response.choices[0].message.content if response.choices else None
        try:
            return schema.model_validate_json(content or "")
        except ValidationError as exc:
            raise InvalidOutput(f"{prompt}: output is not valid {schema.__name__}: {exc.errors()[:1]}") from exc

    # -- operations -----------------------------------------------------------------------
    async def translate(self, items: Sequence[TranslationItem], target: Lang, *, timeout: float) -> list[str]:
        payload = {
            "target_language": target,
            "items": [{"id": i, "source_language": item.source, "text": item.text} for i, item in enumerate(items)],
        }
        output = await self._complete_json("translate", payload, TranslateOutput, timeout=timeout)
        by_id = {t.id: t.text for t in output.translations}
        if sorted(by_id) != list(range(len(items))) or len(output.translations) != len(items):
            raise InvalidOutput(
                f"translate: expected ids 0..{len(items) - 1} once each, got {[t.id for t in output.translations]}"
            )
        return [by_id[i] for i in range(len(items))]

    async def answer_question(self, recipe: common_pb2.Recipe, question: str, lang: Lang, *, timeout: float) -> str:
        substitutions: list[dict[str, str]] = []
        if self._find_substitutions is not None:
            _, rows = self._find_substitutions(question)
            substitutions = [
                {
                    "ingredient": r.ingredient(lang),
                    "substitute": r.substitute(lang),
                    "ratio": r.ratio(lang),
                    "notes": r.notes(lang),
                }
                for r in rows[:5]
            ]
        payload = {
            "language": lang,
            "recipe": recipe_facts(recipe, lang),
            "substitutions": substitutions,
            "question": question,
        }
        output = await self._complete_json("answer_question", payload, AnswerOutput, timeout=timeout)
        return output.answer.strip()

    async def parse_meal(self, text: str, lang: Lang, *, timeout: float) -> list[MealItemGuess]:
        output = await self._complete_json("parse_meal", {"language": lang, "text": text}, MealOutput, timeout=timeout)
        return [
            MealItemGuess(text=i.text or i.food, food=i.food, quantity=i.quantity, unit=(i.unit or None))
            for i in output.items
        ]

    def chat_request(self, prompt: ChatPrompt) -> dict[str, Any]:
        """The request body of one chat turn (also what the golden tests pin)."""
        context: dict[str, Any] = {"language": prompt.lang, "intent": prompt.intent}
        if prompt.recipes:
            context["catalog_recipes"] = [grounding_facts(r) for r in prompt.recipes]
        if prompt.focus is not None:
            context["recipe"] = recipe_facts(prompt.focus, prompt.lang)
        if prompt.analysis is not None:
            a = prompt.analysis
            context["meal_analysis"] = {
                "totals": {k: round(v, 1) for k, v in a.totals.items()},
                "daily_value_pct": a.daily_value_pct,
                "matched": [{"input": m.input, "food": m.food, "grams": round(m.grams, 1)} for m in a.matched],
                "unmatched": a.unmatched,
                "assessment": a.assessment,
                "suggestions": a.suggestions,
            }
        if prompt.catalog_unavailable:
            context["catalog_unavailable"] = True
        return self._request("chat", [json.dumps(context, ensure_ascii=False), prompt.message], history=prompt.history)

    async def chat(self, prompt: ChatPrompt, *, timeout: float) -> AsyncIterator[str]:
        request = self.chat_request(prompt)
        try:
            stream = await self._client.chat.completions.create(
                **request, stream=True, stream_options={"include_usage": True}, timeout=timeout
            )
            async for chunk in stream:
                if chunk.usage is not None:
                    self._record_usage(chunk.usage)
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except openai.OpenAIError as exc:
            raise self._map_error(exc) from exc
