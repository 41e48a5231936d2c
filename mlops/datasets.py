"""Loaders for the labelled evaluation files, validated line by line with the line named on error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator


class EvalQuery(BaseModel):
    """One line of ``data/eval/queries.jsonl``."""

    id: str
    lang: Literal["es", "en"]
    query: str = Field(min_length=1)
    pair_id: str | None = None
    relevance: dict[int, int]
    tags: list[str] = []

    @field_validator("relevance")
    @classmethod
    def _grades(cls, value: dict[int, int]) -> dict[int, int]:
        bad = {k: v for k, v in value.items() if not 1 <= v <= 3}
        if bad:
            raise ValueError(f"grades must be 1..3, got {bad}")
        if not value:
            raise ValueError("needs at least one relevant recipe")
        return value


class DatasetError(ValueError):
    pass


def read_jsonl(path: Path, model: type[BaseModel]) -> list[Any]:
    if not path.exists():
        raise DatasetError(f"{path} does not exist")
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(model.model_validate(json.loads(line)))
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}, line {number}: invalid JSON ({exc})") from exc
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "(line)"
            raise DatasetError(f"{path}, line {number}, field {field!r}: {first['msg']}") from exc
    return items


def load_queries(path: Path) -> list[EvalQuery]:
    queries: list[EvalQuery] = read_jsonl(path, EvalQuery)
    seen: set[str] = set()
    for q in queries:
        if q.id in seen:
            raise DatasetError(f"{path}: query id {q.id!r} appears twice")
        seen.add(q.id)
    return queries


def query_pairs(queries: list[EvalQuery]) -> list[tuple[EvalQuery, EvalQuery]]:
    """Spanish/English pairs expressing the same need.

    ``pair_id`` may name a shared group ("p001" on both lines) or the other query's id; both
    conventions are accepted. Only es/en couples count.
    """
    by_id = {q.id: q for q in queries}
    groups: dict[str, list[EvalQuery]] = {}
    for q in queries:
        if not q.pair_id:
            continue
        key = q.pair_id
        if key in by_id:  # points at the other query: group under the smaller id
            key = min(q.id, key)
        groups.setdefault(key, [])
        if q not in groups[key]:
            groups[key].append(q)
        if q.pair_id in by_id and by_id[q.pair_id] not in groups[key]:
            groups[key].append(by_id[q.pair_id])
    pairs = []
    for members in groups.values():
        es = [m for m in members if m.lang == "es"]
        en = [m for m in members if m.lang == "en"]
        pairs += [(a, b) for a in es for b in en]
    return pairs
