"""Filters and pantry coverage, compiled once per call and evaluated on arrays of rows.

The user's words become key ids of the bundle's feature vocabulary once per call; then the
checks are numpy operations over the CSR arrays of the candidate rows (a few hundred rows
per call) or, when a tight filter leaves too few candidates, over the whole catalog.

Semantics:
* ``max_minutes``: recipes with unknown time fail (we cannot promise them).
* diet tags (vegan, vegetarian, gluten-free, dairy-free, egg-free, nut-free) are decided from
  ingredients: a recipe qualifies when it has no forbidden concept, tagged or not. Ingredient
  evidence wins over a wrong tag.
* other tags (breakfast, desserts, ...) must be present on the recipe.
* ``include_ingredients``: each must occur; ``exclude_ingredients``: none may occur. Terms
  match through concepts (plurals, Spanish and English names, groups such as "lácteos").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from services.recommender.features import CatalogFeatures
from services.recommender.ingredients import DIET_FORBIDDEN, IngredientQuery, is_basic
from services.recommender.query import Filters, canonical_tags


def _key_alternatives(features: CatalogFeatures, query: IngredientQuery, prefix: str = "c") -> list[list[int]] | None:
    """Key-id conjunctions satisfying ``query``; None when the term can never match."""
    alternatives = []
    for conjunction in query.key_alternatives(prefix):
        ids = [features.key_index.get(k) for k in conjunction]
        if all(i is not None for i in ids):
            alternatives.append([int(i) for i in ids if i is not None])
    return alternatives or None


@dataclass
class Gathered:
    """Line keys of a set of rows, flattened: ``keys[i]`` belongs to line ``line[i]`` of row ``owner[i]``."""

    rows: np.ndarray
    keys: np.ndarray
    owner: np.ndarray
    line: np.ndarray  # global line index


def csr_gather(ptr: np.ndarray, values: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(values of items, item position of each value) for CSR ``ptr``/``values``."""
    starts = np.asarray(ptr[items], dtype=np.int64)
    ends = np.asarray(ptr[items + 1], dtype=np.int64)
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=values.dtype), np.zeros(0, dtype=np.int64)
    owner = np.repeat(np.arange(len(items), dtype=np.int64), lengths)
    offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.asarray(values[np.repeat(starts, lengths) + offsets]), owner


def csr_ranges(ptr: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions ``ptr[i]..ptr[i+1]`` of every item, concatenated, and the item of each."""
    starts = np.asarray(ptr[items], dtype=np.int64)
    lengths = np.asarray(ptr[items + 1], dtype=np.int64) - starts
    total = int(lengths.sum())
    owner = np.repeat(np.arange(len(items), dtype=np.int64), lengths)
    offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts, lengths) + offsets, owner


def gather_keys(features: CatalogFeatures, rows: np.ndarray) -> Gathered:
    rows = np.asarray(rows, dtype=np.int64)
    lines, line_owner = csr_ranges(features.line_ptr, rows)
    keys, key_line_pos = csr_gather(features.line_key_ptr, features.line_keys, lines)
    return Gathered(rows=rows, keys=keys, owner=line_owner[key_line_pos], line=lines[key_line_pos])


@dataclass
class CompiledFilters:
    """Filters bound to one bundle's vocabularies."""

    features: CatalogFeatures
    filters: Filters
    forbidden_keys: np.ndarray = field(init=False)
    required: list[list[list[int]] | None] = field(init=False)
    required_tags: list[int | None] = field(init=False)
    diets: list[str] = field(init=False)
    _multi_excludes: list[list[int]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        f = self.features
        forbidden: set[int] = set()
        for term in self.filters.exclude_ingredients:
            for conjunction in _key_alternatives(f, IngredientQuery.parse(term)) or []:
                if len(conjunction) == 1:
                    forbidden.add(conjunction[0])
                else:
                    # Multi-word unknown term: handled like a required-absent conjunction.
                    self._multi_excludes.append(conjunction)
        self.diets = [t for t in self.filters.tags if t in DIET_FORBIDDEN]
        for diet in self.diets:
            for concept in DIET_FORBIDDEN[diet]:
                kid = f.key_index.get(f"c:{concept}")
                if kid is not None:
                    forbidden.add(kid)
        self.forbidden_keys = np.asarray(sorted(forbidden), dtype=np.int32)
        self.required = [
            _key_alternatives(f, IngredientQuery.parse(t)) for t in self.filters.include_ingredients if t.strip()
        ]
        self.required_tags = [f.tag_index.get(t) for t in self.filters.tags if t not in DIET_FORBIDDEN]

    @classmethod
    def compile(cls, features: CatalogFeatures, filters: Filters) -> CompiledFilters:
        normalised = Filters(
            max_minutes=filters.max_minutes,
            tags=canonical_tags(filters.tags),
            include_ingredients=list(filters.include_ingredients),
            exclude_ingredients=list(filters.exclude_ingredients),
        )
        return cls(features, normalised)

    @property
    def active(self) -> bool:
        return not self.filters.empty

    def passes(self, rows: np.ndarray) -> np.ndarray:
        """Boolean mask over ``rows``: which recipes satisfy every filter."""
        rows = np.asarray(rows, dtype=np.int64)
        ok = np.ones(len(rows), dtype=bool)
        if not self.active or len(rows) == 0:
            return ok
        f = self.features
        if self.filters.max_minutes > 0:
            minutes = np.asarray(f.minutes[rows])
            ok &= (minutes >= 0) & (minutes <= self.filters.max_minutes)
        for tag_id in self.required_tags:
            if tag_id is None:
                return np.zeros(len(rows), dtype=bool)
            tags, owner = csr_gather(f.tag_ptr, f.tag_ids, rows)
            has = np.zeros(len(rows), dtype=bool)
            has[owner[tags == tag_id]] = True
            ok &= has
        if len(self.forbidden_keys) or self.required or self._multi_excludes:
            gathered = gather_keys(f, rows)
            if len(self.forbidden_keys):
                bad = np.isin(gathered.keys, self.forbidden_keys)
                ok[np.unique(gathered.owner[bad])] = False
            for conjunction in self._multi_excludes:
                ok &= ~self._has_all(gathered, conjunction, len(rows))
            for alternatives in self.required:
                if alternatives is None:
                    return np.zeros(len(rows), dtype=bool)
                has = np.zeros(len(rows), dtype=bool)
                for conjunction in alternatives:
                    has |= self._has_all(gathered, conjunction, len(rows))
                ok &= has
        return ok

    @staticmethod
    def _has_all(gathered: Gathered, conjunction: Sequence[int], n: int) -> np.ndarray:
        result = np.ones(n, dtype=bool)
        for key in conjunction:
            present = np.zeros(n, dtype=bool)
            present[gathered.owner[gathered.keys == key]] = True
            result &= present
        return result

    def reasons(self, row: int) -> list[str]:
        """Human-readable reasons a single recipe fails (for Rerank's ``excluded_reason``)."""
        f = self.features
        out: list[str] = []
        if self.filters.max_minutes > 0:
            minutes = int(f.minutes[row])
            if minutes < 0 or minutes > self.filters.max_minutes:
                known = f"{minutes} min" if minutes >= 0 else "unknown time"
                out.append(f"takes {known}, limit {self.filters.max_minutes} min")
        tags = f.tags_of(row)
        for tag in self.filters.tags:
            if tag not in DIET_FORBIDDEN and tag not in tags:
                out.append(f"not tagged {tag}")
        keys = f.keys_of(row)
        for term in self.filters.exclude_ingredients:
            if IngredientQuery.parse(term).matches(keys):
                out.append(f"contains {term}")
        for diet in self.diets:
            if any(f"c:{c}" in keys for c in DIET_FORBIDDEN[diet]):
                out.append(f"not {diet}")
        for term in self.filters.include_ingredients:
            if not IngredientQuery.parse(term).matches(keys):
                out.append(f"lacks {term}")
        return out

    def catalog_mask(self) -> np.ndarray:
        """The filters over the whole catalog (used when candidates run out), from the
        inverted key and tag postings: no scan of every ingredient line."""
        f = self.features
        mask = np.ones(f.num_recipes, dtype=bool)
        if not self.active:
            return mask
        if self.filters.max_minutes > 0:
            minutes = np.asarray(f.minutes)
            mask &= (minutes >= 0) & (minutes <= self.filters.max_minutes)
        for tag_id in self.required_tags:
            if tag_id is None:
                return np.zeros(f.num_recipes, dtype=bool)
            mask &= f.rows_with_tag(f.tag_vocab[tag_id])
        for key in self.forbidden_keys.tolist():
            mask &= ~f.rows_with_key(f.key_vocab[key])
        for conjunction in self._multi_excludes:
            mask &= ~self._rows_with_all(conjunction)
        for alternatives in self.required:
            if alternatives is None:
                return np.zeros(f.num_recipes, dtype=bool)
            has = np.zeros(f.num_recipes, dtype=bool)
            for conjunction in alternatives:
                has |= self._rows_with_all(conjunction)
            mask &= has
        return mask

    def _rows_with_all(self, conjunction: Sequence[int]) -> np.ndarray:
        f = self.features
        result = np.ones(f.num_recipes, dtype=bool)
        for key in conjunction:
            result &= f.rows_with_key(f.key_vocab[key])
        return result


@dataclass
class PantryMatcher:
    """How well a pantry fits recipes: which ingredient lines it covers (basics always count
    as covered) and how many of its items each recipe uses."""

    features: CatalogFeatures
    items: list[str]
    alternatives: list[list[list[int]]] = field(init=False)
    countable: int = field(init=False)

    def __post_init__(self) -> None:
        self.alternatives = [
            alt for alt in (_key_alternatives(self.features, IngredientQuery.parse(i), "p") for i in self.items) if alt
        ]
        # "sal" or "aceite" in a pantry say nothing: basics are assumed anyway.
        self.countable = sum(1 for item in self.items if not is_basic(item))

    @property
    def active(self) -> bool:
        return bool(self.items)

    def candidate_rows(self, limit: int, allowed: np.ndarray | None = None) -> np.ndarray:
        """Recipes using the most pantry items (ties: any order), at most ``limit``."""
        n = self.features.num_recipes
        counts = np.zeros(n, dtype=np.int32)
        for alternatives in self.alternatives:
            mask = np.zeros(n, dtype=bool)
            for conjunction in alternatives:
                part = np.ones(n, dtype=bool)
                for key in conjunction:
                    part &= self.features.rows_with_key(self.features.key_vocab[key])
                mask |= part
            counts += mask
        if allowed is not None:
            counts[~allowed] = 0
        nonzero = int(np.count_nonzero(counts))
        if nonzero == 0:
            return np.zeros(0, dtype=np.int64)
        limit = min(limit, nonzero)
        top = np.argpartition(-counts, limit - 1)[:limit]
        return top[np.argsort(-counts[top], kind="stable")].astype(np.int64)

    def coverage(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
        """Per row: the covered share of non-basic lines, the share of (non-basic) pantry items
        the recipe uses, and the local indexes of its uncovered lines."""
        rows = np.asarray(rows, dtype=np.int64)
        f = self.features
        gathered = gather_keys(f, rows)
        owner_of_line = dict(zip(gathered.line.tolist(), gathered.owner.tolist(), strict=True))
        covered_lines: set[int] = set()
        used = np.zeros((len(rows), max(1, len(self.alternatives))), dtype=bool)
        for item, alternatives in enumerate(self.alternatives):
            for conjunction in alternatives:
                hit_lines: set[int] | None = None
                for key in conjunction:
                    lines = set(gathered.line[gathered.keys == key].tolist())
                    hit_lines = lines if hit_lines is None else hit_lines & lines
                for line in hit_lines or set():
                    covered_lines.add(line)
                    used[owner_of_line[line], item] = True
        usage = np.minimum(used.sum(axis=1) / max(1, self.countable), 1.0).astype(np.float32)
        result = np.zeros(len(rows), dtype=np.float32)
        missing: list[list[int]] = []
        for i, row in enumerate(rows.tolist()):
            first, last = int(f.line_ptr[row]), int(f.line_ptr[row + 1])
            needed = [line for line in range(first, last) if not bool(f.line_basic[line])]
            uncovered = [line - first for line in needed if line not in covered_lines]
            result[i] = 1.0 if not needed else (len(needed) - len(uncovered)) / len(needed)
            missing.append(uncovered)
        return result, usage, missing
