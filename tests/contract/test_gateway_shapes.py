"""The REST shapes other people rely on: the predecessor's /recommend byte for byte, the v1
keys DESIGN.md §3a lists, and the pydantic schemas against the protos they are fed from."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from pydantic import BaseModel

from gateway import schemas
from recipes.common.v1 import common_pb2
from recipes.llm.v1 import llm_pb2
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


async def test_recommend_keeps_the_predecessors_exact_shape(client: httpx.AsyncClient) -> None:
    response = await client.post("/recommend", json={"query": "ensalada de pollo y palta"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["recetas"]
    assert len(body["recetas"]) == 3
    for receta in body["recetas"]:
        assert list(receta) == ["nombre", "descripción", "ingredientes", "instrucciones", "calificación_promedio"]
        assert isinstance(receta["nombre"], str) and isinstance(receta["descripción"], str)
        assert all(isinstance(i, str) for i in receta["ingredientes"])
        assert all(isinstance(i, str) for i in receta["instrucciones"])
        assert isinstance(receta["calificación_promedio"], float)
    assert body["recetas"][0] == {
        "nombre": "Ensalada de pollo y palta",
        "descripción": "descripción de Ensalada de pollo y palta",
        "ingredientes": ["chicken (es)", "avocado (es)"],
        "instrucciones": ["mezclar", "servir"],
        "calificación_promedio": 4.57,
    }
    # The accented keys travel as UTF-8, not \\u escapes (both parse; the bytes match the old service).
    assert "descripción".encode() in response.content


async def test_recommend_documents_its_shape_in_openapi(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    recipe = spec["components"]["schemas"]["CompatRecipe"]
    assert set(recipe["required"]) == {
        "nombre",
        "descripción",
        "ingredientes",
        "instrucciones",
        "calificación_promedio",
    }


async def test_v1_recommendations_keys_are_the_designed_ones(client: httpx.AsyncClient) -> None:
    body = (await client.post("/v1/recommendations", json={"query": "healthy breakfast", "lang": "es"})).json()
    assert set(body) == {"recipes", "lang", "parsed_filters", "degraded", "model_version"}
    assert set(body["recipes"][0]) == {
        "id",
        "name",
        "description",
        "ingredients",
        "steps",
        "minutes",
        "tags",
        "nutrition",
        "rating",
        "score",
        "missing_ingredients",
    }
    assert set(body["recipes"][0]["rating"]) == {"average", "count"}
    assert set(body["recipes"][0]["score"]) == {"hybrid", "semantic", "popularity"}
    assert set(body["parsed_filters"]["filters"]) == {
        "max_minutes",
        "tags",
        "include_ingredients",
        "exclude_ingredients",
    }


async def test_qa_and_chat_keys_are_the_designed_ones(client: httpx.AsyncClient) -> None:
    qa = (await client.post("/v1/qa", json={"recipe_id": 101, "question": "¿sal?"})).json()
    assert set(qa) == {"answer", "lang", "recipe_id"}
    chat = (await client.post("/v1/chat", json={"message": "hola"})).json()
    assert set(chat) == {"conversation_id", "reply", "recipes"}


def _proto_fields(message: type) -> set[str]:
    return {f.name for f in message.DESCRIPTOR.fields}  # type: ignore[attr-defined]


def _schema_fields(model: type[BaseModel]) -> set[str]:
    return {f.alias or name for name, f in model.model_fields.items()}


@pytest.mark.parametrize(
    ("proto", "model"),
    [
        (common_pb2.Nutrition, schemas.Nutrition),
        (llm_pb2.DailyValuePercent, schemas.DailyValuePercent),
        (llm_pb2.MealItem, schemas.MealItem),
    ],
)
def test_schemas_carry_every_field_of_their_proto(proto: type, model: type[BaseModel]) -> None:
    assert _proto_fields(proto) == _schema_fields(model)


def test_schemas_map_onto_the_proto_fields_they_read() -> None:
    assert _schema_fields(schemas.Rating) <= _proto_fields(common_pb2.Rating)
    assert _schema_fields(schemas.Recipe) <= _proto_fields(common_pb2.Recipe)
    assert _schema_fields(schemas.RecipeDetail) <= _proto_fields(common_pb2.Recipe)
    assert _schema_fields(schemas.MatchedItem) <= _proto_fields(llm_pb2.MatchedItem)
    assert _schema_fields(schemas.AnalyzeMealResponse) <= _proto_fields(llm_pb2.AnalyzeMealResponse)
    assert _schema_fields(schemas.ConversationMessage) - {"lang"} <= _proto_fields(llm_pb2.ConversationMessage)
