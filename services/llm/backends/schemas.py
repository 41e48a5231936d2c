"""Pydantic shapes of the JSON the openai backend must return; anything else is invalid."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class TranslationOut(_Out):
    id: int
    text: str


class TranslateOutput(_Out):
    translations: list[TranslationOut]


class AnswerOutput(_Out):
    answer: str = Field(min_length=1, max_length=8000)


class MealItemOut(_Out):
    text: str = ""
    food: str = Field(min_length=1, max_length=200)
    quantity: float | None = Field(default=None, ge=0, le=100_000)
    unit: str | None = Field(default=None, max_length=32)


class MealOutput(_Out):
    items: list[MealItemOut]
