"""API keys and rate limits: the guard in front of every API route (not health, metrics or docs).

API keys (``GATEWAY_API_KEYS``, comma-separated) are optional. A key arrives as ``X-API-Key``
or ``Authorization: Bearer``; it is compared in constant time against *every* configured key,
so timing reveals neither which key nor how much of it matched. Logs and metrics only ever
see a short SHA-256 fingerprint of a key.

Rate limits use GCRA (a token bucket stored as one timestamp): ``rate_limit_per_minute``
sustained with bursts of ``rate_limit_burst``. The bucket is per verified key, else per
client IP; an unverified key never picks the bucket, or a client could dodge the limit by
inventing keys. With ``REDIS_URL`` the buckets live in Redis (one Lua script, Redis's clock,
so every gateway replica shares them); otherwise in process memory. If Redis fails, the
check falls back to the in-process limiter rather than failing the request: a broken cache
must not take the API down.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time
from collections.abc import Callable
from typing import Protocol

from fastapi import Request

from gateway.config import GatewaySettings
from gateway.errors import ApiError
from gateway.metrics import AUTH_FAILURES, RATE_LIMIT_BACKEND_ERRORS, RATE_LIMITED

log = logging.getLogger(__name__)

# How the OpenAPI document describes the two ways to present a key (either one will do). The
# guard reads the headers itself: FastAPI's security dependencies cost ~70 us a request here.
SECURITY_SCHEMES = {
    "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "A GATEWAY_API_KEYS key."},
    "BearerAuth": {"type": "http", "scheme": "bearer", "description": "The same key, as a bearer token."},
}
SECURITY_REQUIREMENT: list[dict[str, list[str]]] = [{"ApiKeyHeader": []}, {"BearerAuth": []}]


def fingerprint(key: str | bytes) -> str:
    """A short, stable, non-reversible name for a key, safe for logs and rate-limit buckets."""
    raw = key.encode() if isinstance(key, str) else key
    return hashlib.sha256(raw).hexdigest()[:16]


class ApiKeyAuth:
    """Checks a presented key against the configured ones; no keys means the API is open."""

    def __init__(self, keys: tuple[bytes, ...]) -> None:
        self.keys = keys

    @property
    def enabled(self) -> bool:
        return bool(self.keys)

    def verify(self, presented: str | None) -> str | None:
        """The key's fingerprint when auth is on and the key is right; raises 401 otherwise."""
        if not self.keys:
            return None
        if not presented:
            AUTH_FAILURES.labels("missing").inc()
            raise ApiError(401, "unauthenticated", "an API key is required", headers={"WWW-Authenticate": "Bearer"})
        candidate = presented.encode()
        matched = False
        for key in self.keys:  # no early exit: every key costs the same time
            matched |= hmac.compare_digest(candidate, key)
        if not matched:
            AUTH_FAILURES.labels("invalid").inc()
            raise ApiError(401, "unauthenticated", "the API key is not valid", headers={"WWW-Authenticate": "Bearer"})
        return fingerprint(candidate)


class RateLimiter(Protocol):
    async def acquire(self, identity: str) -> float:
        """0 when the request may go ahead, else the seconds until it may."""
        ...

    async def close(self) -> None: ...


class MemoryRateLimiter:
    """GCRA buckets in a dict; stale buckets are pruned when the dict grows past ``max_keys``."""

    def __init__(
        self, per_minute: int, burst: int, *, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = 60.0 / per_minute
        self.tolerance = burst * self.interval
        self.max_keys = max_keys
        self.clock = clock
        self._tat: dict[str, float] = {}

    def check(self, identity: str) -> float:
        now = self.clock()
        tat = max(self._tat.get(identity, now), now)
        new_tat = tat + self.interval
        allow_at = new_tat - self.tolerance
        if now < allow_at:
            return allow_at - now
        self._tat[identity] = new_tat
        if len(self._tat) > self.max_keys:
            self._prune(now)
        return 0.0

    def _prune(self, now: float) -> None:
        self._tat = {k: t for k, t in self._tat.items() if t > now}
        while len(self._tat) > self.max_keys:  # all active: drop the oldest buckets
            self._tat.pop(next(iter(self._tat)))

    async def acquire(self, identity: str) -> float:
        return self.check(identity)

    async def close(self) -> None:
        return None


# GCRA in Redis, on Redis's clock (microseconds), so replicas with skewed clocks agree.
_GCRA_LUA = """
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - tolerance
if now < allow_at then
  return allow_at - now
end
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
return 0
"""


class RedisRateLimiter:
    """GCRA buckets shared through Redis; falls back to a local limiter when Redis fails."""

    def __init__(self, url: str, per_minute: int, burst: int, prefix: str, *, timeout: float = 0.25) -> None:
        import redis.asyncio as redis

        self.client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self.script = self.client.register_script(_GCRA_LUA)
        self.interval_us = int(60_000_000 / per_minute)
        self.tolerance_us = burst * self.interval_us
        self.prefix = prefix
        self.fallback = MemoryRateLimiter(per_minute, burst)
        self._last_warning = 0.0

    async def acquire(self, identity: str) -> float:
        from redis.exceptions import RedisError

        try:
            wait_us = await self.script(keys=[self.prefix + identity], args=[self.interval_us, self.tolerance_us])
        except (RedisError, OSError) as exc:
            RATE_LIMIT_BACKEND_ERRORS.inc()
            now = time.monotonic()
            if now - self._last_warning > 30:
                self._last_warning = now
                log.warning(
                    "redis rate limiter failed; using the in-process limiter", extra={"error": type(exc).__name__}
                )
            return self.fallback.check(identity)
        return max(0.0, float(wait_us) / 1e6)

    async def close(self) -> None:
        await self.client.aclose()


def create_rate_limiter(settings: GatewaySettings) -> RateLimiter | None:
    """Redis-backed when ``REDIS_URL`` is set, in-memory otherwise, None when disabled."""
    if settings.rate_limit_per_minute == 0:
        return None
    url = settings.redis_url.get_secret_value()
    if url:
        return RedisRateLimiter(
            url, settings.rate_limit_per_minute, settings.rate_limit_burst, settings.rate_limit_prefix
        )
    return MemoryRateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)


def presented_key(request: Request) -> str | None:
    """The key from ``X-API-Key``, else from ``Authorization: Bearer``; None when neither is there."""
    key = request.headers.get("x-api-key")
    if key:
        return key
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class Guard:
    """The dependency every API route declares: authenticate, then spend one unit of the rate.

    A failed authentication spends from the client IP's bucket before it is answered, so
    guessing keys is rate limited too.
    """

    def __init__(self, auth: ApiKeyAuth, limiter: RateLimiter | None) -> None:
        self.auth = auth
        self.limiter = limiter

    async def __call__(self, request: Request) -> None:
        ip_identity = f"ip:{client_ip(request)}"
        try:
            key_id = self.auth.verify(presented_key(request))
        except ApiError:
            request.state.client_id = ip_identity
            await self._spend(ip_identity)
            raise
        identity = f"key:{key_id}" if key_id else ip_identity
        request.state.client_id = identity
        await self._spend(identity)

    async def _spend(self, identity: str) -> None:
        if self.limiter is None:
            return
        wait = await self.limiter.acquire(identity)
        if wait > 0:
            RATE_LIMITED.inc()
            raise ApiError(
                429,
                "rate_limited",
                "too many requests; slow down",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
