"""Every gateway route against fake recommender and llm servicers, in-process."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import grpc
import httpx
import pytest

from recipes.common.v1 import common_pb2
from tests.support.gateway_fakes import MODEL_VERSION, FakeServices, fake_services, gateway_client


@pytest.fixture(scope="module")
def fakes() -> Iterator[FakeServices]:
    with fake_services() as services:
        yield services


@pytest.fixture
async def client(fakes: FakeServices) -> AsyncIterator[httpx.AsyncClient]:
    fakes.reset()
    async with gateway_client(fakes) as (http, _):
        yield http


def names(body: dict[str, Any]) -> list[str]:
    return [r["name"] for r in body["recipes"]]


# ----------------------------------------------------------------------------- /v1/recommendations


async def test_recommendations_detect_the_query_language_and_translate_in_one_call(
    client: httpx.AsyncClient, fakes: FakeServices
) -> None:
    response = await client.post("/v1/recommendations", json={"query": "ensalada de pollo y palta", "n": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["lang"] == "es" and body["degraded"] is False and body["model_version"] == MODEL_VERSION
    # 101 from the catalog's translation memory, 104 through the llm, 103 is natively Spanish.
    assert names(body) == ["Ensalada de pollo y palta", "shakshuka [es]", "tortilla de patatas"]
    assert fakes.llm.count("DetectLanguage") == 1
    assert fakes.llm.count("Translate") == 1
    (translate,) = fakes.llm.calls["Translate"]
    assert [r.id for r in translate.recipes] == [104]
    assert translate.target_language == common_pb2.LANGUAGE_ES
    # The answer language is not the query's language: the recommender is not told it.
    assert fakes.recommender.calls["Recommend"][0].language == common_pb2.LANGUAGE_UNSPECIFIED


async def test_recommendations_with_lang_skip_detection(client: httpx.AsyncClient, fakes: FakeServices) -> None:
    response = await client.post("/v1/recommendations", json={"query": "healthy breakfast", "lang": "es", "n": 1})
    assert response.status_code == 200
    assert names(response.json()) == ["Ensalada de pollo y palta"]
    assert fakes.llm.count("DetectLanguage") == 0
    # Served from the translation memory: no llm call at all.
    assert fakes.llm.count("Translate") == 0


async def test_recommendations_already_in_the_target_language_make_no_translate_call(
    client: httpx.AsyncClient, fakes: FakeServices
) -> None:
    response = await client.post("/v1/recommendations", json={"query": "healthy breakfast", "n": 2})
    body = response.json()
    assert body["lang"] == "en"
    assert names(body) == ["peruvian chicken and avocado salad", "shakshuka"]
    assert fakes.llm.count("Translate") == 0


async def test_recommendations_cache_translations_per_model_version(
    client: httpx.AsyncClient, fakes: FakeServices
) -> None:
    for _ in range(3):
        response = await client.post("/v1/recommendations", json={"query": "x", "lang": "es", "n": 2})
        assert names(response.json())[1] == "shakshuka [es]"
    assert fakes.llm.count("Translate") == 1


async def test_recommendations_pass_filters_pantry_and_alpha(client: httpx.AsyncClient, fakes: FakeServices) -> None:
    payload = {
        "query": "cena rápida",
        "n": 2,
        "alpha": 0.3,
        "lang": "en",
        "pantry": ["chicken"],
        "filters": {"max_minutes": 30, "tags": ["vegan"], "exclude_ingredients": ["egg"]},
    }
    body = (await client.post("/v1/recommendations", json=payload)).json()
    (request,) = fakes.recommender.calls["Recommend"]
    assert request.query == "cena rápida" and request.n == 2 and request.alpha == pytest.approx(0.3)
    assert list(request.pantry) == ["chicken"]
    assert request.filters.max_minutes == 30 and list(request.filters.exclude_ingredients) == ["egg"]
    assert body["parsed_filters"]["filters"]["max_minutes"] == 30
    assert body["parsed_filters"]["pantry"] == ["chicken"]
    assert body["recipes"][0]["missing_ingredients"] == ["avocado"]
    assert set(body["recipes"][0]["score"]) == {"hybrid", "semantic", "popularity"}


async def test_recommendations_forward_the_recommender_degraded_flag(
    client: httpx.AsyncClient, fakes: FakeServices
) -> None:
    fakes.recommender.degraded = True
    body = (await client.post("/v1/recommendations", json={"query": "soup", "lang": "en"})).json()
    assert body["degraded"] is True


# ----------------------------------------------------------------------------- /recommend


async def test_compat_route_answers_three_recipes_in_spanish(client: httpx.AsyncClient, fakes: FakeServices) -> None:
    response = await client.post("/recommend", json={"query": "healthy breakfast"})
    assert response.status_code == 200
    recetas = response.json()["recetas"]
    assert [r["nombre"] for r in recetas] == ["Ensalada de pollo y palta", "shakshuka [es]", "tortilla de patatas"]
    assert fakes.recommender.calls["Recommend"][0].n == 3
    assert fakes.llm.count("DetectLanguage") == 0  # always Spanish, whatever the query's language


# ----------------------------------------------------------------------------- recipes


async def test_recipe_by_id_in_its_own_language_and_localised(client: httpx.AsyncClient) -> None:
    own = (await client.get("/v1/recipes/101")).json()
    assert own["recipe"]["name"] == "peruvian chicken and avocado salad" and own["lang"] == "en"
    assert own["recipe"]["servings"] == 2 and own["recipe"]["cuisine"] == "peruvian"
    spanish = (await client.get("/v1/recipes/101", params={"lang": "es"})).json()
    assert spanish["recipe"]["name"] == "Ensalada de pollo y palta" and spanish["lang"] == "es"
    english = (await client.get("/v1/recipes/103", params={"lang": "en"})).json()
    assert english["recipe"]["name"] == "Spanish potato omelette"


async def test_unknown_recipe_is_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/recipes/999999")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"
    assert (await client.get("/v1/recipes/999999/similar")).status_code == 404


async def test_similar_recipes_with_n_and_lang(client: httpx.AsyncClient, fakes: FakeServices) -> None:
    body = (await client.get("/v1/recipes/101/similar", params={"n": 2, "lang": "es"})).json()
    assert names(body) == ["shakshuka [es]", "tortilla de patatas"]
    assert body["lang"] == "es" and body["degraded"] is False
    assert fakes.recommender.calls["SimilarRecipes"][0].n == 2


@pytest.mark.parametrize("path", ["/v1/recipes/abc", "/v1/recipes/0", "/v1/recipes/101/similar?n=0"])
async def test_bad_recipe_paths_are_422(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).status_code == 422


# ----------------------------------------------------------------------------- Q&A, meal analysis


async def test_qa(client: httpx.AsyncClient, fakes: FakeServices) -> None:
    payload = {"recipe_id": 101, "question": "¿puedo cambiar la mantequilla por aceite?", "lang": "es"}
    response = await client.post("/v1/qa", json=payload)
    assert response.json() == {"answer": "Sí, peruvian chicken and avocado salad", "lang": "es", "recipe_id": 101}
    assert fakes.llm.calls["AnswerQuestion"][0].language == common_pb2.LANGUAGE_ES
    missing = await client.post("/v1/qa", json={"recipe_id": 5, "question": "why?"})
    assert missing.status_code == 404


async def test_analyze_meal(client: httpx.AsyncClient, fakes: FakeServices) -> None:
    payload = {
        "items": [{"ingredient": "rice", "grams": 150}, {"ingredient": "unobtainium", "quantity": 1, "unit": "cup"}],
        "recipes": [{"id": 101, "servings": 1.5}],
    }
    body = (await client.post("/v1/analyze-meal", json=payload)).json()
    assert set(body) == {"nutrition", "daily_value_pct", "assessment", "suggestions", "matched", "unmatched"}
    assert body["matched"][0]["grams"] == 150 and body["unmatched"] == ["unobtainium"]
    assert set(body["nutrition"]) == {
        "calories_kcal",
        "protein_g",
        "fat_g",
        "saturated_fat_g",
        "carbohydrates_g",
        "sugar_g",
        "fiber_g",
        "sodium_mg",
    }
    (request,) = fakes.llm.calls["AnalyzeMeal"]
    assert request.recipes[0].recipe_id == 101 and request.recipes[0].servings == 1.5
    assert request.items[1].unit == "cup" and not request.items[1].HasField("grams")


async def test_analyze_meal_needs_something_to_analyse(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/analyze-meal", json={"text": "  "})
    assert response.status_code == 422
    assert "text, items or recipes" in response.json()["detail"]


# ----------------------------------------------------------------------------- chat


async def test_chat_json_then_conversation_history(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/chat", json={"message": "quiero algo con pollo"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"conversation_id", "reply", "recipes"}
    assert body["reply"] == "Te sugiero la ensalada."
    assert [r["name"] for r in body["recipes"]] == ["Ensalada de pollo y palta", "shakshuka [es]"]
    history = (await client.get(f"/v1/conversations/{body['conversation_id']}")).json()
    assert [(m["seq"], m["role"]) for m in history["messages"]] == [(1, "user"), (2, "assistant")]
    assert history["messages"][0]["content"] == "quiero algo con pollo"
    assert history["messages"][1]["recipe_ids"] == [101, 104]
    assert history["created_at"] is not None


def parse_sse(text: str) -> list[tuple[str, Any]]:
    import json

    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


async def test_chat_streams_sse_chunks(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/chat", json={"message": "hola", "lang": "es"}, headers={"Accept": "text/event-stream"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(response.text)
    assert [e for e, _ in events] == ["delta", "delta", "delta", "done"]
    assert "".join(d["delta"] for e, d in events if e == "delta") == "Te sugiero la ensalada."
    done = events[-1][1]
    assert done["reply"] == "Te sugiero la ensalada." and done["lang"] == "es"
    assert [r["id"] for r in done["recipes"]] == [101, 104]
    conversation = await client.get(f"/v1/conversations/{done['conversation_id']}")
    assert len(conversation.json()["messages"]) == 2


async def test_chat_continues_a_conversation(client: httpx.AsyncClient) -> None:
    first = (await client.post("/v1/chat", json={"message": "hola"})).json()
    await client.post("/v1/chat", json={"message": "otra", "conversation_id": first["conversation_id"]})
    history = (await client.get(f"/v1/conversations/{first['conversation_id']}")).json()
    assert [m["seq"] for m in history["messages"]] == [1, 2, 3, 4]


async def test_chat_errors_before_the_stream_keep_their_status(client: httpx.AsyncClient) -> None:
    unknown = await client.post(
        "/v1/chat", json={"message": "hola", "conversation_id": "nope"}, headers={"Accept": "text/event-stream"}
    )
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert (await client.get("/v1/conversations/nope")).status_code == 404
    assert (await client.get("/v1/conversations/bad%20id")).status_code == 422


async def test_chat_failure_mid_stream_is_an_error_event(client: httpx.AsyncClient, fakes: FakeServices) -> None:
    fakes.llm.chat_fail_after_first = True
    response = await client.post("/v1/chat", json={"message": "hola"}, headers={"Accept": "text/event-stream"})
    events = parse_sse(response.text)
    assert [e for e, _ in events] == ["delta", "error"]
    assert events[-1][1]["status"] == 503 and "Traceback" not in response.text


# ----------------------------------------------------------------------------- operations


async def test_healthz_and_readyz(client: httpx.AsyncClient, fakes: FakeServices) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "dependencies": {"recommender": "SERVING", "llm": "SERVING"}}
    fakes.set_serving("recommender", False)
    not_ready = await client.get("/readyz")
    assert not_ready.status_code == 503
    assert not_ready.json()["down"] == ["recommender"]
    assert "recommender is NOT_SERVING" in not_ready.json()["detail"]
    assert (await client.get("/healthz")).status_code == 200


async def test_metrics_have_latency_by_route_template_and_domain_metrics(client: httpx.AsyncClient) -> None:
    await client.get("/v1/recipes/101", params={"lang": "es"})
    await client.post("/v1/recommendations", json={"query": "sopa", "lang": "en", "n": 4})
    await client.post("/v1/recommendations", json={"query": "sopa", "lang": "es", "n": 5})
    await client.get("/no/such/route")
    response = await client.get("/metrics")
    assert response.status_code == 200
    text = response.text
    assert re.search(r'api_latency_seconds_count\{method="GET",route="/v1/recipes/\{recipe_id\}",status="200"\}', text)
    assert 'route="<unmatched>",status="404"' in text
    assert "/v1/recipes/101" not in text  # never the concrete path
    assert 'num_recipes_bucket{le="5.0",route="/v1/recommendations"}' in text
    assert re.search(r'translation_latency_seconds_count\{backend="[^"]+",outcome="ok"\}', text)
    assert "gateway_translation_cache_requests_total" in text


async def test_docs_and_openapi(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs")).status_code == 200
    spec = (await client.get("/openapi.json")).json()
    assert "/docs" not in spec["paths"] and "/docs/assets" not in spec["paths"]


async def test_docs_page_needs_no_cdn(client: httpx.AsyncClient) -> None:
    """Every asset the Swagger UI page loads is served by the gateway itself."""
    page = (await client.get("/docs")).text
    urls = re.findall(r'(?:src|href)="([^"]+)"', page) + re.findall(r"url: '([^']+)'", page)
    assert urls, page
    assert not [u for u in urls if u.startswith(("http:", "https:", "//"))], urls
    for url in urls:
        response = await client.get(url)
        assert response.status_code == 200, url
    script = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert "javascript" in script.headers["content-type"] and len(script.content) > 100_000


async def test_openapi_lists_the_api(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert {
        "/v1/recommendations",
        "/recommend",
        "/v1/recipes/{recipe_id}",
        "/v1/recipes/{recipe_id}/similar",
        "/v1/qa",
        "/v1/analyze-meal",
        "/v1/chat",
        "/v1/conversations/{conversation_id}",
        "/healthz",
        "/readyz",
    } <= set(spec["paths"])
    not_found = spec["paths"]["/v1/recipes/{recipe_id}"]["get"]["responses"]["404"]
    assert list(not_found["content"]) == ["application/problem+json"]


async def test_access_log_skips_successful_probes(
    client: httpx.AsyncClient, fakes: FakeServices, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="gateway.access")
    await client.get("/healthz")
    await client.get("/readyz")
    await client.get("/v1/recipes/101")
    fakes.set_serving("llm", False)
    await client.get("/readyz")
    logged = [(r.route, r.status) for r in caplog.records if r.name == "gateway.access"]  # type: ignore[attr-defined]
    assert logged == [("/v1/recipes/{recipe_id}", 200), ("/readyz", 503)]


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    problem = await client.get("/v1/recipes/999", headers={"X-Request-ID": "req-9"})
    assert problem.json()["request_id"] == "req-9"


async def test_cors_when_origins_are_configured(fakes: FakeServices) -> None:
    async with gateway_client(fakes, cors_origins="https://app.example") as (client, _):
        preflight = await client.options(
            "/v1/recommendations",
            headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://app.example"
        other = await client.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


async def test_a_peer_failure_inside_a_route_keeps_the_gateway_up(
    client: httpx.AsyncClient, fakes: FakeServices
) -> None:
    fakes.recommender.fail["GetRecipe"] = grpc.StatusCode.INTERNAL
    response = await client.get("/v1/recipes/101")
    assert response.status_code == 502
    fakes.recommender.fail.clear()
    assert (await client.get("/v1/recipes/101")).status_code == 200
