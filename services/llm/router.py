"""Retry, fallback and cooldown (three separate steps), deadlines and the response cache.

Shaped after LiteLLM's router:
1. **Retry**: one loop per backend, for transient failures (timeout, connection, 429, 5xx),
   with jittered backoff, within the call's deadline. Invalid output is retried once.
2. **Fallback**: when a backend gives up, the next one in the chain answers (``openai`` ->
   ``local``), and the response is marked degraded.
3. **Cooldown**: a backend that failed ``cooldown_failures`` calls in a row is skipped for
   ``cooldown_seconds``, so that a dead provider costs nothing while it is down.

Each batch item is cached under (backend, model, prompt fingerprint, operation, normalised
request); identical items in one batch are sent once.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from services.common.errors import Unavailable
from services.common.telemetry import DEGRADED_RESPONSES
from services.llm.backends.base import BackendError, InvalidOutput, LlmBackend
from services.llm.cache import ResponseCache, cache_key
from services.llm.metrics import (
    CACHE_REQUESTS,
    COOLDOWNS,
    COOLING_DOWN,
    FALLBACKS,
    LLM_LATENCY,
    LLM_REQUESTS,
)
from services.llm.text import stable_hash

log = logging.getLogger(__name__)

T = TypeVar("T")
MIN_ATTEMPT_SECONDS = 0.01


class BackendFailed(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class BatchOperation(Generic[T]):
    """A batch of independent items answered by ONE backend call.

    ``requests[i]`` is the normalised, JSON-able request of item i (its cache identity);
    ``call(backend, indices, timeout)`` returns the answers for those items, in order.
    """

    name: str
    requests: Sequence[Any]
    call: Callable[[LlmBackend, list[int], float], Awaitable[list[T]]]
    encode: Callable[[T], str] = json.dumps
    decode: Callable[[str], T] = json.loads
    cacheable: bool = True


@dataclass
class Routed(Generic[T]):
    values: list[T]
    backend: str
    model: str
    degraded: bool
    cached_count: int
    fallback_reasons: list[str] = field(default_factory=list)


@dataclass
class StreamPiece:
    text: str
    backend: str
    model: str
    degraded: bool


@dataclass
class _Health:
    failures: int = 0
    cooling_until: float = 0.0


async def _call_batch(op: BatchOperation[T], backend: LlmBackend, indices: list[int], timeout: float) -> list[T]:
    return await op.call(backend, indices, timeout)


async def _first_chunk(
    make: Callable[[LlmBackend, float], AsyncIterator[str]],
    backend: LlmBackend,
    holder: dict[str, AsyncIterator[str]],
    timeout: float,
) -> str:
    """Open a stream and wait for its first chunk (what the retry loop retries)."""
    iterator = aiter(make(backend, timeout))
    holder["it"] = iterator
    try:
        return await anext(iterator)
    except StopAsyncIteration:
        raise InvalidOutput("empty reply") from None


class Router:
    def __init__(
        self,
        backends: Sequence[LlmBackend],
        cache: ResponseCache | None,
        prompts_fingerprint: str,
        *,
        max_attempts: int = 2,
        attempt_timeout: float = 8.0,
        fallback_reserve: float = 0.5,
        cooldown_failures: int = 2,
        cooldown_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not backends:
            raise ValueError("at least one backend is required")
        self.backends = list(backends)
        self.cache = cache
        self.prompts = prompts_fingerprint
        self.max_attempts = max_attempts
        self.attempt_timeout = attempt_timeout
        self.fallback_reserve = fallback_reserve
        self.cooldown_failures = cooldown_failures
        self.cooldown_seconds = cooldown_seconds
        self.clock = clock
        self._health = {b.name: _Health() for b in self.backends}

    @property
    def primary(self) -> LlmBackend:
        return self.backends[0]

    # -- cooldown -------------------------------------------------------------------------
    def cooling(self, backend: LlmBackend) -> bool:
        health = self._health[backend.name]
        if health.cooling_until and self.clock() >= health.cooling_until:
            health.cooling_until = 0.0
            COOLING_DOWN.labels(backend.name).set(0)
            log.info("backend %s leaves cooldown", backend.name)
        return health.cooling_until > 0

    def _failed(self, backend: LlmBackend) -> None:
        health = self._health[backend.name]
        health.failures += 1
        if health.failures >= self.cooldown_failures and self.cooldown_seconds > 0 and not health.cooling_until:
            health.cooling_until = self.clock() + self.cooldown_seconds
            COOLDOWNS.labels(backend.name).inc()
            COOLING_DOWN.labels(backend.name).set(1)
            log.warning(
                "backend %s failed %d calls in a row: cooling down for %.0fs",
                backend.name,
                health.failures,
                self.cooldown_seconds,
            )

    def _succeeded(self, backend: LlmBackend) -> None:
        self._health[backend.name].failures = 0

    def _fell_back(self, backend: LlmBackend, index: int, operation: str, reason: str) -> None:
        successor = self.backends[index + 1].name if index + 1 < len(self.backends) else "none"
        FALLBACKS.labels(backend.name, successor, operation, reason).inc()
        DEGRADED_RESPONSES.labels("llm", f"{backend.name}_{reason}").inc()

    # -- the one retry loop ---------------------------------------------------------------
    async def _attempts(
        self,
        backend: LlmBackend,
        operation: str,
        run: Callable[[float], Awaitable[T]],
        deadline: float,
        reserve: float,
    ) -> T:
        attempt = 0
        invalid_retried = False
        while True:
            remaining = deadline - reserve - self.clock()
            if remaining < MIN_ATTEMPT_SECONDS:
                raise BackendFailed("deadline", f"{backend.name}: no time left for another attempt")
            timeout = min(self.attempt_timeout, remaining)
            attempt += 1
            started = time.perf_counter()
            try:
                async with asyncio.timeout(timeout):
                    value = await run(timeout)
            except TimeoutError:
                reason, retryable, message = "timeout", True, f"no answer within {timeout:.2f}s"
            except InvalidOutput as exc:
                LLM_REQUESTS.labels(backend.name, backend.model, operation, exc.reason).inc()
                LLM_LATENCY.labels(backend.name, operation).observe(time.perf_counter() - started)
                if invalid_retried:
                    raise BackendFailed(exc.reason, str(exc)) from exc
                invalid_retried = True
                attempt -= 1  # an invalid answer gets its own single retry
                log.warning("%s returned invalid output for %s; retrying once: %s", backend.name, operation, exc)
                continue
            except BackendError as exc:
                reason, retryable, message = exc.reason, exc.retryable, str(exc)
            else:
                LLM_REQUESTS.labels(backend.name, backend.model, operation, "success").inc()
                LLM_LATENCY.labels(backend.name, operation).observe(time.perf_counter() - started)
                return value
            LLM_REQUESTS.labels(backend.name, backend.model, operation, reason).inc()
            LLM_LATENCY.labels(backend.name, operation).observe(time.perf_counter() - started)
            if not retryable or attempt >= self.max_attempts:
                raise BackendFailed(reason, f"{backend.name}: {message}")
            backoff = min(1.0, 0.1 * 2 ** (attempt - 1)) * (0.5 + random.random())
            backoff = min(backoff, max(0.0, deadline - reserve - self.clock() - MIN_ATTEMPT_SECONDS))
            log.warning("%s %s failed (%s); retry %d in %.2fs", backend.name, operation, reason, attempt, backoff)
            await asyncio.sleep(backoff)

    # -- batch calls ------------------------------------------------------------------------
    async def run(self, op: BatchOperation[T], *, deadline: float) -> Routed[T]:
        """Answer every item: cache first, then one call per backend in the chain."""
        n = len(op.requests)
        values: list[Any] = [None] * n
        filled = [False] * n
        cached = 0
        degraded = False
        reasons: list[str] = []
        identities = [stable_hash(r) for r in op.requests]
        for index, backend in enumerate(self.backends):
            last = index == len(self.backends) - 1
            if not last and self.cooling(backend):
                self._fell_back(backend, index, op.name, "cooldown")
                degraded = True
                reasons.append(f"{backend.name}: cooldown")
                continue
            pending = [i for i in range(n) if not filled[i]]
            keys: dict[int, str] = {}
            if op.cacheable and self.cache is not None and pending:
                keys = {
                    i: cache_key(backend.name, backend.model, self.prompts, op.name, op.requests[i]) for i in pending
                }
                hits = await self.cache.get_many([keys[i] for i in pending])
                for i, hit in zip(pending, hits, strict=True):
                    if hit is not None:
                        values[i] = op.decode(hit)
                        filled[i] = True
                        cached += 1
                CACHE_REQUESTS.labels(op.name, "hit").inc(sum(h is not None for h in hits))
                CACHE_REQUESTS.labels(op.name, "miss").inc(sum(h is None for h in hits))
                pending = [i for i in pending if not filled[i]]
            if not pending:
                return Routed(values, backend.name, backend.model, degraded, cached, reasons)
            # Identical items are sent once.
            unique: dict[str, list[int]] = {}
            for i in pending:
                unique.setdefault(identities[i], []).append(i)
            representatives = [group[0] for group in unique.values()]
            try:
                answers = await self._attempts(
                    backend,
                    op.name,
                    functools.partial(_call_batch, op, backend, representatives),
                    deadline,
                    0.0 if last else self.fallback_reserve,
                )
            except BackendFailed as failure:
                if last:
                    raise Unavailable(f"no LLM backend could answer {op.name}: {failure}") from failure
                self._failed(backend)
                self._fell_back(backend, index, op.name, failure.reason)
                degraded = True
                reasons.append(f"{backend.name}: {failure.reason}")
                log.warning("falling back from %s for %s: %s", backend.name, op.name, failure)
                continue
            self._succeeded(backend)
            fresh: dict[str, str] = {}
            for rep, answer in zip(representatives, answers, strict=True):
                for i in unique[identities[rep]]:
                    values[i] = answer
                    filled[i] = True
                    if i in keys:
                        fresh[keys[i]] = op.encode(answer)
            if fresh and self.cache is not None:
                await self.cache.set_many(fresh)
            return Routed(values, backend.name, backend.model, degraded, cached, reasons)
        raise Unavailable(f"no LLM backend is available for {op.name}")  # every backend cooling: unreachable

    # -- streaming ----------------------------------------------------------------------------
    async def stream(
        self,
        operation: str,
        make: Callable[[LlmBackend, float], AsyncIterator[str]],
        *,
        deadline: float,
    ) -> AsyncIterator[StreamPiece]:
        """Stream from the first backend that produces a first chunk.

        Retries and fallbacks happen only before the first chunk. A stream that breaks
        later is finished by the last backend (local) after a blank line, marked degraded,
        so that what the user saw is exactly what gets stored.
        """
        degraded = False
        for index, backend in enumerate(self.backends):
            last = index == len(self.backends) - 1
            if not last and self.cooling(backend):
                self._fell_back(backend, index, operation, "cooldown")
                degraded = True
                continue
            reserve = 0.0 if last else self.fallback_reserve
            holder: dict[str, AsyncIterator[str]] = {}
            try:
                first = await self._attempts(
                    backend, operation, functools.partial(_first_chunk, make, backend, holder), deadline, reserve
                )
            except BackendFailed as failure:
                if last:
                    raise Unavailable(f"no LLM backend could answer {operation}: {failure}") from failure
                self._failed(backend)
                self._fell_back(backend, index, operation, failure.reason)
                degraded = True
                continue
            yield StreamPiece(first, backend.name, backend.model, degraded)
            iterator = holder["it"]
            while True:
                remaining = deadline - self.clock()
                try:
                    async with asyncio.timeout(max(remaining, MIN_ATTEMPT_SECONDS)):
                        chunk = await anext(iterator)
                except StopAsyncIteration:
                    self._succeeded(backend)
                    return
                except (TimeoutError, BackendError) as exc:
                    if last:
                        raise Unavailable(f"the reply stream of {operation} broke: {exc}") from exc
                    reason = exc.reason if isinstance(exc, BackendError) else "timeout"
                    self._failed(backend)
                    self._fell_back(backend, index, operation, f"{reason}_mid_stream")
                    log.warning(
                        "stream from %s broke (%s); finishing with %s", backend.name, reason, self.backends[-1].name
                    )
                    async for piece in self._finish_with_last(operation, make, deadline):
                        yield piece
                    return
                yield StreamPiece(chunk, backend.name, backend.model, degraded)

    async def _finish_with_last(
        self, operation: str, make: Callable[[LlmBackend, float], AsyncIterator[str]], deadline: float
    ) -> AsyncIterator[StreamPiece]:
        fallback = self.backends[-1]
        yield StreamPiece("\n\n", fallback.name, fallback.model, True)
        async for chunk in make(fallback, max(deadline - self.clock(), MIN_ATTEMPT_SECONDS)):
            yield StreamPiece(chunk, fallback.name, fallback.model, True)
