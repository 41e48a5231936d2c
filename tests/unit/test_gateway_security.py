"""API keys, rate limits (in memory and through a real Redis), and secrets kept out of logs."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from gateway.errors import ApiError
from gateway.security import ApiKeyAuth, MemoryRateLimiter, RedisRateLimiter, fingerprint
from tests.support.gateway_fakes import FakeServices, fake_services, gateway_client

KEY = "sk-test-7d1f0c9e2b"
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def fakes() -> Iterator[FakeServices]:
    with fake_services() as services:
        yield services


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The local Redis; skipped (with the reason) only when none is listening."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}; the shared limiter needs one")
    yield REDIS_URL
    client.close()


@pytest.fixture
async def secured(fakes: FakeServices) -> AsyncIterator[httpx.AsyncClient]:
    fakes.reset()
    async with gateway_client(fakes, gateway_api_keys=f"other-key,{KEY}") as (client, _):
        yield client


# ----------------------------------------------------------------------------- API keys


def test_api_key_auth_is_open_without_keys_and_checks_every_key() -> None:
    assert ApiKeyAuth(()).verify(None) is None
    auth = ApiKeyAuth((b"first", b"second"))
    assert auth.verify("second") == fingerprint("second")
    for bad in (None, "", "secon", "second2", "FIRST"):
        with pytest.raises(ApiError) as info:
            auth.verify(bad)
        assert info.value.status == 401


async def test_missing_or_wrong_key_is_401(secured: httpx.AsyncClient) -> None:
    missing = await secured.post("/v1/recommendations", json={"query": "soup"})
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = await secured.get("/v1/recipes/101", headers={"X-API-Key": "nope"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "unauthenticated"


async def test_a_key_in_either_header_is_accepted(secured: httpx.AsyncClient) -> None:
    by_header = await secured.get("/v1/recipes/101", headers={"X-API-Key": KEY})
    by_bearer = await secured.get("/v1/recipes/101", headers={"Authorization": f"Bearer {KEY}"})
    assert by_header.status_code == by_bearer.status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/docs", "/openapi.json"])
async def test_operations_routes_stay_open(secured: httpx.AsyncClient, path: str) -> None:
    assert (await secured.get(path)).status_code == 200


async def test_every_api_route_is_guarded(secured: httpx.AsyncClient) -> None:
    calls = [
        ("POST", "/v1/recommendations", {"query": "x"}),
        ("POST", "/recommend", {"query": "x"}),
        ("GET", "/v1/recipes/101", None),
        ("GET", "/v1/recipes/101/similar", None),
        ("POST", "/v1/qa", {"recipe_id": 101, "question": "x"}),
        ("POST", "/v1/analyze-meal", {"text": "rice"}),
        ("POST", "/v1/chat", {"message": "x"}),
        ("GET", "/v1/conversations/abc", None),
    ]
    for method, path, body in calls:
        assert (await secured.request(method, path, json=body)).status_code == 401, path


async def test_keys_never_reach_the_logs(secured: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await secured.get("/v1/recipes/101", headers={"Authorization": f"Bearer {KEY}"})
    await secured.get("/v1/recipes/101", headers={"X-API-Key": KEY + "-wrong"})
    records = caplog.records
    assert any(getattr(r, "route", None) == "/v1/recipes/{recipe_id}" for r in records)
    dumped = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in records)
    assert KEY not in dumped
    assert f"key:{fingerprint(KEY)}" in dumped  # the fingerprint identifies the caller instead


def test_settings_hide_secrets_when_printed() -> None:
    from gateway.config import GatewaySettings

    settings = GatewaySettings(gateway_api_keys=KEY, redis_url="redis://:hunter2@cache:6379/0")
    assert KEY not in repr(settings) and "hunter2" not in repr(settings)
    assert settings.redacted_redis_url() == "redis://:***@cache:6379/0"
    assert settings.api_keys == (KEY.encode(),)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-API-Key": "k1"}, "k1"),
        ({"Authorization": "Bearer k2"}, "k2"),
        ({"Authorization": "bearer   k3 "}, "k3"),
        ({"X-API-Key": "k1", "Authorization": "Bearer k2"}, "k1"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, None),
        ({"Authorization": "Bearer "}, None),
        ({}, None),
    ],
)
def test_presented_key(headers: dict[str, str], expected: str | None) -> None:
    from starlette.requests import Request

    from gateway.security import presented_key

    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    assert presented_key(Request({"type": "http", "headers": raw})) == expected


# ----------------------------------------------------------------------------- rate limits


def test_memory_limiter_allows_a_burst_then_the_rate() -> None:
    now = [1000.0]
    limiter = MemoryRateLimiter(per_minute=60, burst=3, clock=lambda: now[0])
    assert [limiter.check("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.check("a")
    assert wait == pytest.approx(1.0)
    assert limiter.check("b") == 0.0  # buckets are per identity
    now[0] += 1.0
    assert limiter.check("a") == 0.0
    assert limiter.check("a") > 0


def test_memory_limiter_stays_bounded() -> None:
    now = [0.0]
    limiter = MemoryRateLimiter(per_minute=60, burst=1, max_keys=10, clock=lambda: now[0])
    for i in range(100):
        limiter.check(f"ip:{i}")
    assert len(limiter._tat) <= 10


async def test_going_past_the_rate_is_429_with_retry_after(fakes: FakeServices) -> None:
    fakes.reset()
    async with gateway_client(fakes, rate_limit_per_minute=60, rate_limit_burst=2) as (client, _):
        statuses = [(await client.get("/v1/recipes/101")).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        refused = await client.get("/v1/recipes/101")
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "rate_limited"
        assert 1 <= int(refused.headers["retry-after"]) <= 2
        assert (await client.get("/healthz")).status_code == 200  # probes are not limited


async def test_buckets_are_per_key_when_keys_are_on(fakes: FakeServices) -> None:
    fakes.reset()
    async with gateway_client(fakes, gateway_api_keys="key-a,key-b", rate_limit_per_minute=60, rate_limit_burst=1) as (
        client,
        _,
    ):
        assert (await client.get("/v1/recipes/101", headers={"X-API-Key": "key-a"})).status_code == 200
        assert (await client.get("/v1/recipes/101", headers={"X-API-Key": "key-a"})).status_code == 429
        assert (await client.get("/v1/recipes/101", headers={"X-API-Key": "key-b"})).status_code == 200


async def test_guessing_keys_is_rate_limited_too(fakes: FakeServices) -> None:
    fakes.reset()
    async with gateway_client(fakes, gateway_api_keys=KEY, rate_limit_per_minute=60, rate_limit_burst=2) as (client, _):
        statuses = [
            (await client.get("/v1/recipes/101", headers={"X-API-Key": f"guess-{i}"})).status_code for i in range(3)
        ]
        assert statuses == [401, 401, 429]


async def test_redis_limiter_is_shared_between_gateways(fakes: FakeServices, redis_url: str) -> None:
    fakes.reset()
    prefix = f"test:gateway:{uuid.uuid4().hex}:"
    settings = {"redis_url": redis_url, "rate_limit_per_minute": 60, "rate_limit_burst": 2, "rate_limit_prefix": prefix}
    async with gateway_client(fakes, **settings) as (one, _), gateway_client(fakes, **settings) as (two, app):
        assert (await one.get("/v1/recipes/101")).status_code == 200
        assert (await two.get("/v1/recipes/101")).status_code == 200
        refused = await one.get("/v1/recipes/101")
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        limiter = app.state.ctx.limiter
        assert isinstance(limiter, RedisRateLimiter)
        keys = await limiter.client.keys(prefix + "*")
        assert keys == [f"{prefix}ip:127.0.0.1".encode()]
        ttl_ms = await limiter.client.pttl(keys[0])
        assert 0 < ttl_ms <= 3_000  # buckets expire once they would be full again
        await limiter.client.delete(*keys)


async def test_redis_limiter_retry_after_follows_the_rate(redis_url: str) -> None:
    limiter = RedisRateLimiter(redis_url, per_minute=6, burst=1, prefix=f"test:gateway:{uuid.uuid4().hex}:")
    try:
        assert await limiter.acquire("ip:1") == 0.0
        wait = await limiter.acquire("ip:1")
        assert 9.0 < wait <= 10.0  # 6 a minute: one every 10 s
    finally:
        await limiter.client.delete(*(await limiter.client.keys(limiter.prefix + "*")))
        await limiter.close()


async def test_redis_down_falls_back_to_the_local_limiter() -> None:
    from gateway.metrics import RATE_LIMIT_BACKEND_ERRORS

    before = RATE_LIMIT_BACKEND_ERRORS._value.get()
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0", per_minute=60, burst=1, prefix="x:", timeout=0.2)
    try:
        assert await limiter.acquire("ip:1") == 0.0
        assert await limiter.acquire("ip:1") > 0  # still limited, locally
    finally:
        await limiter.close()
    assert RATE_LIMIT_BACKEND_ERRORS._value.get() >= before + 2
