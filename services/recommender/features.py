"""Per-recipe matching features, precomputed at build time and memory-mapped at serving time.

Filters (time, tags, diets, excluded ingredients) and pantry coverage run over candidate
rows on every call, and over the whole catalog in degraded mode. Parsing ingredient lines
per call would cost seconds at 230k recipes, so ``write_bundle`` stores, as flat arrays:

* ``minutes`` (-1 when unknown) and the catalog ``ids``;
* tags as CSR (``tag_ptr``/``tag_ids``) over a tag vocabulary;
* inverted indexes key -> recipes (``key_ptr``/``key_rows``) and tag -> recipes
  (``tag_row_ptr``/``tag_rows``), so that whole-catalog masks (pantry candidates, tight
  filters) read a few postings instead of scanning every line;
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
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa

from services.recommender.ingredients import IngredientQuery, is_basic, line_keys
from services.recommender.text import TEXT_VERSION, fold

# Bump when the feature layout or the matching rules change; older bundles are re-featurised.
FEATURES_VERSION = 4 * 1000 + TEXT_VERSION

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
    "key_ptr",
    "key_rows",
    "tag_row_ptr",
    "tag_rows",
)
FEATURE_FILES = (*[f"{a}.npy" for a in _ARRAYS], "vocab.json")
# Written when the catalog has them (bundles do): the popularity signal, read without pyarrow.
OPTIONAL_ARRAYS = ("popularity", "bayesian")


def canonical_tag(tag: str) -> str:
    """'Gluten-Free' / 'gluten free' -> 'gluten-free'."""
    return "-".join(fold(tag).split())


@lru_cache(maxsize=500_000)
def _keys(line: str) -> frozenset[str]:
    return line_keys(line)


@lru_cache(maxsize=500_000)
def _basic(line: str) -> bool:
    return is_basic(line)


def _column(catalog: pa.Table, name: str, dtype: type[np.generic]) -> np.ndarray | None:
    if name not in catalog.column_names:
        return None
    return np.asarray(catalog.column(name).to_numpy(zero_copy_only=False), dtype=dtype)


def _invert(values: np.ndarray, owners: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR value -> distinct owners (ascending), from parallel (value, owner) arrays."""
    order = np.lexsort((owners, values))
    values, owners = values[order], owners[order]
    if len(values):
        keep = np.ones(len(values), dtype=bool)
        keep[1:] = (values[1:] != values[:-1]) | (owners[1:] != owners[:-1])
        values, owners = values[keep], owners[keep]
    ptr = np.zeros(size + 1, dtype=np.int64)
    ptr[1:] = np.cumsum(np.bincount(values, minlength=size))
    return ptr, owners.astype(np.int32)


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
    key_ptr: np.ndarray
    key_rows: np.ndarray
    tag_row_ptr: np.ndarray
    tag_rows: np.ndarray
    tag_vocab: list[str]
    key_vocab: list[str]
    version: int = FEATURES_VERSION
    popularity: np.ndarray | None = None
    bayesian: np.ndarray | None = None

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
        # The smallest integer types that fit: these arrays are read at random, and their size
        # is resident memory once a few hundred calls have touched them.
        line_keys = np.asarray(keys_flat, dtype=np.uint16 if len(key_vocab) < 2**16 else np.int32)
        line_key_ptr_array = np.asarray(line_key_ptr, dtype=np.int32 if len(keys_flat) < 2**31 else np.int64)
        line_recipe_array = np.asarray(line_recipe, dtype=np.int32)
        key_owner = np.repeat(line_recipe_array, np.diff(line_key_ptr_array))
        key_ptr, key_rows = _invert(line_keys, key_owner, len(key_vocab))
        tags_array = np.asarray(tag_ids, dtype=np.int16 if len(tag_vocab) < 2**15 else np.int32)
        tag_owner = np.repeat(np.arange(n, dtype=np.int32), np.diff(tag_ptr))
        tag_row_ptr, tag_rows = _invert(tags_array, tag_owner, len(tag_vocab))
        return cls(
            ids=ids,
            minutes=minutes,
            tag_ptr=tag_ptr,
            tag_ids=tags_array,
            line_ptr=line_ptr,
            line_key_ptr=line_key_ptr_array,
            line_keys=line_keys,
            line_basic=np.asarray(basic, dtype=bool),
            line_recipe=line_recipe_array,
            key_ptr=key_ptr,
            key_rows=key_rows,
            tag_row_ptr=tag_row_ptr,
            tag_rows=tag_rows,
            tag_vocab=sorted(tag_vocab, key=tag_vocab.__getitem__),
            key_vocab=sorted(key_vocab, key=key_vocab.__getitem__),
            popularity=_column(catalog, "popularity", np.float32),
            bayesian=_column(catalog, "bayesian_average", np.float32),
        )

    # -- persistence ------------------------------------------------------------------------
    def save(self, directory: Path) -> list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        for name in _ARRAYS:
            np.save(directory / f"{name}.npy", getattr(self, name))
        optional = [name for name in OPTIONAL_ARRAYS if getattr(self, name) is not None]
        for name in optional:
            np.save(directory / f"{name}.npy", getattr(self, name))
        meta = {"version": self.version, "tags": self.tag_vocab, "keys": self.key_vocab}
        (directory / "vocab.json").write_text(json.dumps(meta, ensure_ascii=False))
        return [directory / f for f in FEATURE_FILES] + [directory / f"{name}.npy" for name in optional]

    @classmethod
    def load(cls, directory: Path) -> CatalogFeatures:
        meta = json.loads((directory / "vocab.json").read_text())
        # Plain ndarray views of the memory maps: same pages, without np.memmap's per-item cost.
        arrays = {name: np.asarray(np.load(directory / f"{name}.npy", mmap_mode="r")) for name in _ARRAYS}
        for name in OPTIONAL_ARRAYS:
            if (directory / f"{name}.npy").exists():
                arrays[name] = np.load(directory / f"{name}.npy")
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
        if len(self.key_ptr) != len(self.key_vocab) + 1 or int(self.key_ptr[-1]) != len(self.key_rows):
            raise ValueError("features: key postings disagree with the key vocabulary")
        if len(self.tag_row_ptr) != len(self.tag_vocab) + 1 or int(self.tag_row_ptr[-1]) != len(self.tag_rows):
            raise ValueError("features: tag postings disagree with the tag vocabulary")
        for name in OPTIONAL_ARRAYS:
            values = getattr(self, name)
            if values is not None and len(values) != n:
                raise ValueError(f"features: {name} covers {len(values)} recipes, expected {n}")

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
        if kid is not None:
            mask[self.key_rows[int(self.key_ptr[kid]) : int(self.key_ptr[kid + 1])]] = True
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
        if tid is not None:
            mask[self.tag_rows[int(self.tag_row_ptr[tid]) : int(self.tag_row_ptr[tid + 1])]] = True
        return mask

    @property
    def nbytes(self) -> int:
        return int(sum(getattr(self, name).nbytes for name in _ARRAYS))
