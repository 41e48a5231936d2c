"""Typed client for the llm service, used by the gateway.

Every call carries a deadline. Idempotent calls are retried by the channel on UNAVAILABLE /
RESOURCE_EXHAUSTED; ``Chat`` is not (a retried turn would store the message twice).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import grpc

from recipes.common.v1 import common_pb2
from recipes.llm.v1 import llm_pb2, llm_pb2_grpc
from services.common.clients import create_channel

SERVICE = "recipes.llm.v1.LlmService"
IDEMPOTENT_METHODS = (
    "DetectLanguage",
    "Translate",
    "AnswerQuestion",
    "AnalyzeMeal",
    "GetConversation",
    "DeleteConversation",
)
Language = common_pb2.Language


@dataclass(frozen=True)
class ChatTurn:
    """A whole chat turn, collected: the reply text and the final (``done``) chunk."""

    conversation_id: str
    reply: str
    done: llm_pb2.ChatResponse


class LlmClient:
    def __init__(self, address: str, *, channel: grpc.aio.Channel | None = None) -> None:
        self.address = address
        self.channel = channel or create_channel(address, SERVICE, IDEMPOTENT_METHODS)
        self.stub = llm_pb2_grpc.LlmServiceStub(self.channel)

    async def close(self) -> None:
        await self.channel.close()

    async def detect_language(
        self, text: str, *, default: Language = common_pb2.LANGUAGE_UNSPECIFIED, timeout: float = 1.0
    ) -> llm_pb2.DetectLanguageResponse:
        return await self.stub.DetectLanguage(
            llm_pb2.DetectLanguageRequest(text=text, default_language=default), timeout=timeout
        )

    async def translate(
        self,
        *,
        target: Language,
        texts: Sequence[str] = (),
        recipes: Sequence[common_pb2.Recipe] = (),
        source: Language = common_pb2.LANGUAGE_UNSPECIFIED,
        timeout: float = 20.0,
    ) -> llm_pb2.TranslateResponse:
        """All texts and recipes in one call (one backend call on the server, cached per item)."""
        return await self.stub.Translate(
            llm_pb2.TranslateRequest(
                target_language=target, source_language=source, texts=list(texts), recipes=list(recipes)
            ),
            timeout=timeout,
        )

    async def answer_question(
        self,
        recipe_id: int,
        question: str,
        *,
        language: Language = common_pb2.LANGUAGE_UNSPECIFIED,
        timeout: float = 20.0,
    ) -> llm_pb2.AnswerQuestionResponse:
        return await self.stub.AnswerQuestion(
            llm_pb2.AnswerQuestionRequest(recipe_id=recipe_id, question=question, language=language), timeout=timeout
        )

    async def analyze_meal(
        self,
        *,
        text: str = "",
        items: Sequence[llm_pb2.MealItem] = (),
        recipes: Sequence[llm_pb2.RecipePortion] = (),
        language: Language = common_pb2.LANGUAGE_UNSPECIFIED,
        timeout: float = 20.0,
    ) -> llm_pb2.AnalyzeMealResponse:
        return await self.stub.AnalyzeMeal(
            llm_pb2.AnalyzeMealRequest(text=text, items=list(items), recipes=list(recipes), language=language),
            timeout=timeout,
        )

    async def chat(
        self,
        message: str,
        *,
        conversation_id: str = "",
        language: Language = common_pb2.LANGUAGE_UNSPECIFIED,
        timeout: float = 60.0,
    ) -> AsyncIterator[llm_pb2.ChatResponse]:
        """Stream one turn's chunks; the last has ``done`` set after the turn is stored."""
        call = self.stub.Chat(
            llm_pb2.ChatRequest(conversation_id=conversation_id, message=message, language=language), timeout=timeout
        )
        async for chunk in call:
            yield chunk

    async def chat_text(
        self,
        message: str,
        *,
        conversation_id: str = "",
        language: Language = common_pb2.LANGUAGE_UNSPECIFIED,
        timeout: float = 60.0,
    ) -> ChatTurn:
        """One turn, collected (for callers that do not stream)."""
        parts: list[str] = []
        last: llm_pb2.ChatResponse | None = None
        async for chunk in self.chat(message, conversation_id=conversation_id, language=language, timeout=timeout):
            parts.append(chunk.delta)
            last = chunk
        if last is None or not last.done:
            raise RuntimeError("chat stream ended without its final chunk")
        return ChatTurn(last.conversation_id, "".join(parts), last)

    async def get_conversation(self, conversation_id: str, *, timeout: float = 5.0) -> llm_pb2.GetConversationResponse:
        return await self.stub.GetConversation(
            llm_pb2.GetConversationRequest(conversation_id=conversation_id), timeout=timeout
        )

    async def delete_conversation(self, conversation_id: str, *, timeout: float = 5.0) -> bool:
        response = await self.stub.DeleteConversation(
            llm_pb2.DeleteConversationRequest(conversation_id=conversation_id), timeout=timeout
        )
        return response.deleted
