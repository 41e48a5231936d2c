"""Per-recipe matching features, precomputed at build time and memory-mapped at serving time.

Filters (time, tags, diets, excluded ingredients) and pantry coverage run over candidate
rows on every call, and over the whole catalog in degraded mode. Parsing ingredient lines
per call would cost seconds at 230k recipes, so ``write_bundle`` stores, as flat arrays:

* ``minutes`` (-1 when unknown) and the catalog ``ids``;
* tags as CSR (``tag_ptr``/``tag_ids``) over a tag vocabulary;
* ingredient lines as CSR per recipe (``line_ptr``), and per line its matching keys
  (``line_key_ptr``/``line_keys``, see ``ingredients.line_keys``), whether it is left out of
  pantry coverage (``line_basic``: salt, pepper, oil, water), and its recipe (``line_recipe``).

A line merges the keys of the primary ingredient and of its localized translation when the
lists align, so "palta" and "avocado" both match a bilingual recipe.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from services.recommender.ingredients import IngredientQuery, is_basic, line_keys
from services.recommender.text import TEXT_VERSION, fold

# Bump when the feature layout or the matching rules change; older bundles are re-featurised.
FEATURES_VERSION = 2 * 1000 + TEXT_VERSION

_ARRAYS = (
    "ids",
    "minutes",
    "tag_ptr",
    "tag_ids",
    "line_ptr",
    "line_key_ptr",
    "line_keys",
    "line_basic",
    "line_recipe",
)
FEATURE_FILES = (*[f"{a}.npy" for a in _ARRAYS], "vocab.json")


def canonical_tag(tag: str) -> str:
    """'Gluten-Free' / 'gluten free' -> 'gluten-free'."""
    return "-".join(fold(tag).split())


@lru_cache(maxsize=500_000)
def _keys(line: str) -> frozenset[str]:
    return line_keys(line)


@lru_cache(maxsize=500_000)
def _basic(line: str) -> bool:
    return is_basic(line)


@dataclass
class CatalogFeatures:
    ids: np.ndarray
    minutes: np.ndarray
    tag_ptr: np.ndarray
    tag_ids: np.ndarray
    line_ptr: np.ndarray
    line_key_ptr: np.ndarray
    line_keys: np.ndarray
    line_basic: np.ndarray
    line_recipe: np.ndarray
    tag_vocab: list[str]
    key_vocab: list[str]
    version: int = FEATURES_VERSION

    def __post_init__(self) -> None:
        self.tag_index = {t: i for i, t in enumerate(self.tag_vocab)}
        self.key_index = {k: i for i, k in enumerate(self.key_vocab)}

    @property
    def num_recipes(self) -> int:
        return len(self.ids)

    # -- build ------------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        catalog: pa.Table,
        progress: Callable[[int], None] | None = None,
        columns: dict[str, list[Any]] | None = None,
    ) -> CatalogFeatures:
        """Featurise a catalog. ``columns`` may carry ``tags``, ``ingredients`` and
        ``localized`` already converted to Python lists (the writer shares them)."""
        n = catalog.num_rows
        ids = np.asarray(catalog.column("id").to_numpy(zero_copy_only=False), dtype=np.int64)
        minutes_col = catalog.column("minutes").to_numpy(zero_copy_only=False)
        minutes = np.where(np.isnan(minutes_col.astype(np.float64)), -1, minutes_col).astype(np.int32)
        columns = columns or {}
        tags_col = columns.get("tags") or catalog.column("tags").to_pylist()
        ingredients_col = columns.get("ingredients") or catalog.column("ingredients").to_pylist()
        localized_col = columns.get("localized") or catalog.column("localized").to_pylist()

        tag_vocab: dict[str, int] = {}
        key_vocab: dict[str, int] = {}
        tag_ptr = np.zeros(n + 1, dtype=np.int64)
        tag_ids: list[int] = []
        line_ptr = np.zeros(n + 1, dtype=np.int64)
        line_key_ptr: list[int] = [0]
        keys_flat: list[int] = []
        basic: list[bool] = []
        line_recipe: list[int] = []
        tag_cache: dict[str, int] = {}
        # (primary line, translated line) -> key ids; lines repeat a lot across a catalog.
        line_cache: dict[tuple[str, str], tuple[int, ...]] = {}

        def line_ids(primary: str, other: str) -> tuple[int, ...]:
            cached = line_cache.get((primary, other))
            if cached is None:
                keys = _keys(primary).union(*(_keys(part) for part in other.split("\n") if part))
                cached = tuple(key_vocab.setdefault(k, len(key_vocab)) for k in sorted(keys))
                line_cache[(primary, other)] = cached
            return cached

        for row in range(n):
            seen_tags: set[int] = set()
            for raw in tags_col[row] or []:
                if not raw:
                    continue
                tid = tag_cache.get(raw)
                if tid is None:
                    tid = tag_cache[raw] = tag_vocab.setdefault(canonical_tag(raw), len(tag_vocab))
                if tid not in seen_tags:
                    seen_tags.add(tid)
                    tag_ids.append(tid)
            tag_ptr[row + 1] = len(tag_ids)
            primary = list(ingredients_col[row] or [])
            aligned = [""] * len(primary)
            extra: list[str] = []
            for loc in localized_col[row] or []:
                other = list(loc.get("ingredients") or [])
                if len(other) == len(primary):
                    aligned = [f"{a}\n{o}" if a else o for a, o in zip(aligned, other, strict=True)]
                else:
                    extra.extend(other)
            for line, other_text in zip(primary, aligned, strict=True):
                keys_flat.extend(line_ids(line, other_text))
                line_key_ptr.append(len(keys_flat))
                basic.append(_basic(line))
                line_recipe.append(row)
            if extra:
                # An unaligned translation is not an ingredient line of its own: its keys count
                # for exclusions, and it never counts for pantry coverage, like a basic.
                keys_flat.extend(line_ids("", "\n".join(extra)))
                line_key_ptr.append(len(keys_flat))
                basic.append(True)
                line_recipe.append(row)
            line_ptr[row + 1] = len(basic)
            if progress and row % 1000 == 0:
                progress(row)
        return cls(
            ids=ids,
            minutes=minutes,
            tag_ptr=tag_ptr,
            tag_ids=np.asarray(tag_ids, dtype=np.int32),
            line_ptr=line_ptr,
            line_key_ptr=np.asarray(line_key_ptr, dtype=np.int64),
            line_keys=np.asarray(keys_flat, dtype=np.int32),
            line_basic=np.asarray(basic, dtype=bool),
            line_recipe=np.asarray(line_recipe, dtype=np.int32),
            tag_vocab=sorted(tag_vocab, key=tag_vocab.__getitem__),
            key_vocab=sorted(key_vocab, key=key_vocab.__getitem__),
        )

    # -- persistence ------------------------------------------------------------------------
    def save(self, directory: Path) -> list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        for name in _ARRAYS:
            np.save(directory / f"{name}.npy", getattr(self, name))
        meta = {"version": self.version, "tags": self.tag_vocab, "keys": self.key_vocab}
        (directory / "vocab.json").write_text(json.dumps(meta, ensure_ascii=False))
        return [directory / f for f in FEATURE_FILES]

    @classmethod
    def load(cls, directory: Path) -> CatalogFeatures:
        meta = json.loads((directory / "vocab.json").read_text())
        # Plain ndarray views of the memory maps: same pages, without np.memmap's per-item cost.
        arrays = {name: np.asarray(np.load(directory / f"{name}.npy", mmap_mode="r")) for name in _ARRAYS}
        features = cls(**arrays, tag_vocab=meta["tags"], key_vocab=meta["keys"], version=int(meta["version"]))
        features.check()
        return features

    def check(self) -> None:
        """Raise ValueError when the arrays disagree with each other."""
        n = len(self.ids)
        if len(self.minutes) != n or len(self.tag_ptr) != n + 1 or len(self.line_ptr) != n + 1:
            raise ValueError("features: per-recipe arrays have different lengths")
        lines = int(self.line_ptr[-1])
        if len(self.line_basic) != lines or len(self.line_recipe) != lines or len(self.line_key_ptr) != lines + 1:
            raise ValueError("features: per-line arrays disagree with line pointers")
        if int(self.line_key_ptr[-1]) != len(self.line_keys) or int(self.tag_ptr[-1]) != len(self.tag_ids):
            raise ValueError("features: flat arrays disagree with their pointers")

    # -- per-recipe access (candidates) -----------------------------------------------------
    def tags_of(self, row: int) -> set[str]:
        ids = self.tag_ids[int(self.tag_ptr[row]) : int(self.tag_ptr[row + 1])]
        return {self.tag_vocab[i] for i in ids}

    def lines_of(self, row: int) -> list[tuple[frozenset[str], bool]]:
        """(keys, is_basic) per ingredient line of a recipe."""
        out = []
        for line in range(int(self.line_ptr[row]), int(self.line_ptr[row + 1])):
            ids = self.line_keys[int(self.line_key_ptr[line]) : int(self.line_key_ptr[line + 1])]
            out.append((frozenset(self.key_vocab[i] for i in ids), bool(self.line_basic[line])))
        return out

    def keys_of(self, row: int) -> set[str]:
        start = int(self.line_key_ptr[int(self.line_ptr[row])])
        end = int(self.line_key_ptr[int(self.line_ptr[row + 1])])
        return {self.key_vocab[i] for i in self.line_keys[start:end]}

    # -- whole-catalog masks (degraded mode, tight filters) ---------------------------------
    def rows_with_key(self, key: str) -> np.ndarray:
        """Boolean mask of recipes having ``key`` on any ingredient line."""
        mask = np.zeros(self.num_recipes, dtype=bool)
        kid = self.key_index.get(key)
        if kid is None:
            return mask
        positions = np.flatnonzero(np.asarray(self.line_keys) == kid)
        if len(positions):
            lines = np.searchsorted(self.line_key_ptr, positions, side="right") - 1
            mask[self.line_recipe[lines]] = True
        return mask

    def rows_matching(self, query: IngredientQuery) -> np.ndarray:
        """Boolean mask of recipes that contain the ingredient the user named."""
        mask = np.zeros(self.num_recipes, dtype=bool)
        for conjunction in query.key_alternatives():
            part = np.ones(self.num_recipes, dtype=bool)
            for key in conjunction:
                part &= self.rows_with_key(key)
            mask |= part
        return mask

    def rows_with_tag(self, tag: str) -> np.ndarray:
        mask = np.zeros(self.num_recipes, dtype=bool)
        tid = self.tag_index.get(tag)
        if tid is None:
            return mask
        positions = np.flatnonzero(np.asarray(self.tag_ids) == tid)
        rows = np.searchsorted(self.tag_ptr, positions, side="right") - 1
        mask[rows] = True
        return mask

    @property
    def nbytes(self) -> int:
        return int(sum(getattr(self, name).nbytes for name in _ARRAYS))
