"""The response cache: keyed by (backend, model, prompt version, normalised request).

In process memory by default (an LRU with a TTL); in Redis when ``REDIS_URL`` is set, so that
every replica shares it. A cache failure is a miss, never a failed request.
"""

from __future__ import annotations

import abc
import logging
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from services.llm.metrics import CACHE_ERRORS
from services.llm.text import stable_hash

log = logging.getLogger(__name__)

KEY_PREFIX = "llm:resp:v1:"


def cache_key(backend: str, model: str, prompts: str, operation: str, request: Any) -> str:
    """One key per (backend, model, prompt fingerprint, operation, normalised request)."""
    return KEY_PREFIX + stable_hash(
        {"backend": backend, "model": model, "prompts": prompts, "op": operation, "request": request}
    )


class ResponseCache(abc.ABC):
    name: str

    @abc.abstractmethod
    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        """Values for ``keys`` in order; None for a miss."""

    @abc.abstractmethod
    async def set_many(self, items: Mapping[str, str]) -> None:
        """Store values (JSON strings) with the cache's TTL."""

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Connect; failures are logged, not raised (the cache is optional)."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Disconnect."""


class MemoryCache(ResponseCache):
    """A bounded LRU with expiry. Used from the event loop only (no locking needed)."""

    name = "memory"

    def __init__(self, capacity: int, ttl_seconds: float) -> None:
        self.capacity = capacity
        self.ttl = ttl_seconds
        self._items: OrderedDict[str, tuple[float, str]] = OrderedDict()

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        now = time.monotonic()
        out: list[str | None] = []
        for key in keys:
            entry = self._items.get(key)
            if entry is None or entry[0] < now:
                if entry is not None:
                    del self._items[key]
                out.append(None)
            else:
                self._items.move_to_end(key)
                out.append(entry[1])
        return out

    async def set_many(self, items: Mapping[str, str]) -> None:
        if not self.capacity:
            return
        expires = time.monotonic() + self.ttl
        for key, value in items.items():
            self._items[key] = (expires, value)
            self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class RedisCache(ResponseCache):
    """Redis (``redis.asyncio``): MGET for lookups, one pipelined SET EX per batch."""

    name = "redis"

    def __init__(self, url: str, ttl_seconds: int, timeout_seconds: float = 0.25) -> None:
        import redis.asyncio as redis

        self.url = url
        self.ttl = int(ttl_seconds)
        self._redis = redis.from_url(
            url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds, decode_responses=True
        )

    async def start(self) -> None:
        try:
            await self._redis.ping()
            log.info("response cache in redis", extra={"redis": _redact(self.url)})
        except Exception as exc:  # the cache is optional: serve without it
            CACHE_ERRORS.labels("connect").inc()
            log.warning("redis cache unreachable at start (%s); lookups will miss until it is back", exc)

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        if not keys:
            return []
        try:
            values = await self._redis.mget(list(keys))
            return [v if isinstance(v, str) else None for v in values]
        except Exception as exc:
            CACHE_ERRORS.labels("get").inc()
            log.warning("redis cache get failed: %s", exc)
            return [None] * len(keys)

    async def set_many(self, items: Mapping[str, str]) -> None:
        if not items:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key, value in items.items():
                    pipe.set(key, value, ex=self.ttl)
                await pipe.execute()
        except Exception as exc:
            CACHE_ERRORS.labels("set").inc()
            log.warning("redis cache set failed: %s", exc)

    async def close(self) -> None:
        await self._redis.aclose()


def _redact(url: str) -> str:
    """redis://user:secret@host -> redis://user:***@host (never log a password)."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


def create_cache(redis_url: str, capacity: int, ttl_seconds: int) -> ResponseCache:
    if redis_url:
        return RedisCache(redis_url, ttl_seconds)
    return MemoryCache(capacity, ttl_seconds)
