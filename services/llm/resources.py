"""Loaders for the local backend's data tables (``services/llm/resources/``).

The tables are plain files so that a cook, not a programmer, can extend them:
- ``glossary.tsv``: en, es, category, es_variants, en_variants ("|"-separated variants);
- ``nutrition.csv``: per-100 g USDA figures with Spanish/English names, piece weights, density;
- ``substitutions.csv``: ingredient swaps with ratios and notes in both languages;
- ``daily_values.json``: the daily values %DV is computed against.

A malformed row fails loudly at start-up (with file and line), never silently at request time.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

RESOURCES_DIR = Path(__file__).resolve().parent / "resources"

NUTRIENTS = (
    "calories_kcal",
    "protein_g",
    "fat_g",
    "saturated_fat_g",
    "carbohydrates_g",
    "sugar_g",
    "fiber_g",
    "sodium_mg",
)
# nutrition.csv says "kcal" where the proto says "calories_kcal".
_CSV_NUTRIENT_COLUMNS = {"calories_kcal": "kcal"}


class ResourceError(ValueError):
    """A data table is missing or malformed; the message names the file and line."""


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split("|") if v.strip())


def _float(value: str | None, where: str, default: float | None = None) -> float | None:
    text = (value or "").strip()
    if not text:
        return default
    try:
        return float(text)
    except ValueError as exc:
        raise ResourceError(f"{where}: {text!r} is not a number") from exc


@dataclass(frozen=True)
class GlossaryEntry:
    en: str
    es: str
    category: str
    es_variants: tuple[str, ...] = ()
    en_variants: tuple[str, ...] = ()


@dataclass(frozen=True)
class Food:
    """One row of the nutrition table; nutrients are per 100 g."""

    key: str
    name_en: str
    name_es: str
    per_100g: dict[str, float]
    aliases_en: tuple[str, ...] = ()
    aliases_es: tuple[str, ...] = ()
    piece_g: float | None = None
    piece_names_en: tuple[str, ...] = ()
    piece_names_es: tuple[str, ...] = ()
    grams_per_cup: float | None = None
    usda_description: str = ""

    def name(self, lang: str) -> str:
        return self.name_es if lang == "es" else self.name_en


@dataclass(frozen=True)
class Substitution:
    ingredient_en: str
    ingredient_es: str
    substitute_en: str
    substitute_es: str
    ratio_en: str
    ratio_es: str
    notes_en: str
    notes_es: str
    good_for: tuple[str, ...] = ()

    def ingredient(self, lang: str) -> str:
        return self.ingredient_es if lang == "es" else self.ingredient_en

    def substitute(self, lang: str) -> str:
        return self.substitute_es if lang == "es" else self.substitute_en

    def ratio(self, lang: str) -> str:
        return self.ratio_es if lang == "es" else self.ratio_en

    def notes(self, lang: str) -> str:
        return self.notes_es if lang == "es" else self.notes_en


@dataclass(frozen=True)
class Resources:
    glossary: list[GlossaryEntry]
    foods: list[Food]
    substitutions: list[Substitution]
    daily_values: dict[str, float]
    sources: dict[str, str] = field(default_factory=dict)


def _open_rows(path: Path, delimiter: str, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    if not path.is_file():
        raise ResourceError(f"{path}: missing")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise ResourceError(f"{path}: header lacks {missing}")
        return [(i + 2, row) for i, row in enumerate(reader)]


def load_glossary(path: Path) -> list[GlossaryEntry]:
    rows = _open_rows(path, "\t", ("en", "es", "category", "es_variants", "en_variants"))
    entries = []
    for line, row in rows:
        en, es = (row.get("en") or "").strip(), (row.get("es") or "").strip()
        if not en or not es:
            raise ResourceError(f"{path}:{line}: en and es are required")
        entries.append(
            GlossaryEntry(
                en=en,
                es=es,
                category=(row.get("category") or "").strip(),
                es_variants=_split(row.get("es_variants")),
                en_variants=_split(row.get("en_variants")),
            )
        )
    return entries


def load_foods(path: Path) -> list[Food]:
    columns = ("key", "name_en", "name_es", *(_CSV_NUTRIENT_COLUMNS.get(n, n) for n in NUTRIENTS))
    foods = []
    seen: set[str] = set()
    for line, row in _open_rows(path, ",", columns):
        where = f"{path}:{line}"
        key = (row.get("key") or "").strip()
        if not key or key in seen:
            raise ResourceError(f"{where}: key {key!r} is empty or repeated")
        seen.add(key)
        per_100g = {n: _float(row.get(_CSV_NUTRIENT_COLUMNS.get(n, n)), f"{where} {n}", 0.0) or 0.0 for n in NUTRIENTS}
        foods.append(
            Food(
                key=key,
                name_en=(row.get("name_en") or "").strip(),
                name_es=(row.get("name_es") or "").strip(),
                per_100g=per_100g,
                aliases_en=_split(row.get("aliases_en")),
                aliases_es=_split(row.get("aliases_es")),
                piece_g=_float(row.get("piece_g"), f"{where} piece_g"),
                piece_names_en=_split(row.get("piece_names_en")),
                piece_names_es=_split(row.get("piece_names_es")),
                grams_per_cup=_float(row.get("grams_per_cup"), f"{where} grams_per_cup"),
                usda_description=(row.get("usda_description") or "").strip(),
            )
        )
    return foods


def load_substitutions(path: Path) -> list[Substitution]:
    columns = ("ingredient_en", "ingredient_es", "substitute_en", "substitute_es", "ratio_en", "ratio_es")
    out = []
    for line, row in _open_rows(path, ",", columns):
        values = {k: (v or "").strip() for k, v in row.items() if k}
        if not values.get("ingredient_en") or not values.get("substitute_en"):
            raise ResourceError(f"{path}:{line}: ingredient_en and substitute_en are required")
        out.append(
            Substitution(
                ingredient_en=values["ingredient_en"],
                ingredient_es=values.get("ingredient_es", "") or values["ingredient_en"],
                substitute_en=values["substitute_en"],
                substitute_es=values.get("substitute_es", "") or values["substitute_en"],
                ratio_en=values.get("ratio_en", ""),
                ratio_es=values.get("ratio_es", ""),
                notes_en=values.get("notes_en", ""),
                notes_es=values.get("notes_es", ""),
                good_for=_split(values.get("good_for")),
            )
        )
    return out


def load_daily_values(path: Path) -> dict[str, float]:
    if not path.is_file():
        raise ResourceError(f"{path}: missing")
    raw = json.loads(path.read_text(encoding="utf-8"))
    values: dict[str, float] = {}
    for name in NUTRIENTS:
        value = raw.get(name)
        if not isinstance(value, int | float) or value <= 0:
            raise ResourceError(f"{path}: {name} must be a positive number")
        values[name] = float(value)
    return values


def load_resources(directory: str | Path = "") -> Resources:
    """Read every table from ``directory`` (the bundled one by default)."""
    base = Path(directory) if directory else RESOURCES_DIR
    daily_path = base / "daily_values.json"
    return Resources(
        glossary=load_glossary(base / "glossary.tsv"),
        foods=load_foods(base / "nutrition.csv"),
        substitutions=load_substitutions(base / "substitutions.csv"),
        daily_values=load_daily_values(daily_path),
        sources={"daily_values": str(json.loads(daily_path.read_text(encoding="utf-8")).get("_source", ""))},
    )
