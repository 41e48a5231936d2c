"""The llm service as a real process: a chat conversation survives a restart (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import psycopg
import pytest

from services.llm.client import LlmClient
from tests.support.processes import ServiceProcess
from tests.unit.llm_support import ES, TORTILLA, fake_recommender

pytestmark = pytest.mark.integration

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def pg_schema() -> Iterator[str]:
    schema = f"llm_it_{uuid.uuid4().hex[:10]}"
    yield schema
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


async def start(env: dict[str, str], log: Path, port: int | None = None) -> ServiceProcess:
    process = ServiceProcess("services.llm", env=env, log_path=log)
    if port is not None:
        process.port = port  # the same address after a restart, as a client would expect
    process.start()
    await asyncio.to_thread(process.wait_serving, 60.0)
    return process


async def survives_restart(env: dict[str, str], log: Path) -> None:
    async with fake_recommender() as (address, _):
        env = {**env, "LLM_BACKEND": "local", "RECOMMENDER_ADDR": address, "METRICS_PORT": "0"}
        first = await start(env, log)
        client = LlmClient(first.address)
        try:
            turn = await client.chat_text("quiero una tortilla de patatas", language=ES)
            assert turn.done.recipes and turn.done.recipes[0].name == "Tortilla de patatas"
            conversation_id = turn.conversation_id
        finally:
            await client.close()
            assert first.terminate() == 0, first.log_tail()

        second = await start(env, log, port=first.port)
        client = LlmClient(second.address)
        try:
            history = await client.get_conversation(conversation_id)
            assert [m.seq for m in history.messages] == [1, 2]
            assert history.messages[0].content == "quiero una tortilla de patatas"
            assert history.messages[1].content == turn.reply
            assert history.messages[1].recipe_ids[0] == TORTILLA.id
            follow_up = await client.chat_text("¿cuánto tarda la primera?", conversation_id=conversation_id)
            assert "45 minutos" in follow_up.reply  # the context (shown recipes) survived too
            history = await client.get_conversation(conversation_id)
            assert [m.seq for m in history.messages] == [1, 2, 3, 4]
            assert await client.delete_conversation(conversation_id)
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await client.get_conversation(conversation_id)
            assert err.value.code() == grpc.StatusCode.NOT_FOUND
        finally:
            await client.close()
            assert second.terminate() == 0, second.log_tail()


async def test_conversation_survives_restart_on_sqlite(tmp_path: Path) -> None:
    await survives_restart({"DATABASE_URL": f"sqlite:///{tmp_path}/conversations.db"}, tmp_path / "llm.log")


async def test_conversation_survives_restart_on_postgresql(tmp_path: Path, pg_schema: str) -> None:
    await survives_restart({"DATABASE_URL": POSTGRES_URL, "DATABASE_SCHEMA": pg_schema}, tmp_path / "llm.log")


async def test_every_rpc_works_offline_through_the_client(tmp_path: Path) -> None:
    async with fake_recommender() as (address, _):
        env = {
            "LLM_BACKEND": "local",
            "RECOMMENDER_ADDR": address,
            "DATABASE_URL": f"sqlite:///{tmp_path}/c.db",
            "METRICS_PORT": "0",
        }
        process = await start(env, tmp_path / "llm.log")
        client = LlmClient(process.address)
        try:
            detected = await client.detect_language("¿cuánto tiempo tarda?")
            assert detected.language == ES
            translated = await client.translate(texts=["2 cups of rice"], target=ES)
            assert list(translated.texts) == ["2 tazas de arroz"]
            answer = await client.answer_question(TORTILLA.id, "¿cuánto tiempo tarda?")
            assert "45 minutos" in answer.answer
            meal = await client.analyze_meal(text="2 huevos, 100 g de espinaca y una tostada integral")
            assert 240 <= meal.nutrition.calories_kcal <= 350
            turn = await client.chat_text("hola")
            assert turn.done.intent == "other"
            assert (await client.get_conversation(turn.conversation_id)).messages
            assert await client.delete_conversation(turn.conversation_id)
        finally:
            await client.close()
            assert process.terminate() == 0, process.log_tail()
