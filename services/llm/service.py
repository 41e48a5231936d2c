"""The LlmService servicer (validation, deadlines, wire mapping) and its lifecycle.

Dependencies (backends, store, recipe source, cache, resources) are constructor arguments so
that tests run the real servicer in-process on ``grpc.aio`` with fakes where they want them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from recipes.common.v1 import common_pb2
from recipes.llm.v1 import llm_pb2, llm_pb2_grpc
from services.common.errors import InvalidArgument, NotFound, Unavailable, require
from services.llm.backends.base import LlmBackend
from services.llm.backends.local import LocalBackend
from services.llm.cache import ResponseCache, create_cache
from services.llm.chat import ROLE_NAMES, ChatEngine
from services.llm.config import LlmSettings
from services.llm.detect import LanguageDetector
from services.llm.glossary import Glossary
from services.llm.languages import DEFAULT_LANG, Lang, from_code, from_pb, to_pb
from services.llm.meals import MealAnalyzer, nutrition_pb
from services.llm.nutrition import MAX_GRAMS, NutritionTable
from services.llm.pricing import PriceTable
from services.llm.prompt_library import PromptLibrary
from services.llm.qa import LocalQA
from services.llm.recipe_source import RecipeSource, RecommenderRecipeSource
from services.llm.resources import Resources, load_resources
from services.llm.router import BatchOperation, Router
from services.llm.store import ConversationStore, StoreUnavailable, create_store
from services.llm.text import fold, normalise_request_text
from services.llm.translation import Translator

log = logging.getLogger(__name__)

SERVICE_NAME = llm_pb2.DESCRIPTOR.services_by_name["LlmService"].full_name
CONVERSATION_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
RESPONSE_MARGIN_SECONDS = 0.05
PURGE_INTERVAL_SECONDS = 3600.0
MAX_SERVINGS = 50.0


def _language(value: int, field: str) -> Lang | None:
    if value == common_pb2.LANGUAGE_UNSPECIFIED:
        return None
    lang = from_pb(value)
    if lang is None:
        raise InvalidArgument(field, f"unknown language {value}; use LANGUAGE_ES or LANGUAGE_EN")
    return lang


def _timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp


class Components:
    """Everything built from settings and data at start-up; shared by the servicer's RPCs."""

    def __init__(
        self,
        settings: LlmSettings,
        resources: Resources,
        detector: LanguageDetector,
        backends: Sequence[LlmBackend],
        cache: ResponseCache | None,
        store: ConversationStore,
        recipes: RecipeSource,
        prompts: PromptLibrary,
    ) -> None:
        self.settings = settings
        self.resources = resources
        self.detector = detector
        self.backends = list(backends)
        self.cache = cache
        self.store = store
        self.recipes = recipes
        self.router = Router(
            backends,
            cache,
            prompts.fingerprint,
            max_attempts=settings.llm_max_attempts,
            attempt_timeout=settings.llm_attempt_timeout_seconds,
            fallback_reserve=settings.llm_fallback_reserve_seconds,
            cooldown_failures=settings.llm_cooldown_failures,
            cooldown_seconds=settings.llm_cooldown_seconds,
        )
        self.table = NutritionTable(resources.foods)
        self.translator = Translator(self.router, detector)
        self.meals = MealAnalyzer(
            self.router, self.table, resources.daily_values, recipes, settings.recommender_timeout_seconds
        )
        self.chat = ChatEngine(
            store=store,
            router=self.router,
            recipes=recipes,
            detector=detector,
            translator=self.translator,
            meals=self.meals,
            history_messages=settings.chat_history_messages,
            recipes_per_reply=settings.chat_recipes,
            recipe_timeout=settings.recommender_timeout_seconds,
        )


class LlmServicer(llm_pb2_grpc.LlmServiceServicer):
    """Registered before start() (registration must be cheap); finds its components when called."""

    def __init__(self, settings: LlmSettings, components: Callable[[], Components | None]) -> None:
        self.settings = settings
        self._components = components

    @property
    def c(self) -> Components:
        components = self._components()
        if components is None:
            raise Unavailable("the llm service is still starting")
        return components

    # -- helpers ----------------------------------------------------------------------------
    def _deadline(self, context: grpc.aio.ServicerContext) -> float:
        """Monotonic deadline of this call's backend work: our budget or the caller's, whichever is sooner."""
        budget = self.settings.llm_deadline_seconds
        remaining = context.time_remaining()
        if remaining is not None:
            budget = min(budget, max(remaining - RESPONSE_MARGIN_SECONDS, RESPONSE_MARGIN_SECONDS))
        return time.monotonic() + budget

    def _text(self, value: str, field: str, limit: int, *, required: bool = True) -> None:
        if required:
            require(bool(value.strip()), field, "must not be empty or blank")
        require(len(value) <= limit, field, f"{len(value)} characters exceed the limit of {limit}")

    def _conversation_id(self, value: str, *, required: bool) -> None:
        if not value and not required:
            return
        require(bool(value), "conversation_id", "is required")
        require(
            CONVERSATION_ID_RE.fullmatch(value) is not None,
            "conversation_id",
            "must be 1-64 characters of letters, digits, '-' or '_'",
        )

    def _detect(self, text: str, default: Lang = DEFAULT_LANG) -> Lang:
        return self.c.detector.detect(text, default=default).language

    # -- RPCs -------------------------------------------------------------------------------
    async def DetectLanguage(
        self, request: llm_pb2.DetectLanguageRequest, context: grpc.aio.ServicerContext
    ) -> llm_pb2.DetectLanguageResponse:
        self._text(request.text, "text", self.settings.max_text_chars)
        default = _language(request.default_language, "default_language") or DEFAULT_LANG
        detection = self.c.detector.detect(request.text, default=default)
        candidates = sorted(detection.candidates.items(), key=lambda kv: kv[1], reverse=True)
        return llm_pb2.DetectLanguageResponse(
            language=to_pb(detection.language),
            confidence=round(detection.confidence, 4),
            reliable=detection.reliable,
            candidates=[
                llm_pb2.LanguageConfidence(language=to_pb(lang), confidence=round(v, 4)) for lang, v in candidates
            ],
        )

    async def Translate(
        self, request: llm_pb2.TranslateRequest, context: grpc.aio.ServicerContext
    ) -> llm_pb2.TranslateResponse:
        target = _language(request.target_language, "target_language")
        if target is None:
            raise InvalidArgument("target_language", "is required (LANGUAGE_ES or LANGUAGE_EN)")
        source = _language(request.source_language, "source_language")
        limits = self.settings
        require(len(request.texts) > 0 or len(request.recipes) > 0, "texts", "give at least one text or recipe")
        require(
            len(request.texts) <= limits.max_texts_per_request,
            "texts",
            f"{len(request.texts)} texts exceed the limit of {limits.max_texts_per_request}",
        )
        require(
            len(request.recipes) <= limits.max_recipes_per_request,
            "recipes",
            f"{len(request.recipes)} recipes exceed the limit of {limits.max_recipes_per_request}",
        )
        for i, text in enumerate(request.texts):
            self._text(text, f"texts[{i}]", limits.max_text_chars, required=False)
        for r, recipe in enumerate(request.recipes):
            for name in ("name", "description"):
                self._text(getattr(recipe, name), f"recipes[{r}].{name}", limits.max_text_chars, required=False)
            for name in ("ingredients", "steps"):
                for i, value in enumerate(getattr(recipe, name)):
                    self._text(value, f"recipes[{r}].{name}[{i}]", limits.max_text_chars, required=False)
        result = await self.c.translator.translate(
            list(request.texts), list(request.recipes), target, source, deadline=self._deadline(context)
        )
        return llm_pb2.TranslateResponse(
            texts=result.texts,
            recipes=result.recipes,
            backend=result.backend,
            cached_count=result.cached_count,
            degraded=result.degraded,
        )

    async def AnswerQuestion(
        self, request: llm_pb2.AnswerQuestionRequest, context: grpc.aio.ServicerContext
    ) -> llm_pb2.AnswerQuestionResponse:
        require(request.recipe_id > 0, "recipe_id", "must be a positive catalog id")
        self._text(request.question, "question", self.settings.max_question_chars)
        lang = _language(request.language, "language") or self._detect(request.question)
        recipe = await self.c.recipes.get_recipe(request.recipe_id, timeout=self.settings.recommender_timeout_seconds)
        question = normalise_request_text(request.question)

        async def call(backend: LlmBackend, indices: list[int], timeout: float) -> list[str]:
            return [await backend.answer_question(recipe, question, lang, timeout=timeout)]

        routed = await self.c.router.run(
            BatchOperation(
                name="answer_question",
                requests=[
                    {
                        "recipe": recipe.id,
                        "recipe_hash": hash_recipe(recipe),
                        "question": fold(question),
                        "lang": lang,
                    }
                ],
                call=call,
                encode=lambda s: s,
                decode=lambda s: s,
            ),
            deadline=self._deadline(context),
        )
        return llm_pb2.AnswerQuestionResponse(
            answer=routed.values[0],
            language=to_pb(lang),
            recipe_id=recipe.id,
            backend=routed.backend,
            degraded=routed.degraded,
        )

    async def AnalyzeMeal(
        self, request: llm_pb2.AnalyzeMealRequest, context: grpc.aio.ServicerContext
    ) -> llm_pb2.AnalyzeMealResponse:
        limits = self.settings
        require(
            bool(request.text.strip()) or len(request.items) > 0 or len(request.recipes) > 0,
            "text",
            "give a meal as text, items or recipes",
        )
        self._text(request.text, "text", limits.max_text_chars, required=False)
        require(
            len(request.items) <= limits.max_meal_items,
            "items",
            f"{len(request.items)} items exceed the limit of {limits.max_meal_items}",
        )
        require(
            len(request.recipes) <= limits.max_recipes_per_request,
            "recipes",
            f"{len(request.recipes)} recipes exceed the limit of {limits.max_recipes_per_request}",
        )
        for i, item in enumerate(request.items):
            self._text(item.ingredient, f"items[{i}].ingredient", 200)
            if item.HasField("quantity"):
                require(
                    math.isfinite(item.quantity) and 0 <= item.quantity <= 10_000,
                    f"items[{i}].quantity",
                    "must be between 0 and 10000",
                )
            if item.HasField("grams"):
                require(
                    math.isfinite(item.grams) and 0 <= item.grams <= MAX_GRAMS,
                    f"items[{i}].grams",
                    f"must be between 0 and {MAX_GRAMS:.0f}",
                )
            require(len(item.unit) <= 32, f"items[{i}].unit", "must be at most 32 characters")
        for i, portion in enumerate(request.recipes):
            require(portion.recipe_id > 0, f"recipes[{i}].recipe_id", "must be a positive catalog id")
            require(
                math.isfinite(portion.servings) and 0 <= portion.servings <= MAX_SERVINGS,
                f"recipes[{i}].servings",
                f"must be between 0 and {MAX_SERVINGS:.0f}",
            )
        sample = request.text or " ".join(i.ingredient for i in request.items)
        lang = _language(request.language, "language") or (self._detect(sample) if sample.strip() else DEFAULT_LANG)
        result = await self.c.meals.analyse(
            request.text, list(request.items), list(request.recipes), lang, deadline=self._deadline(context)
        )
        analysis = result.analysis
        pct = analysis.daily_value_pct
        return llm_pb2.AnalyzeMealResponse(
            nutrition=nutrition_pb(analysis.totals),
            daily_value_pct=llm_pb2.DailyValuePercent(
                calories=pct["calories_kcal"],
                protein=pct["protein_g"],
                fat=pct["fat_g"],
                saturated_fat=pct["saturated_fat_g"],
                carbohydrates=pct["carbohydrates_g"],
                sugar=pct["sugar_g"],
                fiber=pct["fiber_g"],
                sodium=pct["sodium_mg"],
            ),
            assessment=analysis.assessment,
            suggestions=analysis.suggestions,
            matched=[
                llm_pb2.MatchedItem(
                    input=m.input, food=m.food, grams=round(m.grams, 1), nutrition=nutrition_pb(m.nutrition)
                )
                for m in analysis.matched
            ],
            unmatched=analysis.unmatched,
            language=to_pb(lang),
            backend=result.backend,
            degraded=result.degraded,
        )

    async def Chat(
        self, request: llm_pb2.ChatRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[llm_pb2.ChatResponse]:
        self._text(request.message, "message", self.settings.max_message_chars)
        self._conversation_id(request.conversation_id, required=False)
        lang = _language(request.language, "language")
        async for response in self.c.chat.turn(
            request.conversation_id, request.message, lang, deadline=lambda: self._deadline(context)
        ):
            yield response

    async def GetConversation(
        self, request: llm_pb2.GetConversationRequest, context: grpc.aio.ServicerContext
    ) -> llm_pb2.GetConversationResponse:
        self._conversation_id(request.conversation_id, required=True)
        conversation = await self.c.store.get_conversation(request.conversation_id)
        if conversation is None:
            raise NotFound(f"conversation {request.conversation_id} not found")
        messages = await self.c.store.messages(conversation.id)
        return llm_pb2.GetConversationResponse(
            conversation_id=conversation.id,
            created_at=_timestamp(conversation.created_at),
            messages=[
                llm_pb2.ConversationMessage(
                    id=m.id,
                    seq=m.seq,
                    role=ROLE_NAMES.get(m.role, llm_pb2.ROLE_UNSPECIFIED),
                    content=m.content,
                    created_at=_timestamp(m.created_at),
                    recipe_ids=m.recipe_ids,
                    language=to_pb(lang) if (lang := from_code(m.language)) else common_pb2.LANGUAGE_UNSPECIFIED,
                )
                for m in messages
            ],
        )

    async def DeleteConversation(
        self, request: llm_pb2.DeleteConversationRequest, context: grpc.aio.ServicerContext
    ) -> llm_pb2.DeleteConversationResponse:
        self._conversation_id(request.conversation_id, required=True)
        deleted = await self.c.store.delete_conversation(request.conversation_id)
        return llm_pb2.DeleteConversationResponse(deleted=deleted)


def hash_recipe(recipe: common_pb2.Recipe) -> str:
    """A content hash, so that a changed recipe never hits an answer cached for its old text."""
    return hashlib.sha256(recipe.SerializeToString(deterministic=True)).hexdigest()[:16]


def build_backends(
    settings: LlmSettings, resources: Resources, glossary: Glossary, prompts: PromptLibrary
) -> list[LlmBackend]:
    """The fallback chain: the configured backend first, ``local`` always last."""
    qa = LocalQA(glossary, resources.substitutions)
    local = LocalBackend(glossary, qa)
    if settings.llm_backend == "local":
        return [local]
    from services.llm.backends.openai_backend import OpenAIBackend

    remote = OpenAIBackend(
        base_url=settings.openai_base_url,
        api_key=settings.openai_api_key,
        model=settings.llm_model,
        prompts=prompts,
        prices=PriceTable(settings.llm_price_table),
        temperature=settings.llm_temperature,
        seed=settings.llm_seed,
        max_output_tokens=settings.llm_max_output_tokens,
        find_substitutions=qa.find_substitutions,
    )
    return [remote, local]


class LlmService:
    """Lifecycle for the shared ServiceHost: load data and models, open the store, serve."""

    service_names = (SERVICE_NAME,)

    def __init__(
        self,
        settings: LlmSettings,
        *,
        backends: Sequence[LlmBackend] | None = None,
        store: ConversationStore | None = None,
        recipes: RecipeSource | None = None,
        cache: ResponseCache | None = None,
        resources: Resources | None = None,
    ) -> None:
        self.settings = settings
        self._backends = backends
        self._store = store
        self._recipes = recipes
        self._cache = cache
        self._resources = resources
        self.components: Components | None = None
        self.servicer = LlmServicer(settings, lambda: self.components)
        self._purger: asyncio.Task[None] | None = None

    def register(self, server: grpc.aio.Server) -> None:
        llm_pb2_grpc.add_LlmServiceServicer_to_server(self.servicer, server)

    async def start(self) -> None:
        settings = self.settings
        resources = self._resources
        if resources is None:
            resources = await asyncio.to_thread(load_resources, settings.llm_resources_dir)
        glossary = Glossary(resources.glossary)
        detector = await asyncio.to_thread(LanguageDetector, glossary.vocabulary)
        prompts = PromptLibrary(settings.llm_prompt_version)
        backends = (
            list(self._backends)
            if self._backends is not None
            else build_backends(settings, resources, glossary, prompts)
        )
        cache = self._cache
        if cache is None and settings.llm_cache_size > 0:
            cache = create_cache(settings.redis_url, settings.llm_cache_size, settings.llm_cache_ttl_seconds)
        store = self._store or create_store(
            settings.database_url,
            schema=settings.database_schema,
            pool_size=settings.database_pool_size,
            connect_timeout=settings.database_connect_timeout_seconds,
            retention_days=settings.conversation_retention_days,
        )
        recipes = self._recipes or RecommenderRecipeSource(settings.recommender_addr)
        if cache is not None:
            await cache.start()
        for backend in backends:
            await backend.start()
        try:
            await store.open()
        except StoreUnavailable as exc:
            # Translation, Q&A and meal analysis do not need the store: serve them, and let chat
            # calls answer UNAVAILABLE (retrying the connection) until the store is back.
            log.error("conversation store not reachable at start: %s", exc)
        self.components = Components(settings, resources, detector, backends, cache, store, recipes, prompts)
        if settings.conversation_retention_days > 0:
            self._purger = asyncio.create_task(self._purge_loop())
        log.info(
            "llm service ready",
            extra={
                "backends": [f"{b.name}:{b.model}" for b in backends],
                "cache": cache.name if cache else "off",
                "store": store.kind,
                "glossary_entries": len(glossary),
                "foods": len(resources.foods),
                "prompts": prompts.fingerprint,
            },
        )

    async def _purge_loop(self) -> None:
        assert self.components is not None
        retention = timedelta(days=self.settings.conversation_retention_days)
        while True:
            try:
                removed = await self.components.store.purge_older_than(datetime.now(UTC) - retention)
                if removed:
                    log.info("purged %d conversations past retention", removed)
            except StoreUnavailable as exc:
                log.warning("retention purge skipped: %s", exc)
            await asyncio.sleep(PURGE_INTERVAL_SECONDS)

    async def stop(self) -> None:
        if self._purger is not None:
            self._purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._purger
        if self.components is None:
            return
        for backend in self.components.backends:
            await backend.close()
        if self.components.cache is not None:
            await self.components.cache.close()
        await self.components.recipes.close()
        await self.components.store.close()
