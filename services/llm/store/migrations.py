"""Versioned schema migrations for the conversation store, per SQL dialect.

Each migration has a number and a name and is applied once, in order, inside a transaction
that also records it in ``llm_schema_migrations``. Never edit an applied migration: add the
next one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sqlite: tuple[str, ...]
    postgresql: tuple[str, ...]


MIGRATIONS_TABLE = "llm_schema_migrations"

CREATE_MIGRATIONS_TABLE = {
    "sqlite": f"""CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at TEXT NOT NULL)""",
    "postgresql": f"""CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at TIMESTAMPTZ NOT NULL)""",
}

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "conversations and messages",
        sqlite=(
            """CREATE TABLE llm_conversations (
                id TEXT PRIMARY KEY,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                last_seq INTEGER NOT NULL DEFAULT 0)""",
            """CREATE TABLE llm_messages (
                id TEXT PRIMARY KEY,
                conversation_id TEXT NOT NULL REFERENCES llm_conversations(id) ON DELETE CASCADE,
                seq INTEGER NOT NULL,
                role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
                content TEXT NOT NULL,
                language TEXT NOT NULL DEFAULT '',
                intent TEXT NOT NULL DEFAULT '',
                recipe_ids TEXT NOT NULL DEFAULT '[]',
                created_at TEXT NOT NULL,
                UNIQUE (conversation_id, seq))""",
        ),
        postgresql=(
            """CREATE TABLE llm_conversations (
                id TEXT PRIMARY KEY,
                created_at TIMESTAMPTZ NOT NULL,
                updated_at TIMESTAMPTZ NOT NULL,
                last_seq INTEGER NOT NULL DEFAULT 0)""",
            """CREATE TABLE llm_messages (
                id TEXT PRIMARY KEY,
                conversation_id TEXT NOT NULL REFERENCES llm_conversations(id) ON DELETE CASCADE,
                seq INTEGER NOT NULL,
                role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
                content TEXT NOT NULL,
                language TEXT NOT NULL DEFAULT '',
                intent TEXT NOT NULL DEFAULT '',
                recipe_ids TEXT NOT NULL DEFAULT '[]',
                created_at TIMESTAMPTZ NOT NULL,
                UNIQUE (conversation_id, seq))""",
        ),
    ),
    Migration(
        2,
        "retention index",
        sqlite=("CREATE INDEX llm_conversations_updated_at ON llm_conversations (updated_at)",),
        postgresql=("CREATE INDEX llm_conversations_updated_at ON llm_conversations (updated_at)",),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version
