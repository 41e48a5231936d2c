"""What the conversation store promises, whichever database is behind it.

- A message is acknowledged (returned) only after its transaction committed.
- Messages of one conversation get gap-free sequence numbers allocated in the same
  transaction as the insert, under a row lock on the conversation: concurrent writers, in
  one process or many, never collide or reorder.
- When the database is unreachable every call raises :class:`StoreUnavailable` (mapped to
  gRPC UNAVAILABLE with a clear message): nothing is ever dropped silently.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from services.common.errors import Unavailable


class StoreUnavailable(Unavailable):
    """The conversation store cannot be reached or failed mid-transaction."""


@dataclass(frozen=True)
class Conversation:
    id: str
    created_at: datetime
    updated_at: datetime
    last_seq: int = 0


@dataclass(frozen=True)
class Message:
    id: str
    conversation_id: str
    seq: int
    role: str  # "user" | "assistant"
    content: str
    created_at: datetime
    language: str = ""
    intent: str = ""
    recipe_ids: list[int] = field(default_factory=list)


class ConversationStore(abc.ABC):
    """Async facade; implementations run blocking drivers in worker threads."""

    kind: str

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect and apply pending migrations; raises StoreUnavailable when unreachable."""

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def create_conversation(self) -> Conversation: ...

    @abc.abstractmethod
    async def get_conversation(self, conversation_id: str) -> Conversation | None:
        """None when unknown or past retention."""

    @abc.abstractmethod
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
        """Commit one message with the next sequence number; NotFound for an unknown conversation."""

    @abc.abstractmethod
    async def messages(self, conversation_id: str, *, last: int | None = None) -> list[Message]:
        """Messages in order; ``last`` keeps only the most recent ones (still in order)."""

    @abc.abstractmethod
    async def delete_conversation(self, conversation_id: str) -> bool: ...

    @abc.abstractmethod
    async def purge_older_than(self, cutoff: datetime) -> int:
        """Delete conversations not updated since ``cutoff``; returns how many."""

    @abc.abstractmethod
    async def schema_version(self) -> int: ...
