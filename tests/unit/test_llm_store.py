"""The conversation store on SQLite and on the real PostgreSQL at 127.0.0.1:5432.

PostgreSQL tests use a fresh schema per test (dropped afterwards), so runs never collide.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from services.common.errors import NotFound
from services.llm.store import SqlConversationStore, StoreUnavailable, create_store
from services.llm.store.migrations import LATEST_VERSION

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def pg_schema() -> Iterator[str]:
    schema = f"llm_test_{uuid.uuid4().hex[:10]}"
    yield schema
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/conversations.db", ""
    else:
        schema = f"llm_test_{uuid.uuid4().hex[:10]}"
        yield POSTGRES_URL, schema
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
async def store(store_url: tuple[str, str]) -> AsyncIterator[SqlConversationStore]:
    url, schema = store_url
    opened = SqlConversationStore(url, schema=schema)
    await opened.open()
    yield opened
    await opened.close()


async def test_migrations_are_versioned_and_applied_once(store_url: tuple[str, str]) -> None:
    url, schema = store_url
    first = SqlConversationStore(url, schema=schema)
    await first.open()
    assert await first.schema_version() == LATEST_VERSION
    second = SqlConversationStore(url, schema=schema)  # a restart, or a second replica
    await second.open()
    assert await second.schema_version() == LATEST_VERSION
    rows = await second._run(
        "read", lambda conn: conn.execute("SELECT version, name FROM llm_schema_migrations ORDER BY version").fetchall()
    )
    assert [r[0] for r in rows] == list(range(1, LATEST_VERSION + 1))
    await first.close()
    await second.close()


async def test_messages_keep_order_and_survive_reopening(
    store: SqlConversationStore, store_url: tuple[str, str]
) -> None:
    conversation = await store.create_conversation()
    for i in range(3):
        await store.append_message(conversation.id, "user" if i % 2 == 0 else "assistant", f"m{i}", recipe_ids=[i])
    reopened = SqlConversationStore(store_url[0], schema=store_url[1])
    await reopened.open()
    messages = await reopened.messages(conversation.id)
    assert [(m.seq, m.content, m.recipe_ids) for m in messages] == [(1, "m0", [0]), (2, "m1", [1]), (3, "m2", [2])]
    assert [m.content for m in await reopened.messages(conversation.id, last=2)] == ["m1", "m2"]
    await reopened.close()


async def test_two_concurrent_writers_keep_message_order(
    store: SqlConversationStore, store_url: tuple[str, str]
) -> None:
    """Two store instances (two connection pools, like two replicas) append to one conversation at once."""
    other = SqlConversationStore(store_url[0], schema=store_url[1])
    await other.open()
    conversation = await store.create_conversation()
    per_writer = 25

    async def writer(target: SqlConversationStore, name: str) -> list[int]:
        seqs = []
        for i in range(per_writer):
            message = await target.append_message(conversation.id, "user", f"{name}-{i}")
            seqs.append(message.seq)  # acknowledged: committed with this sequence number
        return seqs

    seqs_a, seqs_b = await asyncio.gather(writer(store, "a"), writer(other, "b"))
    stored = await store.messages(conversation.id)
    assert [m.seq for m in stored] == list(range(1, 2 * per_writer + 1))  # no gaps, no duplicates
    for name, acknowledged in (("a", seqs_a), ("b", seqs_b)):
        mine = [m for m in stored if m.content.startswith(f"{name}-")]
        assert [m.content for m in mine] == [f"{name}-{i}" for i in range(per_writer)]  # each writer's order kept
        assert [m.seq for m in mine] == acknowledged
    assert (await store.get_conversation(conversation.id)).last_seq == 2 * per_writer  # type: ignore[union-attr]
    await other.close()


async def test_unknown_conversation_and_delete(store: SqlConversationStore) -> None:
    with pytest.raises(NotFound):
        await store.append_message("missing", "user", "hola")
    conversation = await store.create_conversation()
    await store.append_message(conversation.id, "user", "hola")
    assert await store.delete_conversation(conversation.id)
    assert await store.get_conversation(conversation.id) is None
    assert await store.messages(conversation.id) == []
    assert not await store.delete_conversation(conversation.id)


async def test_retention_hides_and_purges_old_conversations(store_url: tuple[str, str]) -> None:
    url, schema = store_url
    store = SqlConversationStore(url, schema=schema, retention_days=1)
    await store.open()
    old = await store.create_conversation()
    fresh = await store.create_conversation()
    two_days_ago = store.dialect.to_db(datetime.now(UTC) - timedelta(days=2))
    await store._run(
        "age",
        lambda conn: conn.execute(
            store._sql("UPDATE llm_conversations SET updated_at = %s WHERE id = %s"), (two_days_ago, old.id)
        ),
        write=True,
    )
    assert await store.get_conversation(old.id) is None  # past retention: not served
    assert await store.get_conversation(fresh.id) is not None
    assert await store.purge_older_than(datetime.now(UTC) - timedelta(days=1)) == 1
    keep_forever = SqlConversationStore(url, schema=schema)
    await keep_forever.open()
    assert await keep_forever.get_conversation(old.id) is None  # purged for real
    await store.close()
    await keep_forever.close()


async def test_unreachable_postgres_is_store_unavailable_naming_it_without_the_password() -> None:
    store = create_store("postgresql://postgres:secret@127.0.0.1:9/test", connect_timeout=1)
    with pytest.raises(StoreUnavailable) as err:
        await store.open()
    assert "postgresql at postgresql://postgres:***@127.0.0.1:9/test" in str(err.value)
    assert "secret" not in str(err.value)
    with pytest.raises(StoreUnavailable):
        await store.create_conversation()


async def test_unwritable_sqlite_is_store_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    store = create_store(f"sqlite:///{blocker}/c.db")
    with pytest.raises(StoreUnavailable, match="conversation store unavailable"):
        await store.open()


def test_sqlite_memory_is_refused_because_conversations_must_persist() -> None:
    with pytest.raises(ValueError, match="file path"):
        create_store("sqlite:///:memory:")
