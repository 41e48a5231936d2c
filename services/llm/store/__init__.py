"""The conversation store: SQLite by default, PostgreSQL when DATABASE_URL says so."""

from services.llm.store.base import Conversation, ConversationStore, Message, StoreUnavailable
from services.llm.store.sql import SqlConversationStore


def create_store(
    url: str, *, schema: str = "", pool_size: int = 4, connect_timeout: float = 3.0, retention_days: float = 0.0
) -> ConversationStore:
    return SqlConversationStore(
        url, schema=schema, pool_size=pool_size, connect_timeout=connect_timeout, retention_days=retention_days
    )


__all__ = ["Conversation", "ConversationStore", "Message", "SqlConversationStore", "StoreUnavailable", "create_store"]
