"""Fake recommender and llm servicers for the gateway's tests, served on grpc.aio.

They subclass the generated servicers, so the gateway is tested against the real contracts
without depending on the real services' code. Each runs on its own server (so one can be
stopped to simulate an outage) in a background thread with its own event loop, so the same
fakes serve async tests, sync test clients and schemathesis alike.

Fault injection: ``fakes.recommender.fail["Recommend"] = grpc.StatusCode.UNAVAILABLE`` makes
that method fail until the entry is removed; ``fakes.stop_llm()`` takes the llm down.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer

from recipes.common.v1 import common_pb2
from recipes.llm.v1 import llm_pb2, llm_pb2_grpc
from recipes.recommender.v1 import recommender_pb2, recommender_pb2_grpc

ES, EN = common_pb2.LANGUAGE_ES, common_pb2.LANGUAGE_EN
MODEL_VERSION = "fake-20240101"


def _recipe(
    rid: int,
    lang: common_pb2.Language,
    name: str,
    ingredients: list[str],
    es: str | None = None,
    en: str | None = None,
) -> common_pb2.Recipe:
    localized = []
    if es:
        localized.append(
            common_pb2.RecipeText(
                language=ES,
                name=es,
                description=f"descripción de {es}",
                ingredients=[f"{i} (es)" for i in ingredients],
                steps=["mezclar", "servir"],
            )
        )
    if en:
        localized.append(
            common_pb2.RecipeText(
                language=EN, name=en, description=f"about {en}", ingredients=list(ingredients), steps=["mix", "serve"]
            )
        )
    return common_pb2.Recipe(
        id=rid,
        name=name,
        description=f"about {name}",
        ingredients=ingredients,
        steps=["mix", "serve"] if lang == EN else ["mezclar", "servir"],
        minutes=20 + rid % 10,
        tags=["easy", "healthy"],
        nutrition=common_pb2.Nutrition(calories_kcal=350.0, protein_g=20.0, sodium_mg=300.0),
        rating=common_pb2.Rating(average=4.567, count=12, bayesian_average=4.4),
        language=lang,
        localized=localized,
        servings=2,
        cuisine="peruvian",
    )


# Ranked order of the fake: memory-translatable, llm-only, natively Spanish, ...
CATALOG = [
    _recipe(101, EN, "peruvian chicken and avocado salad", ["chicken", "avocado"], es="Ensalada de pollo y palta"),
    _recipe(104, EN, "shakshuka", ["eggs", "tomatoes"]),
    _recipe(103, ES, "tortilla de patatas", ["huevos", "patatas"], en="Spanish potato omelette"),
    _recipe(102, EN, "overnight oats with berries", ["oats", "berries"], es="Avena nocturna con frutos rojos"),
    _recipe(105, EN, "green smoothie bowl", ["spinach", "banana"]),
]
BY_ID = {r.id: r for r in CATALOG}


class _Faults:
    """Per-method injected failures and a record of the requests each method saw."""

    def __init__(self) -> None:
        self.fail: dict[str, grpc.StatusCode] = {}
        self.calls: dict[str, list[Any]] = {}
        self.delay: dict[str, float] = {}
        self.metadata: dict[str, list[dict[str, str]]] = {}

    async def enter(self, method: str, request: Any, context: grpc.aio.ServicerContext) -> None:
        self.calls.setdefault(method, []).append(request)
        self.metadata.setdefault(method, []).append({k: str(v) for k, v in context.invocation_metadata() or ()})
        if method in self.delay:
            await asyncio.sleep(self.delay[method])
        if method in self.fail:
            await context.abort(self.fail[method], f"injected {self.fail[method].name}")

    def count(self, method: str) -> int:
        return len(self.calls.get(method, []))

    def reset(self) -> None:
        self.fail.clear()
        self.calls.clear()
        self.delay.clear()
        self.metadata.clear()


class FakeRecommender(recommender_pb2_grpc.RecommenderServiceServicer, _Faults):
    def __init__(self) -> None:
        _Faults.__init__(self)
        self.degraded = False

    async def Recommend(
        self, request: recommender_pb2.RecommendRequest, context: grpc.aio.ServicerContext
    ) -> recommender_pb2.RecommendResponse:
        await self.enter("Recommend", request, context)
        if not request.query.strip():
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "query: must not be empty")
        if not 0 <= request.n <= 50:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "n: must be in 1..50")
        n = request.n or 5
        spanish = any(w in request.query.lower().split() for w in ("de", "con", "sin", "y"))
        results = [
            recommender_pb2.RecommendedRecipe(
                recipe=r,
                score=recommender_pb2.ScoreBreakdown(hybrid=0.9 - i / 10, semantic=0.8, popularity=0.7),
                missing_ingredients=["avocado"] if request.pantry else [],
            )
            for i, r in enumerate(CATALOG[:n])
        ]
        return recommender_pb2.RecommendResponse(
            recipes=results,
            parsed_filters=recommender_pb2.ParsedFilters(
                filters=request.filters,
                pantry=list(request.pantry),
                semantic_query=request.query,
                matched_phrases=[],
                language=ES if spanish else common_pb2.LANGUAGE_UNSPECIFIED,
            ),
            degraded=self.degraded,
            degraded_reason="embeddings unavailable" if self.degraded else "",
            model_version=MODEL_VERSION,
        )

    async def GetRecipe(
        self, request: recommender_pb2.GetRecipeRequest, context: grpc.aio.ServicerContext
    ) -> recommender_pb2.GetRecipeResponse:
        await self.enter("GetRecipe", request, context)
        if request.id not in BY_ID:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"recipe {request.id} not found")
        return recommender_pb2.GetRecipeResponse(recipe=BY_ID[request.id], model_version=MODEL_VERSION)

    async def SimilarRecipes(
        self, request: recommender_pb2.SimilarRecipesRequest, context: grpc.aio.ServicerContext
    ) -> recommender_pb2.SimilarRecipesResponse:
        await self.enter("SimilarRecipes", request, context)
        if request.id not in BY_ID:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"recipe {request.id} not found")
        others = [r for r in CATALOG if r.id != request.id][: request.n or 5]
        return recommender_pb2.SimilarRecipesResponse(
            recipes=[
                recommender_pb2.RecommendedRecipe(recipe=r, score=recommender_pb2.ScoreBreakdown(hybrid=0.5))
                for r in others
            ],
            model_version=MODEL_VERSION,
        )


def fake_translation(text: str, lang: common_pb2.Language) -> str:
    return f"{text} [{'es' if lang == ES else 'en'}]"


@dataclass
class Conversation:
    id: str
    messages: list[llm_pb2.ConversationMessage] = field(default_factory=list)


class FakeLlm(llm_pb2_grpc.LlmServiceServicer, _Faults):
    def __init__(self) -> None:
        _Faults.__init__(self)
        self.conversations: dict[str, Conversation] = {}
        self.translate_degraded = False
        self.chat_fail_after_first = False
        self.chat_delay = 0.01
        self.chat_cancelled = False

    async def DetectLanguage(
        self, request: llm_pb2.DetectLanguageRequest, context: grpc.aio.ServicerContext
    ) -> llm_pb2.DetectLanguageResponse:
        await self.enter("DetectLanguage", request, context)
        words = set(request.text.lower().split())
        spanish = bool(words & {"de", "con", "y", "sin", "ensalada", "pollo", "receta"}) or "ñ" in request.text
        return llm_pb2.DetectLanguageResponse(language=ES if spanish else EN, confidence=0.9, reliable=True)

    async def Translate(
        self, request: llm_pb2.TranslateRequest, context: grpc.aio.ServicerContext
    ) -> llm_pb2.TranslateResponse:
        await self.enter("Translate", request, context)
        lang = request.target_language
        out = []
        for r in request.recipes:
            t = common_pb2.Recipe()
            t.CopyFrom(r)
            t.name = fake_translation(r.name, lang)
            t.description = fake_translation(r.description, lang)
            del t.ingredients[:]
            t.ingredients.extend(fake_translation(i, lang) for i in r.ingredients)
            del t.steps[:]
            t.steps.extend(fake_translation(s, lang) for s in r.steps)
            t.language = lang
            out.append(t)
        return llm_pb2.TranslateResponse(
            texts=[fake_translation(t, lang) for t in request.texts],
            recipes=out,
            backend="fake",
            degraded=self.translate_degraded,
        )

    async def AnswerQuestion(
        self, request: llm_pb2.AnswerQuestionRequest, context: grpc.aio.ServicerContext
    ) -> llm_pb2.AnswerQuestionResponse:
        await self.enter("AnswerQuestion", request, context)
        if request.recipe_id not in BY_ID:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"recipe {request.recipe_id} not found")
        lang = request.language or ES
        return llm_pb2.AnswerQuestionResponse(
            answer=f"Sí, {BY_ID[request.recipe_id].name}" if lang == ES else "Yes.",
            language=lang,
            recipe_id=request.recipe_id,
            backend="fake",
        )

    async def AnalyzeMeal(
        self, request: llm_pb2.AnalyzeMealRequest, context: grpc.aio.ServicerContext
    ) -> llm_pb2.AnalyzeMealResponse:
        await self.enter("AnalyzeMeal", request, context)
        matched = [
            llm_pb2.MatchedItem(
                input=i.ingredient,
                food=i.ingredient,
                grams=i.grams if i.HasField("grams") else 100.0,
                nutrition=common_pb2.Nutrition(calories_kcal=100.0, protein_g=5.0),
            )
            for i in request.items
            if i.ingredient != "unobtainium"
        ]
        return llm_pb2.AnalyzeMealResponse(
            nutrition=common_pb2.Nutrition(calories_kcal=100.0 * len(matched), protein_g=5.0 * len(matched)),
            daily_value_pct=llm_pb2.DailyValuePercent(calories=5.0 * len(matched)),
            assessment="balanced",
            suggestions=["add vegetables"],
            matched=matched,
            unmatched=[i.ingredient for i in request.items if i.ingredient == "unobtainium"],
            language=request.language or ES,
            backend="fake",
        )

    async def Chat(
        self, request: llm_pb2.ChatRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[llm_pb2.ChatResponse]:
        await self.enter("Chat", request, context)
        if request.conversation_id and request.conversation_id not in self.conversations:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"conversation {request.conversation_id} not found")
        if not request.message.strip():
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "message: must not be empty")
        cid = request.conversation_id or f"conv-{len(self.conversations) + 1}"
        conversation = self.conversations.setdefault(cid, Conversation(cid))
        lang = request.language or ES
        pieces = ["Te ", "sugiero ", "la ensalada."]
        yield llm_pb2.ChatResponse(conversation_id=cid, delta=pieces[0], language=lang)
        if self.chat_fail_after_first:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "backend went away")
        try:
            for piece in pieces[1:]:
                await asyncio.sleep(self.chat_delay)
                yield llm_pb2.ChatResponse(conversation_id=cid, delta=piece, language=lang)
        except asyncio.CancelledError:
            self.chat_cancelled = True  # the caller went away
            raise
        now = Timestamp()
        now.GetCurrentTime()
        seq = len(conversation.messages)
        conversation.messages.append(
            llm_pb2.ConversationMessage(
                id=f"m{seq + 1}", seq=seq + 1, role=llm_pb2.ROLE_USER, content=request.message, created_at=now
            )
        )
        conversation.messages.append(
            llm_pb2.ConversationMessage(
                id=f"m{seq + 2}",
                seq=seq + 2,
                role=llm_pb2.ROLE_ASSISTANT,
                content="".join(pieces),
                created_at=now,
                recipe_ids=[101, 104],
                language=lang,
            )
        )
        yield llm_pb2.ChatResponse(
            conversation_id=cid,
            done=True,
            recipes=[BY_ID[101], BY_ID[104]],
            message_id=f"m{seq + 2}",
            language=lang,
            intent="recommend",
        )

    async def GetConversation(
        self, request: llm_pb2.GetConversationRequest, context: grpc.aio.ServicerContext
    ) -> llm_pb2.GetConversationResponse:
        await self.enter("GetConversation", request, context)
        conversation = self.conversations.get(request.conversation_id)
        if conversation is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"conversation {request.conversation_id} not found")
            raise AssertionError("unreachable")
        return llm_pb2.GetConversationResponse(
            conversation_id=conversation.id,
            messages=conversation.messages,
            created_at=conversation.messages[0].created_at if conversation.messages else None,
        )

    def reset(self) -> None:
        _Faults.reset(self)
        self.translate_degraded = False
        self.chat_fail_after_first = False
        self.chat_delay = 0.01
        self.chat_cancelled = False


class _Server:
    """One grpc.aio server (servicer + health) owned by the background loop."""

    def __init__(self, name: str, service: str, add: Any, servicer: Any) -> None:
        self.name, self.service, self.add, self.servicer = name, service, add, servicer
        self.server: grpc.aio.Server | None = None
        self.health = HealthServicer()
        self.port = 0

    async def start(self) -> None:
        self.server = grpc.aio.server()
        self.add(self.servicer, self.server)
        self.health = HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self.port = self.server.add_insecure_port(f"127.0.0.1:{self.port}")
        await self.server.start()
        for name in ("", self.service):
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop(0)
            self.server = None

    async def set_serving(self, serving: bool) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ("", self.service):
            await self.health.set(name, status)


class FakeServices:
    """Both fakes, on free ports, in a background event loop."""

    def __init__(self) -> None:
        self.recommender = FakeRecommender()
        self.llm = FakeLlm()
        self._rec = _Server(
            "recommender",
            "recipes.recommender.v1.RecommenderService",
            recommender_pb2_grpc.add_RecommenderServiceServicer_to_server,
            self.recommender,
        )
        self._llm = _Server("llm", "recipes.llm.v1.LlmService", llm_pb2_grpc.add_LlmServiceServicer_to_server, self.llm)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="gateway-fakes", daemon=True)

    @property
    def recommender_addr(self) -> str:
        return f"127.0.0.1:{self._rec.port}"

    @property
    def llm_addr(self) -> str:
        return f"127.0.0.1:{self._llm.port}"

    def _run(self, coro: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result(timeout=30)

    def start(self) -> FakeServices:
        self._thread.start()
        self._run(self._rec.start())
        self._run(self._llm.start())
        return self

    def close(self) -> None:
        self._run(self._rec.stop())
        self._run(self._llm.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def stop_llm(self) -> None:
        self._run(self._llm.stop())

    def start_llm(self) -> None:
        """Restart the llm on the same port (the gateway's channel reconnects by itself)."""
        deadline = time.monotonic() + 10
        while True:
            try:
                self._run(self._llm.start())
                return
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def set_serving(self, name: str, serving: bool) -> None:
        self._run({"recommender": self._rec, "llm": self._llm}[name].set_serving(serving))

    def reset(self) -> None:
        self.recommender.reset()
        self.recommender.degraded = False
        self.llm.reset()
        if self._llm.server is None:
            self.start_llm()
        self.set_serving("recommender", True)
        self.set_serving("llm", True)


@contextmanager
def fake_services() -> Iterator[FakeServices]:
    fakes = FakeServices().start()
    try:
        yield fakes
    finally:
        fakes.close()


def gateway_settings(fakes: FakeServices, **overrides: Any) -> Any:
    """Settings pointing at ``fakes``; security off unless a test turns it on."""
    from gateway.config import GatewaySettings

    values: dict[str, Any] = {
        "recommender_addr": fakes.recommender_addr,
        "llm_addr": fakes.llm_addr,
        "gateway_api_keys": "",
        "redis_url": "",
        "rate_limit_per_minute": 0,
        "cors_origins": "",
        "translate_timeout_seconds": 2.0,
        **overrides,
    }
    return GatewaySettings(**values)


@asynccontextmanager
async def gateway_client(fakes: FakeServices, **overrides: Any) -> AsyncIterator[tuple[Any, Any]]:
    """An httpx client bound in-process to a gateway app wired to ``fakes``; yields (client, app)."""
    import httpx

    from gateway.app import create_app
    from gateway.clients import ServiceClients

    settings = gateway_settings(fakes, **overrides)
    clients = ServiceClients(settings.recommender_addr, settings.llm_addr)
    app = create_app(settings, clients)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client, app
    finally:
        await clients.close()
        if app.state.ctx.limiter is not None:
            await app.state.ctx.limiter.close()
