"""Gateway-side clients for the recommender and llm services.

One shared ``grpc.aio`` channel per peer (from ``services.common.clients.create_channel``:
message limits, keepalive, OTel client spans with W3C context, retries for idempotent methods
only, so a chat turn is never repeated). Every call carries a deadline chosen per route.

gRPC failures leave this module as :class:`UpstreamError`, which remembers which peer and
method failed; ``gateway.errors`` turns it into an HTTP problem without leaking the raw
transport message (addresses, connection errors) to the caller.

Readiness uses a second, plain channel per peer for ``grpc.health.v1`` checks, so probe
traffic makes no spans and cannot be mistaken for API traffic.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from gateway.config import GatewaySettings
from recipes.llm.v1 import llm_pb2, llm_pb2_grpc
from recipes.recommender.v1 import recommender_pb2, recommender_pb2_grpc
from services.common.clients import create_channel

RECOMMENDER_SERVICE = "recipes.recommender.v1.RecommenderService"
LLM_SERVICE = "recipes.llm.v1.LlmService"
RECOMMENDER_IDEMPOTENT = ("Recommend", "GetRecipe", "BatchGetRecipes", "SimilarRecipes", "Rerank", "GetModelInfo")
# Chat and DeleteConversation change state: never retried.
LLM_IDEMPOTENT = ("DetectLanguage", "Translate", "AnswerQuestion", "AnalyzeMeal", "GetConversation")

T = TypeVar("T")


class UpstreamError(Exception):
    """A call to a peer service failed with a gRPC status."""

    def __init__(self, peer: str, method: str, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"{peer}.{method}: {code.name}: {details}")
        self.peer = peer
        self.method = method
        self.code = code
        self.details = details


async def _call(peer: str, method: str, call: Awaitable[T]) -> T:
    """Await one unary call, turning a gRPC failure into :class:`UpstreamError`."""
    try:
        return await call
    except grpc.aio.AioRpcError as exc:
        raise UpstreamError(peer, method, exc.code(), exc.details() or "") from exc


class RecommenderClient:
    """Typed calls to ``recipes.recommender.v1.RecommenderService``."""

    peer = "recommender"

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self.stub = recommender_pb2_grpc.RecommenderServiceStub(channel)

    async def recommend(
        self, request: recommender_pb2.RecommendRequest, *, timeout: float
    ) -> recommender_pb2.RecommendResponse:
        return await _call(self.peer, "Recommend", self.stub.Recommend(request, timeout=timeout))

    async def get_recipe(self, recipe_id: int, *, timeout: float) -> recommender_pb2.GetRecipeResponse:
        request = recommender_pb2.GetRecipeRequest(id=recipe_id)
        return await _call(self.peer, "GetRecipe", self.stub.GetRecipe(request, timeout=timeout))

    async def similar(self, recipe_id: int, n: int, *, timeout: float) -> recommender_pb2.SimilarRecipesResponse:
        request = recommender_pb2.SimilarRecipesRequest(id=recipe_id, n=n)
        return await _call(self.peer, "SimilarRecipes", self.stub.SimilarRecipes(request, timeout=timeout))


class LlmClient:
    """Typed calls to ``recipes.llm.v1.LlmService``."""

    peer = "llm"

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self.stub = llm_pb2_grpc.LlmServiceStub(channel)

    async def detect_language(
        self, request: llm_pb2.DetectLanguageRequest, *, timeout: float
    ) -> llm_pb2.DetectLanguageResponse:
        return await _call(self.peer, "DetectLanguage", self.stub.DetectLanguage(request, timeout=timeout))

    async def translate(self, request: llm_pb2.TranslateRequest, *, timeout: float) -> llm_pb2.TranslateResponse:
        return await _call(self.peer, "Translate", self.stub.Translate(request, timeout=timeout))

    async def answer_question(
        self, request: llm_pb2.AnswerQuestionRequest, *, timeout: float
    ) -> llm_pb2.AnswerQuestionResponse:
        return await _call(self.peer, "AnswerQuestion", self.stub.AnswerQuestion(request, timeout=timeout))

    async def analyze_meal(self, request: llm_pb2.AnalyzeMealRequest, *, timeout: float) -> llm_pb2.AnalyzeMealResponse:
        return await _call(self.peer, "AnalyzeMeal", self.stub.AnalyzeMeal(request, timeout=timeout))

    async def get_conversation(self, conversation_id: str, *, timeout: float) -> llm_pb2.GetConversationResponse:
        request = llm_pb2.GetConversationRequest(conversation_id=conversation_id)
        return await _call(self.peer, "GetConversation", self.stub.GetConversation(request, timeout=timeout))

    def chat(self, request: llm_pb2.ChatRequest, *, timeout: float) -> ChatStream:
        """Start one chat turn; the reply streams as ``ChatResponse`` chunks."""
        return ChatStream(self.peer, self.stub.Chat(request, timeout=timeout))


class ChatStream:
    """The chunks of one streamed chat turn.

    ``cancel`` is synchronous on purpose: it must work from the ``finally`` of a task that is
    being cancelled (a client that left an SSE stream), where awaiting is not reliable.
    """

    def __init__(self, peer: str, call: grpc.aio.UnaryStreamCall) -> None:  # type: ignore[type-arg]
        self.peer = peer
        self._call = call

    def __aiter__(self) -> ChatStream:
        return self

    async def __anext__(self) -> llm_pb2.ChatResponse:
        try:
            chunk = await self._call.read()
        except grpc.aio.AioRpcError as exc:
            raise UpstreamError(self.peer, "Chat", exc.code(), exc.details() or "") from exc
        if chunk is grpc.aio.EOF:
            raise StopAsyncIteration
        return chunk  # type: ignore[no-any-return]

    def cancel(self) -> None:
        """Stop the upstream call (a no-op once it has finished)."""
        self._call.cancel()


@dataclass
class Peer:
    """A peer service as readiness sees it: its name, gRPC service name and health channel."""

    name: str
    service: str
    channel: grpc.aio.Channel

    async def status(self, timeout: float) -> str:
        """The peer's ``grpc.health.v1`` status name, or the gRPC code that kept us from asking."""
        stub = health_pb2_grpc.HealthStub(self.channel)
        try:
            response = await stub.Check(health_pb2.HealthCheckRequest(service=self.service), timeout=timeout)
        except grpc.aio.AioRpcError as exc:
            return str(exc.code().name)
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(response.status))


class ServiceClients:
    """The gateway's connections to its peers: one traffic channel and one health channel each."""

    def __init__(self, recommender_addr: str, llm_addr: str, *, max_message_bytes: int | None = None) -> None:
        extra = {} if max_message_bytes is None else {"max_message_bytes": max_message_bytes}
        self._channels = [
            create_channel(recommender_addr, RECOMMENDER_SERVICE, RECOMMENDER_IDEMPOTENT, **extra),
            create_channel(llm_addr, LLM_SERVICE, LLM_IDEMPOTENT, **extra),
        ]
        self.recommender = RecommenderClient(self._channels[0])
        self.llm = LlmClient(self._channels[1])
        self.peers = [
            Peer("recommender", RECOMMENDER_SERVICE, grpc.aio.insecure_channel(recommender_addr)),
            Peer("llm", LLM_SERVICE, grpc.aio.insecure_channel(llm_addr)),
        ]

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> ServiceClients:
        """Must run inside the event loop that will use the channels (grpc.aio binds them)."""
        return cls(settings.recommender_addr, settings.llm_addr)

    async def readiness(self, timeout: float) -> dict[str, str]:
        """Health status per peer, checked concurrently."""
        statuses: Sequence[str] = await asyncio.gather(*(p.status(timeout) for p in self.peers))
        return {p.name: s for p, s in zip(self.peers, statuses, strict=True)}

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in [*self._channels, *(p.channel for p in self.peers)]))
