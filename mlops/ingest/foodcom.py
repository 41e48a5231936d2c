"""Food.com ``RAW_recipes.csv`` / ``RAW_interactions.csv`` exactly as Kaggle ships them, plus the
bundled catalog's optional columns (``name_es``, ``description_es``, ``ingredients_es``,
``steps_es``, ``cuisine``, ``servings``).

Quirks handled (each counted in the quality report): Python-literal lists, ``minutes`` up to
2^31-1, missing names and descriptions, dates as ISO, ``M/D/YYYY`` or ``YYYY/M/D``, HTML entities
and tags in reviews, and rating 0, which means "reviewed without a rating".
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from mlops.ingest.parsing import (
    MAX_PLAUSIBLE_MINUTES,
    clean_text,
    parse_date,
    parse_int,
    parse_number_list,
    parse_str_list,
)
from mlops.ingest.quality import Issue, QualityReport
from mlops.ingest.records import CatalogBuilder, cuisine_from_tags
from services.recommender.catalog import nutrition_from_foodcom

RECIPE_COLUMNS = (
    "name",
    "id",
    "minutes",
    "contributor_id",
    "submitted",
    "tags",
    "nutrition",
    "n_steps",
    "steps",
    "description",
    "ingredients",
    "n_ingredients",
)
INTERACTION_COLUMNS = ("user_id", "recipe_id", "date", "rating", "review")
LOCALIZED_SUFFIX = "_es"
# Rows that cannot be parsed are dropped and reported; above this share the input is rejected.
MAX_BAD_ROW_RATE = 0.005
INTERACTIONS_SCHEMA = pa.schema(
    [
        ("user_id", pa.int64()),
        ("recipe_id", pa.int64()),
        ("date", pa.string()),
        ("rating", pa.int8()),  # 0 = reviewed without a rating
        ("review", pa.string()),
    ]
)


class CsvFormatError(ValueError):
    """The file cannot be read as the expected CSV at all (wrong header, not CSV)."""


@dataclass
class CsvRows:
    """A CSV's header and the rows whose field count matches it, by column name."""

    columns: dict[str, list[str]]
    total: int  # records in the file, malformed ones included

    def __len__(self) -> int:
        return self.total


def _read_csv(path: Path, report: QualityReport) -> CsvRows:
    """Read with the csv module, which follows quoted newlines as Kaggle's files need.

    A record whose field count differs from the header (typically an unbalanced quote that
    swallowed the next lines) is reported with its row and line and left out.
    """
    csv.field_size_limit(2**31 - 1)
    malformed: list[Issue] = []
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            header = [h.strip() for h in next(reader, [])]
            rows: list[list[str]] = []
            total = 0
            for total, record in enumerate(reader, start=1):
                if len(record) == len(header):
                    rows.append(record)
                elif record:
                    malformed.append(
                        Issue(
                            str(path),
                            total + 1,
                            None,
                            f"{len(record)} fields where the header has {len(header)} "
                            f"(ends at line {reader.line_num}; unbalanced quote?)",
                        )
                    )
                    rows.append([])  # keeps row numbers aligned; skipped by readers
    except UnicodeDecodeError as exc:
        raise CsvFormatError(f"{path}: not UTF-8 ({exc})") from exc
    except csv.Error as exc:
        raise CsvFormatError(f"{path}: not a readable CSV: {exc}") from exc
    report.gate(
        "malformed_rows",
        "every CSV record has the header's number of fields (others are dropped)",
        rate=len(malformed) / total if total else 0.0,
        total=total,
        max_rate=MAX_BAD_ROW_RATE,
        examples=malformed,
    )
    columns: dict[str, list[str]] = {h: [] for h in header}
    for record in rows:
        for name, value in zip(header, record or [""] * len(header), strict=True):
            columns[name].append(value)
    valid = [bool(r) for r in rows]
    columns["__valid__"] = ["1" if v else "" for v in valid]
    return CsvRows(columns, total)


def sniff_kind(path: Path) -> str | None:
    """'recipes', 'interactions' or None, from the header line alone."""
    with path.open(encoding="utf-8", errors="replace") as fh:
        header = {h.strip() for h in fh.readline().strip().split(",")}
    if {"id", "name", "ingredients", "steps"} <= header:
        return "recipes"
    if {"user_id", "recipe_id", "rating"} <= header:
        return "interactions"
    return None


def _require_columns(frame: CsvRows, path: Path, required: tuple[str, ...], report: QualityReport) -> bool:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        report.record(
            "schema",
            "the file has every column of its format",
            "fail",
            [Issue(str(path), 1, c, "required column is missing from the header") for c in missing],
        )
        return False
    report.record("schema", "the file has every column of its format", "pass")
    return True


class _RowErrors:
    """Collects parse failures per column; a row with any failure is dropped."""

    def __init__(self, path: Path, report: QualityReport) -> None:
        self.path = str(path)
        self.report = report
        self.issues: list[Issue] = []

    def parse(self, func: Callable[[Any], Any], cell: Any, row: int, column: str) -> Any:
        try:
            return func(cell)
        except (ValueError, SyntaxError, MemoryError) as exc:
            text = str(cell)
            shown = text if len(text) <= 80 else text[:77] + "..."
            self.issues.append(Issue(self.path, row, column, f"cannot parse: {exc}", shown))
            raise _BadRow from None

    def flush(self, total: int) -> None:
        self.report.gate(
            "parse_errors",
            "every cell parses in its column's format (rows that do not are dropped)",
            rate=len(self.issues) / total if total else 0.0,
            total=total,
            max_rate=MAX_BAD_ROW_RATE,
            examples=self.issues,
        )


class _BadRow(Exception):
    pass


def read_recipes(path: Path, report: QualityReport, builder: CatalogBuilder, *, source: str) -> int:
    """Append the file's recipes to ``builder``; returns the number of rows read."""
    frame = _read_csv(path, report)
    report.inputs.append({"path": str(path), "format": "food.com RAW_recipes", "rows": len(frame)})
    if not _require_columns(frame, path, RECIPE_COLUMNS, report):
        return 0
    errors = _RowErrors(path, report)
    file = str(path)
    has_es = all(f"{c}{LOCALIZED_SUFFIX}" in frame.columns for c in ("name", "ingredients", "steps"))
    minutes_outliers: list[Issue] = []
    missing_name: list[Issue] = []
    missing_description: list[Issue] = []
    count_mismatch: list[Issue] = []
    empty_lists: list[Issue] = []
    missing_es: list[Issue] = []
    cols = frame.columns
    valid = cols["__valid__"]
    for i in range(len(frame)):
        if not valid[i]:
            continue
        row = i + 2  # spreadsheet numbering: header is row 1
        cell = {c: v[i] for c, v in cols.items()}
        try:
            rid = errors.parse(parse_int, cell["id"], row, "id")
            minutes = errors.parse(parse_int, cell["minutes"], row, "minutes")
            contributor = errors.parse(parse_int, cell["contributor_id"], row, "contributor_id")
            submitted = errors.parse(parse_date, cell["submitted"], row, "submitted")
            tags = errors.parse(parse_str_list, cell["tags"], row, "tags")
            nutrition_values = errors.parse(parse_number_list, cell["nutrition"], row, "nutrition")
            nutrition = errors.parse(nutrition_from_foodcom, nutrition_values, row, "nutrition")
            steps = errors.parse(parse_str_list, cell["steps"], row, "steps")
            ingredients = errors.parse(parse_str_list, cell["ingredients"], row, "ingredients")
            n_steps = errors.parse(parse_int, cell["n_steps"], row, "n_steps")
            n_ingredients = errors.parse(parse_int, cell["n_ingredients"], row, "n_ingredients")
            localized = _localized(cell, row, errors) if has_es else []
        except _BadRow:
            continue
        name = clean_text(cell["name"])
        if not name:
            missing_name.append(Issue(file, row, "name", "empty name; named after its ingredients"))
            name = ("untitled " + ", ".join(ingredients[:3])).strip() if ingredients else f"untitled recipe {rid}"
        description = clean_text(cell["description"])
        if not description:
            missing_description.append(Issue(file, row, "description", "empty description"))
        if minutes < 0 or minutes > MAX_PLAUSIBLE_MINUTES:
            minutes_outliers.append(Issue(file, row, "minutes", "implausible; stored as unknown", str(minutes)))
            minutes = None
        if n_steps != len(steps) or n_ingredients != len(ingredients):
            count_mismatch.append(
                Issue(file, row, "n_steps" if n_steps != len(steps) else "n_ingredients", "count differs from list")
            )
        if not ingredients or not steps:
            empty_lists.append(Issue(file, row, "ingredients" if not ingredients else "steps", "empty list"))
        if has_es and not localized:
            missing_es.append(Issue(file, row, "name_es", "no Spanish text"))
        servings = cell.get("servings", "").strip()
        cuisine = cell.get("cuisine", "").strip().lower() or cuisine_from_tags(tags)
        builder.add(
            id=rid,
            name=name,
            description=description,
            ingredients=[clean_text(x) for x in ingredients],
            steps=[clean_text(x) for x in steps],
            minutes=minutes,
            tags=tags,
            **nutrition,
            servings=int(servings) if servings.isdigit() else None,
            cuisine=cuisine,
            language="en",
            localized=localized,
            submitted=submitted,
            contributor_id=contributor,
            source=source,
            url=f"https://www.food.com/recipe/{rid}" if source == "food.com" else None,
        )
    total = len(frame)
    errors.flush(total)
    gates: list[tuple[str, str, list[Issue], float]] = [
        ("minutes_outliers", "minutes within 0..30 days", minutes_outliers, 0.02),
        ("missing_name", "recipes have a name", missing_name, 0.01),
        ("missing_description", "recipes have a description", missing_description, 0.10),
        ("empty_ingredients_or_steps", "recipes list ingredients and steps", empty_lists, 0.01),
        ("count_mismatch", "n_steps / n_ingredients match their lists", count_mismatch, 0.05),
    ]
    if has_es:
        gates.append(("missing_spanish", "every bundled recipe carries Spanish text", missing_es, 0.0))
    for name, description, issues, max_rate in gates:
        report.gate(name, description, rate=_rate(issues, total), total=total, max_rate=max_rate, examples=issues)
    return total


def _rate(issues: list[Issue], total: int) -> float:
    return len(issues) / total if total else 0.0


def _localized(cell: dict[str, str], row: int, errors: _RowErrors) -> list[dict[str, Any]]:
    name = clean_text(cell.get("name_es", ""))
    if not name:
        return []
    ingredients = cell.get("ingredients_es", "").strip()
    steps = cell.get("steps_es", "").strip()
    return [
        {
            "language": "es",
            "name": name,
            "description": clean_text(cell.get("description_es", "")),
            "ingredients": errors.parse(parse_str_list, ingredients, row, "ingredients_es") if ingredients else [],
            "steps": errors.parse(parse_str_list, steps, row, "steps_es") if steps else [],
        }
    ]


def read_interactions(path: Path, report: QualityReport) -> pa.Table:
    """Parse RAW_interactions; bad rows are reported and dropped."""
    frame = _read_csv(path, report)
    report.inputs.append({"path": str(path), "format": "food.com RAW_interactions", "rows": len(frame)})
    if not _require_columns(frame, path, INTERACTION_COLUMNS, report):
        return INTERACTIONS_SCHEMA.empty_table()
    errors = _RowErrors(path, report)
    out: dict[str, list[Any]] = {c: [] for c in INTERACTION_COLUMNS}
    users, recipes, dates, ratings, reviews = (frame.columns[c] for c in INTERACTION_COLUMNS)
    valid = frame.columns["__valid__"]
    for i in range(len(frame)):
        if not valid[i]:
            continue
        row = i + 2
        try:
            user = errors.parse(parse_int, users[i], row, "user_id")
            recipe = errors.parse(parse_int, recipes[i], row, "recipe_id")
            date = errors.parse(parse_date, dates[i], row, "date")
            rating = errors.parse(_parse_rating, ratings[i], row, "rating")
        except _BadRow:
            continue
        out["user_id"].append(user)
        out["recipe_id"].append(recipe)
        out["date"].append(date)
        out["rating"].append(rating)
        out["review"].append(clean_text(reviews[i]))
    errors.flush(len(frame))
    return pa.table(out, schema=INTERACTIONS_SCHEMA)


def _parse_rating(cell: str) -> int:
    value = parse_int(cell)
    if not 0 <= value <= 5:
        raise ValueError("rating must be 0..5 (0 = no rating)")
    return value
