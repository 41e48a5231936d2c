"""``POST /v1/chat`` (plain JSON, or SSE with ``Accept: text/event-stream``) and
``GET /v1/conversations/{id}``.

The first chunk of the llm's stream is awaited *before* the response starts, so a bad
request, an unknown conversation or an llm that is down still gets its proper HTTP status
(422, 404, 503) rather than a 200 stream carrying an error. After that, an upstream failure
can only be reported in-band, as an ``error`` event holding a problem document.

SSE events::

    event: delta   data: {"conversation_id": "...", "delta": "next piece of the reply"}
    event: done    data: {"conversation_id", "reply", "recipes", "message_id", "lang", "degraded"}
    event: error   data: {problem document}

A client that disconnects cancels the upstream call.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import grpc
from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response, StreamingResponse

from gateway import convert, schemas
from gateway.clients import ChatStream, UpstreamError
from gateway.context import GatewayContext, get_context, json_response
from gateway.errors import GRPC_TO_HTTP, request_id_of
from gateway.routes import UPSTREAM_PROBLEMS, problems
from recipes.common.v1 import common_pb2
from recipes.llm.v1 import llm_pb2

log = logging.getLogger(__name__)
router = APIRouter(tags=["chat"])

SSE_MEDIA_TYPE = "text/event-stream"
_CHAT_200: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The reply as JSON, or as server-sent events when `Accept: text/event-stream`.",
        "content": {SSE_MEDIA_TYPE: {"schema": {"type": "string", "description": "delta, done and error events."}}},
    }
}


def wants_stream(request: Request) -> bool:
    return SSE_MEDIA_TYPE in request.headers.get("accept", "")


def sse(event: str, data: object) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


async def _grounding(ctx: GatewayContext, final: llm_pb2.ChatResponse | None) -> tuple[list[schemas.Recipe], bool]:
    """The recipes the reply is grounded in, in the reply's language when it can be had."""
    if final is None or not final.recipes:
        return [], False
    recipes: list[common_pb2.Recipe] = list(final.recipes)
    lang = convert.lang_from_proto(final.language)
    if lang is None:
        return convert.recipes(recipes), False
    # The llm does not say which bundle its recipes came from; "chat" keeps these cache entries
    # apart from the versioned ones of the recommendation routes.
    localized = await ctx.localizer().localize(recipes, lang, "chat")
    return convert.recipes(localized.recipes), localized.degraded_reason is not None


class Turn:
    """One chat turn read from the llm's stream: the pieces so far and the final chunk."""

    def __init__(self, first: llm_pb2.ChatResponse) -> None:
        self.conversation_id = first.conversation_id
        self.parts: list[str] = []
        self.final: llm_pb2.ChatResponse | None = None
        self.add(first)

    def add(self, chunk: llm_pb2.ChatResponse) -> None:
        self.conversation_id = self.conversation_id or chunk.conversation_id
        if chunk.delta:
            self.parts.append(chunk.delta)
        if chunk.done:
            self.final = chunk

    @property
    def reply(self) -> str:
        return "".join(self.parts)


async def _events(
    ctx: GatewayContext,
    turn: Turn,
    first: llm_pb2.ChatResponse,
    stream: ChatStream,
    rid: str,
) -> AsyncIterator[bytes]:
    try:
        if first.delta:
            yield sse("delta", {"conversation_id": turn.conversation_id, "delta": first.delta})
        if turn.final is None:
            async for chunk in stream:
                turn.add(chunk)
                if chunk.delta:
                    yield sse("delta", {"conversation_id": turn.conversation_id, "delta": chunk.delta})
        recipes, degraded = await _grounding(ctx, turn.final)
        final = turn.final or llm_pb2.ChatResponse()
        yield sse(
            "done",
            {
                "conversation_id": turn.conversation_id,
                "reply": turn.reply,
                "recipes": [r.model_dump() for r in recipes],
                "message_id": final.message_id,
                "lang": convert.lang_from_proto(final.language),
                "degraded": final.degraded or degraded,
            },
        )
    except UpstreamError as exc:
        status, code, _ = GRPC_TO_HTTP.get(exc.code, (502, "upstream_error", False))
        log.warning("chat stream failed mid-way", extra={"peer_code": exc.code.name})
        yield sse(
            "error",
            {
                "type": "about:blank",
                "title": "Upstream failure",
                "status": status,
                "code": code,
                "detail": f"the {exc.peer} service failed while streaming",
                "request_id": rid,
            },
        )
    finally:
        stream.cancel()


@router.post(
    "/v1/chat",
    response_model=schemas.ChatResponse,
    responses={**_CHAT_200, **problems(404), **UPSTREAM_PROBLEMS},
    summary="One turn of the recipe assistant; streams with Accept: text/event-stream",
)
async def chat(body: schemas.ChatRequest, request: Request, ctx: GatewayContext = Depends(get_context)) -> Response:
    """Omit `conversation_id` to start a conversation; its id comes back with the reply and
    the history is then at `GET /v1/conversations/{id}`."""
    upstream = llm_pb2.ChatRequest(
        conversation_id=body.conversation_id or "", message=body.message, language=convert.lang_to_proto(body.lang)
    )
    stream = ctx.services.llm.chat(upstream, timeout=ctx.settings.chat_timeout_seconds)
    try:
        first = await anext(stream)
    except StopAsyncIteration:
        raise UpstreamError("llm", "Chat", grpc.StatusCode.INTERNAL, "the chat stream ended without a reply") from None
    except BaseException:
        stream.cancel()
        raise
    turn = Turn(first)
    if wants_stream(request):
        rid = request_id_of(request.scope) or ""
        return StreamingResponse(
            _events(ctx, turn, first, stream, rid),
            media_type=SSE_MEDIA_TYPE,
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    try:
        if turn.final is None:
            async for chunk in stream:
                turn.add(chunk)
    finally:
        stream.cancel()
    recipes, _ = await _grounding(ctx, turn.final)
    return json_response(schemas.ChatResponse(conversation_id=turn.conversation_id, reply=turn.reply, recipes=recipes))


@router.get(
    "/v1/conversations/{conversation_id}",
    response_model=schemas.ConversationResponse,
    responses={**problems(404), **UPSTREAM_PROBLEMS},
    summary="A conversation's messages, in order",
)
async def get_conversation(
    conversation_id: str = Path(pattern=r"^[A-Za-z0-9_-]{1,64}$"),
    ctx: GatewayContext = Depends(get_context),
) -> Response:
    response = await ctx.services.llm.get_conversation(conversation_id, timeout=ctx.settings.llm_timeout_seconds)
    return json_response(convert.conversation(response))
