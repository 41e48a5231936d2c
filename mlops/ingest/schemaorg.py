"""schema.org ``Recipe`` as JSON or JSON-LD: one object, a list, an ``@graph``, a folder of files,
``<script type="application/ld+json">`` blocks in saved HTML pages, and the flat JSON that
recipe-scrapers produces (``title``, ``instructions_list``, ``ratings`` ...).

schema.org data is loose: durations are ISO 8601 (``PT1H30M``), instructions are strings,
``HowToStep`` or ``HowToSection`` objects, nutrition values carry units ("143 kcal", "629 mg"),
keywords are a comma string or a list. Everything is mapped to the catalog schema; what cannot be
mapped becomes null and is counted in the quality report.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mlops.ingest.parsing import clean_text, parse_date, parse_iso_duration_minutes
from mlops.ingest.quality import Issue, QualityReport
from mlops.ingest.records import CatalogBuilder, cuisine_from_tags

JSON_SUFFIXES = {".json", ".jsonld"}
HTML_SUFFIXES = {".html", ".htm", ".testhtml"}
_LD_SCRIPT = re.compile(r"<script[^>]*application/ld\+json[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")

# schema.org NutritionInformation -> catalog column, and the unit the column is in.
NUTRIENTS = {
    "calories": ("calories_kcal", "kcal"),
    "proteinContent": ("protein_g", "g"),
    "fatContent": ("fat_g", "g"),
    "saturatedFatContent": ("saturated_fat_g", "g"),
    "carbohydrateContent": ("carbohydrates_g", "g"),
    "sugarContent": ("sugar_g", "g"),
    "fiberContent": ("fiber_g", "g"),
    "sodiumContent": ("sodium_mg", "mg"),
}


def stable_id(key: str) -> int:
    """A 48-bit id from the recipe's URL (or host + name): stable across runs, and still exact
    as a JSON number in JavaScript clients (< 2^53)."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=6).digest(), "big")


def iter_files(path: Path) -> Iterator[Path]:
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file() and child.suffix.lower() in JSON_SUFFIXES | HTML_SUFFIXES:
                yield child
    else:
        yield path


def _documents(path: Path) -> list[Any]:
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix.lower() in HTML_SUFFIXES:
        return [json.loads(block) for block in _LD_SCRIPT.findall(text)]
    return [json.loads(text)]


def _is_recipe_type(value: Any) -> bool:
    types = value if isinstance(value, list) else [value]
    return any(isinstance(t, str) and t.rsplit("/", 1)[-1] == "Recipe" for t in types)


def find_recipes(node: Any) -> Iterator[dict[str, Any]]:
    """Every Recipe object in a JSON document: top level, lists, @graph, nested mainEntity."""
    if isinstance(node, list):
        for item in node:
            yield from find_recipes(item)
    elif isinstance(node, dict):
        if _is_recipe_type(node.get("@type")):
            yield node
        elif "@type" not in node and "title" in node and "ingredients" in node:
            yield _from_recipe_scrapers(node)
        else:
            for key in ("@graph", "mainEntity", "itemListElement", "item"):
                if key in node:
                    yield from find_recipes(node[key])


def _from_recipe_scrapers(doc: dict[str, Any]) -> dict[str, Any]:
    """recipe-scrapers' flat output -> the schema.org shape, so one mapper serves both."""
    nutrients = doc.get("nutrients") or {}
    return {
        "@type": "Recipe",
        "name": doc.get("title"),
        "description": doc.get("description"),
        "recipeIngredient": doc.get("ingredients") or [],
        "recipeInstructions": doc.get("instructions_list") or doc.get("instructions") or [],
        "recipeCategory": doc.get("category"),
        "recipeCuisine": doc.get("cuisine"),
        "keywords": doc.get("keywords"),
        "totalTime": doc.get("total_time"),
        "recipeYield": doc.get("yields"),
        "inLanguage": doc.get("language"),
        "url": doc.get("canonical_url"),
        "nutrition": nutrients,
        "aggregateRating": {"ratingValue": doc.get("ratings"), "ratingCount": doc.get("ratings_count")}
        if doc.get("ratings") is not None
        else None,
        "_host": doc.get("host"),
    }


def _texts(value: Any) -> list[str]:
    """Flatten strings, HowToStep/HowToSection objects and lists into clean text lines."""
    if value is None:
        return []
    if isinstance(value, str):
        return [t for t in (clean_text(line) for line in re.split(r"\n+", value)) if t]
    if isinstance(value, list):
        return [t for item in value for t in _texts(item)]
    if isinstance(value, dict):
        if "itemListElement" in value:
            return _texts(value["itemListElement"])
        return _texts(value.get("text") or value.get("name"))
    return [clean_text(str(value))]


def _labels(*values: Any) -> list[str]:
    """Categories, cuisines and keywords as Food.com-style tags ("Main Dish" -> "main-dish")."""
    out: list[str] = []
    for value in values:
        items = value if isinstance(value, list) else re.split(r"[,;]", value) if isinstance(value, str) else []
        for item in items:
            tag = re.sub(r"[^\w]+", "-", str(item).strip().lower()).strip("-")
            if tag and tag not in out:
                out.append(tag)
    return out


def _first_number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, list) and value:
        return _first_number(value[0])
    if isinstance(value, str) and (m := _NUMBER.search(value)):
        return float(m.group().replace(",", "."))
    return None


def _nutrient(value: Any, unit: str) -> float | None:
    number = _first_number(value)
    if number is None:
        return None
    text = str(value).lower()
    if unit == "mg" and re.search(r"\d\s*g\b", text) and "mg" not in text:
        return number * 1000  # sodium given in grams
    if unit == "g" and "mg" in text:
        return number / 1000
    if unit == "kcal" and "kj" in text and "kcal" not in text:
        return number / 4.184
    return number


def _minutes(recipe: dict[str, Any]) -> int | None:
    total = recipe.get("totalTime")
    if isinstance(total, int | float) and not isinstance(total, bool):
        return int(total)
    if isinstance(total, str) and total:
        return parse_iso_duration_minutes(total)
    parts = [parse_iso_duration_minutes(recipe[k]) for k in ("prepTime", "cookTime") if isinstance(recipe.get(k), str)]
    known = [p for p in parts if p is not None]
    return sum(known) if known else None


def _language(value: Any) -> str:
    return value.split("-")[0].lower() if isinstance(value, str) and value else "en"


def read_schema_org(path: Path, report: QualityReport, builder: CatalogBuilder) -> int:
    """Append every Recipe found under ``path``; returns the number of recipes read."""
    files = list(iter_files(path))
    unreadable: list[Issue] = []
    incomplete: list[Issue] = []
    no_recipe: list[Issue] = []
    repeated: list[Issue] = []
    seen: set[int] = set()
    found = 0
    for file in files:
        try:
            documents = _documents(file)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            unreadable.append(Issue(str(file), getattr(exc, "lineno", None), None, f"invalid JSON: {exc}"))
            continue
        recipes = [r for doc in documents for r in find_recipes(doc)]
        if not recipes:
            no_recipe.append(Issue(str(file), None, None, "no schema.org Recipe found"))
        for index, recipe in enumerate(recipes):
            found += 1
            problem = _add(recipe, builder, file, index, seen)
            if isinstance(problem, Issue):
                (repeated if problem.column == "url" else incomplete).append(problem)
    report.inputs.append({"path": str(path), "format": "schema.org Recipe JSON", "files": len(files), "recipes": found})
    report.record(
        "unreadable_json",
        "every JSON file parses",
        "fail" if unreadable else "pass",
        unreadable,
        total=len(files),
        threshold="0 files",
    )
    report.record(
        "files_without_recipe",
        "every file holds a Recipe",
        "warn" if no_recipe else "pass",
        no_recipe,
        total=len(files),
    )
    report.record(
        "repeated_recipes",
        "a recipe (same URL) appears once; repeats are skipped",
        "warn" if repeated else "pass",
        repeated,
        total=found,
    )
    report.gate(
        "incomplete_recipes",
        "recipes have a name, ingredients and instructions (others are dropped)",
        rate=len(incomplete) / found if found else 0.0,
        total=found,
        max_rate=0.05,
        examples=incomplete,
    )
    return found


def _add(recipe: dict[str, Any], builder: CatalogBuilder, file: Path, index: int, seen: set[int]) -> Issue | None:
    name = clean_text(str(recipe.get("name") or recipe.get("headline") or ""))
    ingredients = _texts(recipe.get("recipeIngredient") or recipe.get("ingredients"))
    steps = _texts(recipe.get("recipeInstructions"))
    where = f"{file}#{index}" if index else str(file)
    if not name or not ingredients or not steps:
        missing = "name" if not name else "recipeIngredient" if not ingredients else "recipeInstructions"
        return Issue(where, None, missing, "missing; recipe dropped")
    url = recipe.get("url") or recipe.get("@id")
    url = url if isinstance(url, str) and url else None
    host = recipe.get("_host") or (re.sub(r"^https?://(www\.)?", "", url).split("/")[0] if url else "unknown")
    rid = stable_id(url or f"{host}/{name}")
    if rid in seen:
        return Issue(where, None, "url", "same recipe already read; skipped", url)
    seen.add(rid)
    tags = _labels(recipe.get("recipeCategory"), recipe.get("recipeCuisine"), recipe.get("keywords"))
    cuisine_value = recipe.get("recipeCuisine")
    cuisine = cuisine_from_tags(tags) or (
        _labels(cuisine_value)[0] if isinstance(cuisine_value, str) and _labels(cuisine_value) else None
    )
    nutrition_raw = recipe.get("nutrition")
    nutrition_raw = nutrition_raw if isinstance(nutrition_raw, dict) else {}
    nutrition = {column: _nutrient(nutrition_raw.get(key), unit) for key, (column, unit) in NUTRIENTS.items()}
    rating = recipe.get("aggregateRating")
    rating = rating if isinstance(rating, dict) else {}
    average = _first_number(rating.get("ratingValue")) if rating else None
    count = _first_number(rating.get("ratingCount") or rating.get("reviewCount")) if rating else None
    servings = _first_number(recipe.get("recipeYield"))
    published = recipe.get("datePublished")
    try:
        submitted = parse_date(published[:10]) if isinstance(published, str) and published else None
    except ValueError:
        submitted = None
    minutes = _minutes(recipe)
    builder.add(
        id=rid,
        name=name,
        description=clean_text(str(recipe.get("description") or "")),
        ingredients=ingredients,
        steps=steps,
        minutes=minutes if minutes is not None and minutes > 0 else None,
        tags=tags,
        **nutrition,
        servings=int(servings) if servings and servings >= 1 else None,
        cuisine=cuisine,
        language=_language(recipe.get("inLanguage")),
        localized=[],
        submitted=submitted,
        contributor_id=None,
        source=f"schema.org:{host}",
        url=url,
        rating_average=average if average and 0 < average <= 5 else None,
        rating_count=int(count) if average and count else (1 if average else None),
    )
    return None
