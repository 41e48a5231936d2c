"""The conversation store on SQLite (default, a file) or PostgreSQL (``postgresql://``, Supabase).

One implementation, two dialects: the statements are the same apart from placeholders,
timestamps and how the write lock is taken. Blocking drivers run in worker threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import queue
import sqlite3
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from services.common.errors import NotFound
from services.llm.metrics import STORE_OPERATIONS
from services.llm.store.base import Conversation, ConversationStore, Message, StoreUnavailable
from services.llm.store.migrations import CREATE_MIGRATIONS_TABLE, MIGRATIONS, MIGRATIONS_TABLE

log = logging.getLogger(__name__)

R = TypeVar("R")
_TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_MIGRATION_LOCK_ID = 0x6C6C6D5F6D6967  # "llm_mig": one advisory lock id for every replica


def redact_url(url: str) -> str:
    """postgresql://user:secret@host/db -> postgresql://user:***@host/db."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class _Dialect:
    """How one database family connects, locks and stores timestamps."""

    name: str
    placeholder: str
    errors: tuple[type[BaseException], ...]

    def connect(self) -> Any:
        raise NotImplementedError

    def begin_write(self, conn: Any) -> None:
        raise NotImplementedError

    def lock_migrations(self, conn: Any) -> None:
        raise NotImplementedError

    def to_db(self, moment: datetime) -> Any:
        raise NotImplementedError

    def from_db(self, value: Any) -> datetime:
        raise NotImplementedError

    def healthy(self, conn: Any) -> bool:
        return True

    def describe(self) -> str:
        raise NotImplementedError


class _SQLite(_Dialect):
    name = "sqlite"
    placeholder = "?"
    errors = (sqlite3.OperationalError, sqlite3.DatabaseError, OSError)

    def __init__(self, url: str, busy_timeout_seconds: float) -> None:
        path = url[len("sqlite:///") :]
        if not path or path == ":memory:":
            raise ValueError("DATABASE_URL=sqlite:/// needs a file path (conversations must survive restarts)")
        self.path = Path(path)
        self.busy_timeout = busy_timeout_seconds

    def connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")  # a committed message survives a power cut
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def begin_write(self, conn: Any) -> None:
        conn.execute("BEGIN IMMEDIATE")  # take the write lock now: sequence numbers stay serial

    def lock_migrations(self, conn: Any) -> None:
        self.begin_write(conn)

    def to_db(self, moment: datetime) -> str:
        return moment.astimezone(UTC).strftime(_TS_FORMAT)

    def from_db(self, value: Any) -> datetime:
        return datetime.strptime(value, _TS_FORMAT).replace(tzinfo=UTC)

    def describe(self) -> str:
        return f"sqlite file {self.path}"


class _Postgres(_Dialect):
    name = "postgresql"
    placeholder = "%s"

    def __init__(self, url: str, schema: str, connect_timeout: float) -> None:
        import psycopg

        self._psycopg = psycopg
        self.errors = (psycopg.OperationalError, psycopg.InterfaceError)
        self.url = url.replace("postgres://", "postgresql://", 1)
        self.schema = schema
        self.connect_timeout = max(1, round(connect_timeout))

    def connect(self) -> Any:
        conn = self._psycopg.connect(self.url, connect_timeout=self.connect_timeout, autocommit=False)
        if self.schema:
            with conn.cursor() as cur:
                cur.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                cur.execute(f'SET search_path TO "{self.schema}"')
            conn.commit()
        return conn

    def begin_write(self, conn: Any) -> None:
        """psycopg opens a transaction implicitly; row locks come from UPDATE ... RETURNING."""

    def lock_migrations(self, conn: Any) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK_ID,))

    def to_db(self, moment: datetime) -> datetime:
        return moment.astimezone(UTC)

    def from_db(self, value: Any) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    def healthy(self, conn: Any) -> bool:
        return not conn.closed and not conn.broken

    def describe(self) -> str:
        return f"postgresql at {redact_url(self.url)}" + (f" (schema {self.schema})" if self.schema else "")


class _Pool:
    """A small thread-safe pool: at most ``size`` connections, broken ones discarded."""

    def __init__(self, dialect: _Dialect, size: int) -> None:
        self.dialect = dialect
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)

    def acquire(self, timeout: float) -> Any:
        if not self._slots.acquire(timeout=timeout):
            raise StoreUnavailable(f"conversation store busy: no free connection within {timeout:.0f}s")
        try:
            while True:
                try:
                    conn = self._idle.get_nowait()
                except queue.Empty:
                    return self.dialect.connect()
                if self.dialect.healthy(conn):
                    return conn
                _close_quietly(conn)
        except BaseException:
            self._slots.release()
            raise

    def release(self, conn: Any, broken: bool) -> None:
        try:
            if broken or not self.dialect.healthy(conn):
                _close_quietly(conn)
            else:
                self._idle.put(conn)
        finally:
            self._slots.release()

    def close(self) -> None:
        while True:
            try:
                _close_quietly(self._idle.get_nowait())
            except queue.Empty:
                return


def _close_quietly(conn: Any) -> None:
    with contextlib.suppress(Exception):  # already broken: nothing to release
        conn.close()


class SqlConversationStore(ConversationStore):
    def __init__(
        self,
        url: str,
        *,
        schema: str = "",
        pool_size: int = 4,
        connect_timeout: float = 3.0,
        retention_days: float = 0.0,
    ) -> None:
        if url.startswith("sqlite:///"):
            self.dialect: _Dialect = _SQLite(url, busy_timeout_seconds=max(connect_timeout, 5.0))
        else:
            self.dialect = _Postgres(url, schema, connect_timeout)
        self.kind = self.dialect.name
        self.retention = timedelta(days=retention_days) if retention_days > 0 else None
        self.acquire_timeout = max(connect_timeout, 5.0)
        self._pool = _Pool(self.dialect, pool_size)
        self._migrated = False

    # -- plumbing -------------------------------------------------------------------------
    def _sql(self, statement: str) -> str:
        return statement.replace("%s", self.dialect.placeholder)

    def _transaction(self, operation: str, work: Callable[[Any], R], *, write: bool) -> R:
        conn = None
        broken = False
        try:
            conn = self._pool.acquire(self.acquire_timeout)
            if not self._migrated:
                self._migrate(conn)
            if write:
                self.dialect.begin_write(conn)
            try:
                result = work(conn)
                _commit(conn, self.kind)
            except BaseException:
                _rollback_quietly(conn, self.kind)
                raise
            STORE_OPERATIONS.labels(operation, "ok").inc()
            return result
        except self.dialect.errors as exc:
            broken = True
            STORE_OPERATIONS.labels(operation, "unavailable").inc()
            raise StoreUnavailable(
                f"conversation store unavailable ({self.dialect.describe()}): {str(exc).strip() or type(exc).__name__}"
            ) from exc
        except StoreUnavailable:
            STORE_OPERATIONS.labels(operation, "unavailable").inc()
            raise
        finally:
            if conn is not None:
                self._pool.release(conn, broken)

    async def _run(self, operation: str, work: Callable[[Any], R], *, write: bool = False) -> R:
        return await asyncio.to_thread(self._transaction, operation, work, write=write)

    def _migrate(self, conn: Any) -> None:
        """Apply pending migrations under a lock, so that replicas starting together agree."""
        self.dialect.lock_migrations(conn)
        conn.execute(CREATE_MIGRATIONS_TABLE[self.kind])
        applied = {row[0] for row in conn.execute(f"SELECT version FROM {MIGRATIONS_TABLE}").fetchall()}
        for migration in MIGRATIONS:
            if migration.version in applied:
                continue
            for statement in getattr(migration, self.kind):
                conn.execute(statement)
            conn.execute(
                self._sql(f"INSERT INTO {MIGRATIONS_TABLE} (version, name, applied_at) VALUES (%s, %s, %s)"),
                (migration.version, migration.name, self.dialect.to_db(datetime.now(UTC))),
            )
            log.info("applied conversation store migration %d (%s)", migration.version, migration.name)
        _commit(conn, self.kind)
        self._migrated = True

    def _cutoff(self) -> Any:
        if self.retention is None:
            return None
        return self.dialect.to_db(datetime.now(UTC) - self.retention)

    # -- API ----------------------------------------------------------------------------------
    async def open(self) -> None:
        await self._run("open", lambda conn: None)
        log.info("conversation store ready", extra={"store": self.dialect.describe()})

    async def close(self) -> None:
        self._pool.close()

    async def schema_version(self) -> int:
        def work(conn: Any) -> int:
            row = conn.execute(f"SELECT MAX(version) FROM {MIGRATIONS_TABLE}").fetchone()
            return int(row[0] or 0)

        return await self._run("schema_version", work)

    async def create_conversation(self) -> Conversation:
        now = datetime.now(UTC)
        conversation = Conversation(id=uuid.uuid4().hex, created_at=now, updated_at=now)

        def work(conn: Any) -> Conversation:
            conn.execute(
                self._sql(
                    "INSERT INTO llm_conversations (id, created_at, updated_at, last_seq) VALUES (%s, %s, %s, 0)"
                ),
                (conversation.id, self.dialect.to_db(now), self.dialect.to_db(now)),
            )
            return conversation

        return await self._run("create_conversation", work, write=True)

    def _select_conversation(self, conn: Any, conversation_id: str) -> Conversation | None:
        statement = "SELECT id, created_at, updated_at, last_seq FROM llm_conversations WHERE id = %s"
        params: tuple[Any, ...] = (conversation_id,)
        cutoff = self._cutoff()
        if cutoff is not None:
            statement += " AND updated_at >= %s"
            params += (cutoff,)
        row = conn.execute(self._sql(statement), params).fetchone()
        if row is None:
            return None
        return Conversation(row[0], self.dialect.from_db(row[1]), self.dialect.from_db(row[2]), int(row[3]))

    async def get_conversation(self, conversation_id: str) -> Conversation | None:
        return await self._run("get_conversation", lambda conn: self._select_conversation(conn, conversation_id))

    async def append_message(
        self,
        conversation_id: str,
        role: str,
        content: str,
        *,
        language: str = "",
        intent: str = "",
        recipe_ids: Sequence[int] = (),
    ) -> Message:
        def work(conn: Any) -> Message:
            now = datetime.now(UTC)
            # The UPDATE takes the conversation's row lock until commit: the sequence number is
            # allocated and used in one transaction, so concurrent writers serialise here.
            row = conn.execute(
                self._sql(
                    "UPDATE llm_conversations SET last_seq = last_seq + 1, updated_at = %s "
                    "WHERE id = %s RETURNING last_seq"
                ),
                (self.dialect.to_db(now), conversation_id),
            ).fetchone()
            if row is None:
                raise NotFound(f"conversation {conversation_id} not found")
            message = Message(
                id=uuid.uuid4().hex,
                conversation_id=conversation_id,
                seq=int(row[0]),
                role=role,
                content=content,
                created_at=now,
                language=language,
                intent=intent,
                recipe_ids=[int(r) for r in recipe_ids],
            )
            conn.execute(
                self._sql(
                    "INSERT INTO llm_messages (id, conversation_id, seq, role, content, language, intent, recipe_ids, "
                    "created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                ),
                (
                    message.id,
                    conversation_id,
                    message.seq,
                    role,
                    content,
                    language,
                    intent,
                    json.dumps(message.recipe_ids),
                    self.dialect.to_db(now),
                ),
            )
            return message

        return await self._run("append_message", work, write=True)

    async def messages(self, conversation_id: str, *, last: int | None = None) -> list[Message]:
        def work(conn: Any) -> list[Message]:
            columns = "id, conversation_id, seq, role, content, language, intent, recipe_ids, created_at"
            if last is not None:
                statement = (
                    f"SELECT {columns} FROM (SELECT {columns} FROM llm_messages WHERE conversation_id = %s "
                    "ORDER BY seq DESC LIMIT %s) recent ORDER BY seq"
                )
                rows = conn.execute(self._sql(statement), (conversation_id, last)).fetchall()
            else:
                statement = f"SELECT {columns} FROM llm_messages WHERE conversation_id = %s ORDER BY seq"
                rows = conn.execute(self._sql(statement), (conversation_id,)).fetchall()
            return [
                Message(
                    id=r[0],
                    conversation_id=r[1],
                    seq=int(r[2]),
                    role=r[3],
                    content=r[4],
                    language=r[5],
                    intent=r[6],
                    recipe_ids=[int(x) for x in json.loads(r[7] or "[]")],
                    created_at=self.dialect.from_db(r[8]),
                )
                for r in rows
            ]

        return await self._run("messages", work)

    async def delete_conversation(self, conversation_id: str) -> bool:
        def work(conn: Any) -> bool:
            conn.execute(self._sql("DELETE FROM llm_messages WHERE conversation_id = %s"), (conversation_id,))
            cursor = conn.execute(self._sql("DELETE FROM llm_conversations WHERE id = %s"), (conversation_id,))
            return bool(cursor.rowcount)

        return await self._run("delete_conversation", work, write=True)

    async def purge_older_than(self, cutoff: datetime) -> int:
        def work(conn: Any) -> int:
            moment = self.dialect.to_db(cutoff)
            conn.execute(
                self._sql(
                    "DELETE FROM llm_messages WHERE conversation_id IN "
                    "(SELECT id FROM llm_conversations WHERE updated_at < %s)"
                ),
                (moment,),
            )
            cursor = conn.execute(self._sql("DELETE FROM llm_conversations WHERE updated_at < %s"), (moment,))
            return int(cursor.rowcount or 0)

        return await self._run("purge", work, write=True)


def _commit(conn: Any, kind: str) -> None:
    if kind == "postgresql":
        conn.commit()
    elif conn.in_transaction:
        conn.execute("COMMIT")


def _rollback_quietly(conn: Any, kind: str) -> None:
    try:
        if kind == "postgresql":
            conn.rollback()
        elif conn.in_transaction:
            conn.execute("ROLLBACK")
    except Exception:  # the connection is going away anyway
        pass
