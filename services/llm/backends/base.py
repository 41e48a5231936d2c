"""The backend interface: what an LLM is asked to do, whichever LLM it is.

A backend never decides about retries or fallbacks (the router does). It raises
:class:`BackendError` for failures the router may retry or route around, and
:class:`InvalidOutput` when a response arrived but failed validation.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from recipes.common.v1 import common_pb2
from services.llm.languages import Lang
from services.llm.meal import MealAnalysis


class BackendError(Exception):
    """A backend call failed. ``reason`` is a metric label (timeout, server_error, ...)."""

    def __init__(self, reason: str, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.reason = reason
        self.retryable = retryable


class InvalidOutput(BackendError):
    """The backend answered, but the answer is not valid JSON of the expected shape."""

    def __init__(self, message: str) -> None:
        super().__init__("invalid_output", message, retryable=True)


@dataclass(frozen=True)
class TranslationItem:
    text: str
    source: Lang


@dataclass(frozen=True)
class MealItemGuess:
    """One food a backend read from free text; grams are computed from the table later."""

    text: str
    food: str
    quantity: float | None = None
    unit: str | None = None
    size: float = 1.0  # "large egg" = 1.25 pieces' weight


@dataclass(frozen=True)
class GroundingRecipe:
    """A catalog recipe as shown to the user (already in the reply language)."""

    id: int
    name: str
    description: str
    ingredients: list[str]
    steps: list[str]
    minutes: int
    servings: int
    rating: float
    rating_count: int
    tags: list[str]
    nutrition: dict[str, float]


@dataclass
class ChatPrompt:
    """Everything a backend needs to write one chat reply, gathered by the chat engine."""

    message: str
    lang: Lang
    intent: str
    history: list[tuple[str, str]] = field(default_factory=list)  # (role, content), oldest first
    recipes: list[GroundingRecipe] = field(default_factory=list)
    focus: common_pb2.Recipe | None = None  # ASK: the recipe asked about
    analysis: MealAnalysis | None = None  # ANALYSE: computed from the nutrition table
    catalog_unavailable: bool = False


class LlmBackend(abc.ABC):
    """One way of producing language: a hosted/self-hosted model or the local rules."""

    name: str
    model: str

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Open clients; the service is NOT_SERVING until every backend has started."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release clients."""

    @abc.abstractmethod
    async def translate(self, items: Sequence[TranslationItem], target: Lang, *, timeout: float) -> list[str]:
        """Translate every item into ``target`` in ONE call; same order and length."""

    @abc.abstractmethod
    async def answer_question(self, recipe: common_pb2.Recipe, question: str, lang: Lang, *, timeout: float) -> str:
        """Answer ``question`` about ``recipe`` in ``lang``, from the recipe's data only."""

    @abc.abstractmethod
    async def parse_meal(self, text: str, lang: Lang, *, timeout: float) -> list[MealItemGuess]:
        """Read the foods and amounts in a free-text meal description."""

    @abc.abstractmethod
    def chat(self, prompt: ChatPrompt, *, timeout: float) -> AsyncIterator[str]:
        """Stream the reply to one chat turn, piece by piece."""
