"""Retry, fallback and cooldown as separate steps; the response cache in memory and in real Redis."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Sequence

import pytest

from recipes.common.v1 import common_pb2
from services.common.errors import Unavailable
from services.llm.backends.base import (
    BackendError,
    ChatPrompt,
    InvalidOutput,
    LlmBackend,
    MealItemGuess,
    TranslationItem,
)
from services.llm.cache import MemoryCache, RedisCache, cache_key
from services.llm.languages import Lang
from services.llm.pricing import PriceTable, Usage
from services.llm.router import BatchOperation, Router


class Scripted(LlmBackend):
    """A backend that fails as scripted, then echoes; records the batch sizes it was sent."""

    def __init__(self, name: str, script: Sequence[BaseException | None] = ()) -> None:
        self.name = name
        self.model = f"{name}-model"
        self.script = list(script)
        self.calls: list[int] = []

    async def _step(self) -> None:
        if self.script:
            failure = self.script.pop(0)
            if failure is not None:
                raise failure

    async def translate(self, items: Sequence[TranslationItem], target: Lang, *, timeout: float) -> list[str]:
        self.calls.append(len(items))
        await self._step()
        return [f"{self.name}:{item.text}" for item in items]

    async def answer_question(self, recipe: common_pb2.Recipe, question: str, lang: Lang, *, timeout: float) -> str:
        raise NotImplementedError

    async def parse_meal(self, text: str, lang: Lang, *, timeout: float) -> list[MealItemGuess]:
        raise NotImplementedError

    async def chat(self, prompt: ChatPrompt, *, timeout: float) -> AsyncIterator[str]:
        self.calls.append(1)
        await self._step()
        for word in ("hello", " from ", self.name):
            yield word
            if self.script and self.script[0] is not None and word == " from ":
                raise self.script.pop(0)  # type: ignore[misc]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def op(texts: Sequence[str]) -> BatchOperation[str]:
    async def call(backend: LlmBackend, indices: list[int], timeout: float) -> list[str]:
        return await backend.translate([TranslationItem(texts[i], "en") for i in indices], "es", timeout=timeout)

    return BatchOperation("translate", [{"text": t} for t in texts], call, encode=lambda s: s, decode=lambda s: s)


def router(*backends: LlmBackend, cache: MemoryCache | None = None, clock: Clock | None = None, **kw: float) -> Router:
    return Router(list(backends), cache, "v1:test", clock=clock or time.monotonic, **kw)  # type: ignore[arg-type]


def far() -> float:
    return time.monotonic() + 30


async def test_transient_errors_are_retried_within_the_attempt_budget() -> None:
    primary = Scripted("primary", [BackendError("server_error", "boom")])
    routed = await router(primary, Scripted("local"), max_attempts=2).run(op(["a"]), deadline=far())
    assert (routed.values, routed.backend, routed.degraded) == (["primary:a"], "primary", False)
    assert primary.calls == [1, 1]


async def test_exhausted_retries_fall_back_and_mark_degraded() -> None:
    primary = Scripted("primary", [BackendError("server_error", "boom")] * 2)
    routed = await router(primary, Scripted("local"), max_attempts=2).run(op(["a", "b"]), deadline=far())
    assert (routed.values, routed.backend, routed.degraded) == (["local:a", "local:b"], "local", True)
    assert routed.fallback_reasons == ["primary: server_error"]


async def test_non_retryable_errors_fall_back_at_once() -> None:
    primary = Scripted("primary", [BackendError("rejected", "HTTP 401", retryable=False)])
    routed = await router(primary, Scripted("local"), max_attempts=5).run(op(["a"]), deadline=far())
    assert routed.backend == "local" and primary.calls == [1]


async def test_invalid_output_gets_exactly_one_retry() -> None:
    primary = Scripted("primary", [InvalidOutput("bad"), InvalidOutput("bad again")])
    routed = await router(primary, Scripted("local"), max_attempts=1).run(op(["a"]), deadline=far())
    assert routed.backend == "local" and primary.calls == [1, 1]


async def test_cooldown_after_consecutive_failures_then_recovery() -> None:
    clock = Clock()
    primary = Scripted("primary", [BackendError("timeout", "slow")] * 4)
    chain = router(primary, Scripted("local"), clock=clock, max_attempts=2, cooldown_failures=2, cooldown_seconds=30)
    for _ in range(2):
        assert (await chain.run(op(["a"]), deadline=clock.now + 10)).backend == "local"
    assert chain.cooling(primary)
    calls = len(primary.calls)
    cooled = await chain.run(op(["b"]), deadline=clock.now + 10)
    assert (cooled.backend, cooled.degraded, cooled.fallback_reasons) == ("local", True, ["primary: cooldown"])
    assert len(primary.calls) == calls  # not even tried
    clock.now += 31  # cooldown over: the primary is tried again (and now succeeds)
    assert (await chain.run(op(["c"]), deadline=clock.now + 10)).backend == "primary"
    assert not chain.cooling(primary)


async def test_no_time_left_skips_to_the_fallback() -> None:
    primary = Scripted("primary")
    routed = await router(primary, Scripted("local"), fallback_reserve=0.5).run(
        op(["a"]), deadline=time.monotonic() + 0.2
    )
    assert routed.backend == "local" and primary.calls == []


async def test_last_backend_failing_is_unavailable() -> None:
    only = Scripted("local", [BackendError("error", "bug")])
    with pytest.raises(Unavailable, match="no LLM backend could answer translate"):
        await router(only, max_attempts=1).run(op(["a"]), deadline=far())


async def test_cache_serves_repeats_per_item_and_dedupes_a_batch() -> None:
    primary = Scripted("primary")
    chain = router(primary, Scripted("local"), cache=MemoryCache(100, 60))
    first = await chain.run(op(["a", "b", "a"]), deadline=far())
    assert first.values == ["primary:a", "primary:b", "primary:a"] and primary.calls == [2]  # "a" sent once
    second = await chain.run(op(["a", "c"]), deadline=far())
    assert (second.values, second.cached_count) == (["primary:a", "primary:c"], 1)
    assert primary.calls == [2, 1]  # only the miss was sent


async def test_fallback_answers_are_cached_under_the_fallback_not_the_primary() -> None:
    cache = MemoryCache(100, 60)
    primary = Scripted("primary", [BackendError("server_error", "x")] * 2)
    chain = router(primary, Scripted("local"), cache=cache, max_attempts=2)
    assert (await chain.run(op(["a"]), deadline=far())).backend == "local"
    recovered = await chain.run(op(["a"]), deadline=far())
    assert (recovered.values, recovered.cached_count) == (["primary:a"], 0)  # primary asked again once healthy


async def test_memory_cache_expires_and_evicts() -> None:
    cache = MemoryCache(capacity=2, ttl_seconds=60)
    await cache.set_many({"a": "1", "b": "2", "c": "3"})
    assert await cache.get_many(["a", "b", "c"]) == [None, "2", "3"]
    expired = MemoryCache(capacity=2, ttl_seconds=-1)
    await expired.set_many({"a": "1"})
    assert await expired.get_many(["a"]) == [None]


async def test_redis_cache_for_real_and_down_is_a_miss() -> None:
    cache = RedisCache("redis://127.0.0.1:6379/0", ttl_seconds=30)
    await cache.start()
    key = cache_key("openai", "m", "v1", "translate", {"text": uuid.uuid4().hex})
    assert await cache.get_many([key]) == [None]
    await cache.set_many({key: "hola"})
    assert await cache.get_many([key, key + "x"]) == ["hola", None]
    assert 0 < await cache._redis.ttl(key) <= 30
    await cache._redis.delete(key)
    await cache.close()
    down = RedisCache("redis://127.0.0.1:9/0", ttl_seconds=30)
    await down.start()  # logs, does not raise
    assert await down.get_many(["k"]) == [None]
    await down.set_many({"k": "v"})  # swallowed, counted
    await down.close()


def test_cache_key_changes_with_backend_model_prompts_and_request() -> None:
    base = cache_key("openai", "gpt-4o-mini", "v1:abc", "translate", {"text": "hola"})
    assert base == cache_key("openai", "gpt-4o-mini", "v1:abc", "translate", {"text": "hola"})
    variants = [
        cache_key("local", "gpt-4o-mini", "v1:abc", "translate", {"text": "hola"}),
        cache_key("openai", "gpt-4o", "v1:abc", "translate", {"text": "hola"}),
        cache_key("openai", "gpt-4o-mini", "v2:def", "translate", {"text": "hola"}),
        cache_key("openai", "gpt-4o-mini", "v1:abc", "translate", {"text": "Hola"}),
    ]
    assert base not in variants and len(set(variants)) == 4


async def test_stream_falls_back_before_the_first_chunk_and_finishes_locally_after() -> None:
    early = Scripted("primary", [BackendError("server_error", "x")] * 2)
    chain = router(early, Scripted("local"), max_attempts=2)
    pieces = [
        p
        async for p in chain.stream(
            "chat", lambda b, t: b.chat(ChatPrompt("hi", "en", "other"), timeout=t), deadline=far()
        )
    ]
    assert "".join(p.text for p in pieces) == "hello from local" and all(p.degraded for p in pieces)

    late = Scripted("primary", [None, BackendError("connection", "dropped")])
    chain = router(late, Scripted("local"))
    pieces = [
        p
        async for p in chain.stream(
            "chat", lambda b, t: b.chat(ChatPrompt("hi", "en", "other"), timeout=t), deadline=far()
        )
    ]
    assert "".join(p.text for p in pieces) == "hello from \n\nhello from local"
    assert pieces[-1].degraded and not pieces[0].degraded


def test_price_table_matches_dated_and_prefixed_model_names() -> None:
    prices = PriceTable()
    assert prices.version and "OpenAI" in prices.source
    usage = Usage(prompt_tokens=1000, completion_tokens=500, cached_tokens=200)
    assert prices.cost("gpt-4o-mini-2024-07-18", usage) == pytest.approx((800 * 0.15 + 200 * 0.075 + 500 * 0.60) / 1e6)
    assert prices.cost("llama3.1:8b", usage) == 0.0
    assert prices.cost("some-unknown-model", usage) == 0.0
