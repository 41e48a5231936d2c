"""The llm is optional for recommendations: untranslated or cached answers, marked degraded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import grpc
import httpx
import pytest

from tests.support.gateway_fakes import FakeServices, fake_services, gateway_client


@pytest.fixture(scope="module")
def fakes() -> Iterator[FakeServices]:
    with fake_services() as services:
        yield services


@pytest.fixture
async def client(fakes: FakeServices) -> AsyncIterator[httpx.AsyncClient]:
    fakes.reset()
    async with gateway_client(fakes) as (http, _):
        yield http


def names(response: httpx.Response) -> list[str]:
    return [r["name"] for r in response.json()["recipes"]]


async def test_llm_down_recommendations_still_answer_degraded(client: httpx.AsyncClient, fakes: FakeServices) -> None:
    fakes.stop_llm()
    response = await client.post("/v1/recommendations", json={"query": "healthy breakfast", "lang": "es", "n": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["degraded"] is True and body["lang"] == "es"
    # Memory and native Spanish still localise; only the llm-translated recipe stays English.
    assert names(response) == ["Ensalada de pollo y palta", "shakshuka", "tortilla de patatas"]
    ready = await client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["down"] == ["llm"]
    assert (await client.post("/recommend", json={"query": "sopa"})).status_code == 200


async def test_llm_down_serves_cached_translations(client: httpx.AsyncClient, fakes: FakeServices) -> None:
    warm = await client.post("/v1/recommendations", json={"query": "x", "lang": "es", "n": 2})
    assert names(warm)[1] == "shakshuka [es]" and warm.json()["degraded"] is False
    fakes.stop_llm()
    cached = await client.post("/v1/recommendations", json={"query": "x", "lang": "es", "n": 2})
    assert names(cached) == ["Ensalada de pollo y palta", "shakshuka [es]"]
    # Everything came from memory or the cache: no llm call was needed, so nothing is degraded.
    assert cached.json()["degraded"] is False


async def test_llm_down_without_lang_falls_back_on_the_parsed_language(
    client: httpx.AsyncClient, fakes: FakeServices
) -> None:
    fakes.stop_llm()
    spanish = await client.post("/v1/recommendations", json={"query": "algo con pollo", "n": 1})
    assert spanish.json()["lang"] == "es" and spanish.json()["degraded"] is True
    unknown = await client.post("/v1/recommendations", json={"query": "pollo", "n": 1})
    assert unknown.json()["lang"] == "es"  # DEFAULT_LANG


async def test_translation_deadline_degrades_instead_of_failing(fakes: FakeServices) -> None:
    fakes.reset()
    fakes.llm.delay["Translate"] = 1.0
    async with gateway_client(fakes, translate_timeout_seconds=0.2) as (client, _):
        response = await client.post("/v1/recommendations", json={"query": "x", "lang": "es", "n": 2})
        assert response.status_code == 200
        assert response.json()["degraded"] is True and names(response)[1] == "shakshuka"


async def test_detection_failure_alone_is_degraded(client: httpx.AsyncClient, fakes: FakeServices) -> None:
    fakes.llm.fail["DetectLanguage"] = grpc.StatusCode.INTERNAL
    response = await client.post("/v1/recommendations", json={"query": "healthy breakfast", "n": 1})
    assert response.status_code == 200 and response.json()["degraded"] is True


async def test_llm_fallback_translations_are_degraded_and_not_cached(
    client: httpx.AsyncClient, fakes: FakeServices
) -> None:
    fakes.llm.translate_degraded = True
    first = await client.post("/v1/recommendations", json={"query": "x", "lang": "es", "n": 2})
    assert first.json()["degraded"] is True and names(first)[1] == "shakshuka [es]"
    fakes.llm.translate_degraded = False
    second = await client.post("/v1/recommendations", json={"query": "x", "lang": "es", "n": 2})
    assert second.json()["degraded"] is False
    assert fakes.llm.count("Translate") == 2


async def test_llm_routes_fail_clearly_when_the_llm_is_down(client: httpx.AsyncClient, fakes: FakeServices) -> None:
    fakes.stop_llm()
    response = await client.post("/v1/qa", json={"recipe_id": 101, "question": "why?"})
    assert response.status_code == 503
    assert response.json()["dependency"] == "llm" and response.headers["retry-after"] == "1"
    chat = await client.post("/v1/chat", json={"message": "hola"}, headers={"Accept": "text/event-stream"})
    assert chat.status_code == 503


async def test_recipe_localisation_degrades_when_the_llm_is_down(
    client: httpx.AsyncClient, fakes: FakeServices
) -> None:
    fakes.stop_llm()
    body = (await client.get("/v1/recipes/104", params={"lang": "es"})).json()
    assert body["degraded"] is True and body["lang"] == "en" and body["recipe"]["name"] == "shakshuka"


async def test_the_gateway_recovers_when_the_llm_comes_back(client: httpx.AsyncClient, fakes: FakeServices) -> None:
    fakes.stop_llm()
    assert (await client.post("/v1/recommendations", json={"query": "x", "lang": "es"})).json()["degraded"]
    fakes.start_llm()
    for _ in range(50):  # the channel reconnects with a short backoff
        response = await client.post("/v1/recommendations", json={"query": "x", "lang": "es"})
        if not response.json()["degraded"]:
            break
        await asyncio.sleep(0.1)
    assert response.json()["degraded"] is False
