"""LLM backends behind one interface: ``openai`` (any OpenAI-compatible server) and ``local``."""

from services.llm.backends.base import (
    BackendError,
    ChatPrompt,
    GroundingRecipe,
    InvalidOutput,
    LlmBackend,
    MealItemGuess,
    TranslationItem,
)

__all__ = [
    "BackendError",
    "ChatPrompt",
    "GroundingRecipe",
    "InvalidOutput",
    "LlmBackend",
    "MealItemGuess",
    "TranslationItem",
]
