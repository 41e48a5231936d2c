"""The served languages and their conversions between proto enums and ISO codes."""

from __future__ import annotations

from typing import Literal

from recipes.common.v1 import common_pb2

Lang = Literal["es", "en"]
SERVED: tuple[Lang, ...] = ("es", "en")
DEFAULT_LANG: Lang = "es"

_TO_PB = {"es": common_pb2.LANGUAGE_ES, "en": common_pb2.LANGUAGE_EN}
_FROM_PB: dict[int, Lang] = {common_pb2.LANGUAGE_ES: "es", common_pb2.LANGUAGE_EN: "en"}
NAMES = {"es": "Spanish", "en": "English"}


def to_pb(lang: Lang) -> common_pb2.Language:
    return _TO_PB[lang]


def from_pb(value: int) -> Lang | None:
    """The ISO code of a proto Language; None for LANGUAGE_UNSPECIFIED."""
    return _FROM_PB.get(value)


def from_code(code: str) -> Lang | None:
    """'es', 'ES', 'es-AR' -> 'es'; unknown codes -> None."""
    base = code.strip().lower().split("-")[0].split("_")[0]
    return base if base in _TO_PB else None  # type: ignore[return-value]


def other(lang: Lang) -> Lang:
    return "en" if lang == "es" else "es"
