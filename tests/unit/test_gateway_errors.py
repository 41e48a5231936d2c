"""gRPC status -> HTTP problem mapping, request validation, field and body limits."""

from __future__ import annotations

import json
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
    async with gateway_client(fakes, max_body_bytes=64 * 1024, recommend_timeout_seconds=0.3) as (http, _):
        yield http


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["code"] == code and body["title"]
    assert body["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body


@pytest.mark.parametrize(
    ("code", "status", "problem"),
    [
        (grpc.StatusCode.INVALID_ARGUMENT, 422, "invalid_argument"),
        (grpc.StatusCode.NOT_FOUND, 404, "not_found"),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, 429, "resource_exhausted"),
        (grpc.StatusCode.UNAVAILABLE, 503, "dependency_unavailable"),
        (grpc.StatusCode.DEADLINE_EXCEEDED, 504, "deadline_exceeded"),
        (grpc.StatusCode.INTERNAL, 502, "upstream_error"),
        (grpc.StatusCode.UNKNOWN, 502, "upstream_error"),
        (grpc.StatusCode.UNIMPLEMENTED, 501, "not_implemented"),
    ],
)
async def test_grpc_codes_map_to_http_problems(
    client: httpx.AsyncClient, fakes: FakeServices, code: grpc.StatusCode, status: int, problem: str
) -> None:
    fakes.recommender.fail["Recommend"] = code
    body = assert_problem(await client.post("/v1/recommendations", json={"query": "soup"}), status, problem)
    assert body["dependency"] == "recommender"


async def test_peer_messages_are_shown_only_when_safe(client: httpx.AsyncClient, fakes: FakeServices) -> None:
    fakes.recommender.fail["Recommend"] = grpc.StatusCode.INVALID_ARGUMENT
    shown = (await client.post("/v1/recommendations", json={"query": "soup"})).json()
    assert shown["detail"] == "injected INVALID_ARGUMENT"
    fakes.recommender.fail["Recommend"] = grpc.StatusCode.UNAVAILABLE
    hidden = await client.post("/v1/recommendations", json={"query": "soup"})
    assert hidden.json()["detail"] == "the recommender service is unavailable; try again shortly"
    assert hidden.headers["retry-after"] == "1"


async def test_a_real_deadline_is_504(client: httpx.AsyncClient, fakes: FakeServices) -> None:
    fakes.recommender.delay["Recommend"] = 1.0  # the client above allows 0.3 s
    assert_problem(await client.post("/v1/recommendations", json={"query": "soup"}), 504, "deadline_exceeded")


async def test_recommender_down_is_503(fakes: FakeServices) -> None:
    fakes.reset()
    async with gateway_client(fakes, recommender_addr="127.0.0.1:1") as (client, _):
        body = assert_problem(await client.post("/recommend", json={"query": "sopa"}), 503, "dependency_unavailable")
        assert "127.0.0.1" not in json.dumps(body)  # transport details stay in the log


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"query": ""}, "body.query"),
        ({"query": "   "}, "body.query"),
        ({}, "body.query"),
        ({"query": "x" * 501}, "body.query"),
        ({"query": "soup", "n": 0}, "body.n"),
        ({"query": "soup", "n": 10000}, "body.n"),
        ({"query": "soup", "n": "5"}, "body.n"),
        ({"query": "soup", "n": 2.5}, "body.n"),
        ({"query": "soup", "n": True}, "body.n"),
        ({"query": 42}, "body.query"),
        ({"query": "soup", "alpha": 1.5}, "body.alpha"),
        ({"query": "soup", "lang": "fr"}, "body.lang"),
        ({"query": "soup", "pantry": "rice"}, "body.pantry"),
        ({"query": "soup", "filters": {"max_minutes": -1}}, "body.filters.max_minutes"),
        ({"query": "soup", "filters": {"tags": ["x"] * 51}}, "body.filters.tags"),
        ({"query": "soup", "colour": "red"}, "body.colour"),
    ],
)
async def test_bad_recommendation_bodies_name_the_field(
    client: httpx.AsyncClient, fakes: FakeServices, payload: dict[str, object], field: str
) -> None:
    body = assert_problem(await client.post("/v1/recommendations", json=payload), 422, "invalid_argument")
    assert field in [e["field"] for e in body["errors"]]  # type: ignore[union-attr]
    assert field in str(body["detail"])
    assert fakes.recommender.count("Recommend") == 0  # refused at the edge


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/v1/qa", {"recipe_id": "101", "question": "why?"}),
        ("/v1/qa", {"recipe_id": 101, "question": "q" * 1001}),
        ("/v1/chat", {"message": ""}),
        ("/v1/chat", {"message": "hola", "conversation_id": "../etc"}),
        ("/v1/chat", {"message": "m" * 4001}),
        ("/v1/analyze-meal", {"items": [{"ingredient": "rice", "grams": -5}]}),
        ("/v1/analyze-meal", {"recipes": [{"id": 101, "servings": 0}]}),
        ("/recommend", {"query": ""}),
        ("/recommend", {}),
    ],
)
async def test_bad_bodies_on_other_routes(client: httpx.AsyncClient, path: str, payload: dict[str, object]) -> None:
    assert_problem(await client.post(path, json=payload), 422, "invalid_argument")


async def test_compat_route_ignores_unknown_fields_like_its_predecessor(client: httpx.AsyncClient) -> None:
    assert (await client.post("/recommend", json={"query": "sopa", "user": "x"})).status_code == 200


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/recommendations", content=b'{"query": ', headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 400, "malformed_json")


async def test_a_one_megabyte_body_is_413(client: httpx.AsyncClient, fakes: FakeServices) -> None:
    big = json.dumps({"query": "soup", "pantry": ["x" * 1000] * 1000}).encode()
    assert len(big) > 1_000_000
    response = await client.post("/v1/recommendations", content=big, headers={"Content-Type": "application/json"})
    assert_problem(response, 413, "payload_too_large")
    assert fakes.recommender.count("Recommend") == 0


async def test_a_streamed_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    response = await client.post("/v1/recommendations", content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in response.request.headers
    assert_problem(response, 413, "payload_too_large")


async def test_unknown_route_and_method_are_problems(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v2/nothing"), 404, "not_found")
    assert_problem(await client.get("/v1/recommendations"), 405, "method_not_allowed")


async def test_an_unexpected_error_is_a_500_problem_without_traceback(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway import convert

    def boom(*_: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(convert, "recipe_detail", boom)
    response = await client.get("/v1/recipes/101")
    body = assert_problem(response, 500, "internal")
    assert "secret internals" not in response.text
    assert str(body["request_id"]) in str(body["detail"])
