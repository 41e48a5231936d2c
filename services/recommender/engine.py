"""The ranking engine: one loaded bundle + an index + a query embedder, no gRPC.

The servicer translates protos to and from these dataclasses; ``mlops evaluate`` calls the
engine directly with an in-process embedder. One call of :meth:`RecommenderEngine.recommend`:

1. **understand**: parse constraints out of the query (``query.parse_query``), merge them with
   the explicit filters and the pantry;
2. **embed** the remaining semantic query under the embedder's deadline; on failure continue
   without it (degraded mode: lexical + popularity, ``degraded=True``);
3. **retrieve** a candidate pool of ``max(100, 10n)`` from the vector index, plus the best
   lexical matches and, in pantry mode, the recipes using most of the pantry;
4. **filter** the pool; if tight filters leave fewer than ``n``, search the filtered catalog;
5. **rank**: ``hybrid = alpha * relevance + (1 - alpha) * popularity`` with
   ``relevance = (1 - w_lex) * semantic + w_lex * lexical`` (w_lex = 0.2 by default, so the
   default alpha = 0.7 gives 0.56 semantic + 0.14 lexical + 0.3 popularity, the predecessor's
   0.7/0.3 blend with a lexical share taken from the semantic one). A query naming a
   quality the catalog tags ("saludable", "kid-friendly", "cena") adds
   ``w_pref * share of those tags present`` (w_pref = 0.1) to relevance: a boost, not a
   filter. In pantry mode
   ``hybrid = w_pantry * (coverage + usage) / 2 + (1 - w_pantry) * that``, where coverage is
   the share of the recipe's non-basic ingredients the pantry covers (reported as
   ``pantry_coverage``) and usage the share of the pantry's items the recipe uses: the best
   recipe needs nothing more and uses everything on hand. Near-duplicates are dropped.

Steps 3-5 run on the event loop, not in a worker thread. They are GIL-bound: usearch's search
holds the GIL (two threads searching run no faster than one), and the numpy work is on arrays
too small to release it for long. ``asyncio.to_thread`` therefore bought no parallelism, only
a thread hop and a GIL convoy between the loop and the worker. Measured through the gateway on
the bundled catalog: 175-195 rps at 32 in flight with it, 348-355 without, and at 4 in flight
p50 15.0 -> 11.2 ms, p99 86 -> 32 ms. At 230k a ranking holds the loop for about 5-7 ms, as the
worker thread held the GIL before. Loading and reloading bundles still happens off the loop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from opentelemetry import trace

from services.common.errors import InvalidArgument, NotFound, require
from services.recommender import metrics
from services.recommender.bundle import Bundle
from services.recommender.embedder import EmbeddingUnavailable, QueryEmbedder
from services.recommender.features import CatalogFeatures
from services.recommender.filters import CompiledFilters, PantryMatcher, csr_gather
from services.recommender.index import ExactIndex, VectorIndex
from services.recommender.ingredients import DIET_FORBIDDEN, line_keys
from services.recommender.lexical import document_terms, query_terms
from services.recommender.query import Filters, ParsedQuery, _union, canonical_tags, parse_query
from services.recommender.text import fold

log = logging.getLogger(__name__)
tracer = trace.get_tracer("services.recommender")

DEFAULT_N = 5
MAX_N = 50
DEFAULT_ALPHA = 0.7
MIN_POOL = 100
MAX_QUERY_CHARS = 1000
MAX_LIST_ITEMS = 50
MAX_TERM_CHARS = 100
MAX_RERANK_CANDIDATES = 500
MAX_BATCH_IDS = 500
BRUTE_FORCE_ROWS = 20_000
LEXICAL_CANDIDATE_MAX_DF = 0.02
DUPLICATE_COSINE = 0.985


@dataclass(frozen=True)
class RankingWeights:
    """Blend weights; see the module docstring."""

    lexical: float = 0.2
    pantry: float = 0.5
    preference: float = 0.1


@dataclass
class RecommendQuery:
    query: str
    n: int = 0  # 0 means DEFAULT_N
    alpha: float | None = None  # None means DEFAULT_ALPHA
    filters: Filters = field(default_factory=Filters)
    pantry: list[str] = field(default_factory=list)
    language: str = ""  # "es" | "en" | "" (unknown)


@dataclass
class ScoreBreakdown:
    hybrid: float
    semantic: float
    lexical: float
    popularity: float
    pantry_coverage: float = 0.0


@dataclass
class RankedRecipe:
    id: int
    row: int
    recipe: dict[str, Any]
    score: ScoreBreakdown
    missing_ingredients: list[str] = field(default_factory=list)


@dataclass
class RecommendResult:
    recipes: list[RankedRecipe]
    parsed: ParsedQuery
    degraded: bool
    degraded_reason: str
    model_version: str


@dataclass
class RerankCandidate:
    """Exactly one of ``recipe_id`` and ``text``."""

    recipe_id: int | None = None
    text: str | None = None


@dataclass
class RerankItem:
    index: int
    score: float
    breakdown: ScoreBreakdown
    excluded: bool = False
    excluded_reason: str = ""


@dataclass
class RerankResult:
    results: list[RerankItem]
    parsed: ParsedQuery
    degraded: bool
    model_version: str


def _check_terms(values: Sequence[str], field_name: str) -> None:
    require(len(values) <= MAX_LIST_ITEMS, field_name, f"at most {MAX_LIST_ITEMS} items, got {len(values)}")
    for i, value in enumerate(values):
        require(bool(value.strip()), f"{field_name}[{i}]", "must not be blank")
        require(len(value) <= MAX_TERM_CHARS, f"{field_name}[{i}]", f"at most {MAX_TERM_CHARS} characters")


def validate_alpha(alpha: float | None) -> float:
    if alpha is None:
        return DEFAULT_ALPHA
    require(bool(np.isfinite(alpha)) and 0.0 <= alpha <= 1.0, "alpha", f"must be within [0, 1], got {alpha}")
    return float(alpha)


def validate_n(n: int) -> int:
    require(0 <= n <= MAX_N, "n", f"must be within 1..{MAX_N} (0 means the default {DEFAULT_N}), got {n}")
    return n or DEFAULT_N


def validate_filters(filters: Filters) -> None:
    minutes = filters.max_minutes
    require(minutes >= 0, "filters.max_minutes", f"must be >= 0 (0 means no limit), got {minutes}")
    _check_terms(filters.tags, "filters.tags")
    _check_terms(filters.include_ingredients, "filters.include_ingredients")
    _check_terms(filters.exclude_ingredients, "filters.exclude_ingredients")


def _unit(vector: np.ndarray) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


class _Stage:
    """A span plus a stage-latency observation."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._span: Any = None

    def __enter__(self) -> _Stage:
        self._cm = tracer.start_as_current_span(self.name)
        self._span = self._cm.__enter__()
        self._t0 = time.perf_counter()
        return self

    def set(self, key: str, value: Any) -> None:
        self._span.set_attribute(f"recommender.{key}", value)

    def __exit__(self, *exc: Any) -> None:
        metrics.STAGE_SECONDS.labels(self.name).observe(time.perf_counter() - self._t0)
        self._cm.__exit__(*exc)


class RecommenderEngine:
    """Ranks one bundle's recipes. Immutable once built: a reload builds a new engine."""

    def __init__(
        self,
        bundle: Bundle,
        embedder: QueryEmbedder | None,
        *,
        index: VectorIndex | None = None,
        weights: RankingWeights = RankingWeights(),
    ) -> None:
        self.bundle = bundle
        self.embedder = embedder
        self.index: VectorIndex = index if index is not None else ExactIndex(bundle.vectors)
        self.weights = weights
        self.features: CatalogFeatures = bundle.features
        self._popular_order = np.argsort(-np.asarray(bundle.popularity), kind="stable")
        self._neutral_popularity = float(np.median(np.asarray(bundle.popularity))) if bundle.num_recipes else 0.5

    @property
    def model_version(self) -> str:
        return self.bundle.version

    # -- embedding ----------------------------------------------------------------------------
    def _model_mismatch(self) -> bool:
        if self.embedder is None:
            return False
        served, built = self.embedder.model, self.bundle.embedding_model
        return bool(served and built and served != built)

    async def _embed(self, text: str) -> tuple[np.ndarray | None, str]:
        """The query vector, or None and the reason the semantic signal is unavailable."""
        if self.embedder is None:
            return None, "no_embedder"
        if self._model_mismatch():
            return None, "embedding_model_mismatch"
        with _Stage("embed") as stage:
            try:
                vector = await self.embedder.embed_query(text)
            except EmbeddingUnavailable as exc:
                stage.set("degraded_reason", exc.reason)
                return None, exc.reason
        vector = np.asarray(vector, dtype=np.float32).reshape(-1)
        if vector.shape[0] != self.bundle.dims:
            log.error(
                "query vector dimensions differ from the bundle's",
                extra={"query_dims": int(vector.shape[0]), "bundle_dims": self.bundle.dims},
            )
            return None, "embedding_dims_mismatch"
        return _unit(vector), ""

    # -- helpers ------------------------------------------------------------------------------
    def effective_filters(self, parsed: ParsedQuery, explicit: Filters) -> Filters:
        """Parsed and explicit filters merged, tags in catalog spelling.

        Meal types read from the query ("postre") only filter when the catalog uses that tag;
        otherwise they stay a semantic hint. Explicit tags always filter.
        """
        known = set(self.features.tag_vocab)
        parsed_tags = [t for t in canonical_tags(parsed.filters.tags) if t not in parsed.soft_tags or t in known]
        mine = Filters(
            max_minutes=parsed.filters.max_minutes,
            tags=parsed_tags,
            exclude_ingredients=parsed.filters.exclude_ingredients,
            include_ingredients=parsed.filters.include_ingredients,
        )
        theirs = Filters(
            max_minutes=explicit.max_minutes,
            tags=canonical_tags(explicit.tags),
            include_ingredients=list(explicit.include_ingredients),
            exclude_ingredients=list(explicit.exclude_ingredients),
        )
        return mine.merged(theirs)

    def _popular(self, k: int, allowed: np.ndarray | None = None) -> np.ndarray:
        order = self._popular_order if allowed is None else self._popular_order[allowed[self._popular_order]]
        return np.asarray(order[:k], dtype=np.int64)

    def _semantic(self, rows: np.ndarray, vector: np.ndarray | None) -> np.ndarray:
        if vector is None or len(rows) == 0:
            return np.zeros(len(rows), dtype=np.float32)
        return np.clip(self._vectors(rows) @ vector, 0.0, 1.0)

    def recipe(self, row: int) -> dict[str, Any]:
        return self.bundle.recipe(row)

    # -- Recommend ----------------------------------------------------------------------------
    async def recommend(self, q: RecommendQuery) -> RecommendResult:
        started = time.perf_counter()
        require(len(q.query) <= MAX_QUERY_CHARS, "query", f"at most {MAX_QUERY_CHARS} characters, got {len(q.query)}")
        n = validate_n(q.n)
        alpha = validate_alpha(q.alpha)
        validate_filters(q.filters)
        _check_terms(q.pantry, "pantry")
        require(bool(q.query.strip()) or bool(q.pantry), "query", "must not be empty (or give a pantry)")

        parsed = parse_query(q.query, q.language)
        parsed.filters = self.effective_filters(parsed, q.filters)
        parsed.pantry = _union(list(q.pantry), parsed.pantry)
        text = parsed.semantic_query or ", ".join(parsed.pantry)
        vector, reason = await self._embed(text) if text else (None, "")
        degraded = bool(text) and vector is None
        ranked = self._rank(text, vector, parsed.filters, parsed.pantry, n, alpha, parsed.preferred_tags)

        mode = "degraded" if degraded else "pantry" if parsed.pantry else "semantic"
        if degraded:
            metrics.degraded(reason)
        metrics.RECOMMEND_SECONDS.labels(mode).observe(time.perf_counter() - started)
        metrics.RESULTS_RETURNED.observe(len(ranked))
        return RecommendResult(
            recipes=ranked,
            parsed=parsed,
            degraded=degraded,
            degraded_reason=reason if degraded else "",
            model_version=self.model_version,
        )

    def _candidates(
        self,
        vector: np.ndarray | None,
        terms: list[str],
        pantry: PantryMatcher,
        pool: int,
    ) -> np.ndarray:
        parts: list[np.ndarray] = []
        if vector is not None:
            rows, _ = self.index.search(vector, pool)
            parts.append(rows)
        if terms:
            # Beside a semantic pool, only distinctive words (in <= 2% of recipes) are worth a
            # lexical candidate list; alone (degraded mode) every word counts.
            if vector is None:
                rows, _ = self.bundle.lexical.top(terms, pool)
            else:
                rows, _ = self.bundle.lexical.top(terms, pool // 2, max_df=LEXICAL_CANDIDATE_MAX_DF)
            parts.append(rows)
        if pantry.active:
            parts.append(pantry.candidate_rows(pool))
        if sum(len(p) for p in parts) == 0:
            # Nothing to go on (a query made only of constraints, or a degraded call with no
            # lexical hit): the most popular recipes are the honest fallback.
            parts.append(self._popular(pool))
        return _unique(parts)

    def _expand(
        self,
        compiled: CompiledFilters,
        vector: np.ndarray | None,
        terms: list[str],
        pantry: PantryMatcher,
        pool: int,
    ) -> np.ndarray:
        """Candidates from the filtered catalog, for filters the pool could not satisfy."""
        mask = compiled.catalog_mask()
        allowed = np.flatnonzero(mask)
        if len(allowed) <= BRUTE_FORCE_ROWS:
            return allowed.astype(np.int64)
        parts: list[np.ndarray] = []
        if vector is not None:
            rows, _ = self.index.search(vector, min(self.bundle.num_recipes, pool * 16))
            parts.append(rows[mask[rows]])
        if terms:
            parts.append(self.bundle.lexical.top(terms, pool, allowed=mask)[0])
        if pantry.active:
            parts.append(pantry.candidate_rows(pool, allowed=mask))
        parts.append(self._popular(pool, mask))
        return _unique(parts)

    def _rank(
        self,
        text: str,
        vector: np.ndarray | None,
        filters: Filters,
        pantry_items: list[str],
        n: int,
        alpha: float,
        preferred: Sequence[str] = (),
    ) -> list[RankedRecipe]:
        pool = max(MIN_POOL, 10 * n)
        terms = query_terms(text) if text else []
        pantry = PantryMatcher(self.features, pantry_items)
        compiled = CompiledFilters.compile(self.features, filters)
        with _Stage("retrieve") as stage:
            rows = self._candidates(vector, terms, pantry, pool)
            stage.set("candidates", len(rows))
        with _Stage("filter") as stage:
            if compiled.active:
                rows = rows[compiled.passes(rows)]
                if len(rows) < n:
                    rows = _unique([rows, self._expand(compiled, vector, terms, pantry, pool)])
                    stage.set("expanded", True)
            stage.set("remaining", len(rows))
        with _Stage("rank"):
            return self._score_and_select(rows, vector, terms, pantry, n, alpha, preferred)

    def _score_and_select(
        self,
        rows: np.ndarray,
        vector: np.ndarray | None,
        terms: list[str],
        pantry: PantryMatcher,
        n: int,
        alpha: float,
        preferred: Sequence[str] = (),
    ) -> list[RankedRecipe]:
        if len(rows) == 0:
            return []
        vectors = self._vectors(rows)
        semantic = np.clip(vectors @ vector, 0.0, 1.0) if vector is not None else np.zeros(len(rows), np.float32)
        lexical = self.bundle.lexical.score_docs(terms, rows) if terms else np.zeros(len(rows), np.float32)
        popularity = np.asarray(self.bundle.popularity[rows], dtype=np.float32)
        w = self.weights
        relevance = (1 - w.lexical) * semantic + w.lexical * lexical if vector is not None else lexical
        tags = [self.features.tag_index[t] for t in preferred if t in self.features.tag_index]
        if tags:
            relevance = relevance + w.preference * _tag_share(self.features, rows, tags)
        hybrid = alpha * relevance + (1 - alpha) * popularity
        coverage = np.zeros(len(rows), dtype=np.float32)
        missing_lines: list[list[int]] = [[] for _ in range(len(rows))]
        if pantry.active:
            coverage, usage, missing_lines = pantry.coverage(rows)
            hybrid = w.pantry * (coverage + usage) / 2 + (1 - w.pantry) * hybrid
        order = np.lexsort((rows, -hybrid))  # ties: catalog order, for determinism
        chosen, recipes = self._diverse(rows, order, n, vectors=vectors)
        out = []
        for i, recipe in zip(chosen, recipes, strict=True):
            row = int(rows[i])
            ingredients = list(recipe.get("ingredients") or [])
            missing = [ingredients[j] for j in missing_lines[i] if j < len(ingredients)]
            out.append(
                RankedRecipe(
                    id=int(recipe["id"]),
                    row=row,
                    recipe=recipe,
                    score=ScoreBreakdown(
                        hybrid=float(hybrid[i]),
                        semantic=float(semantic[i]),
                        lexical=float(lexical[i]),
                        popularity=float(popularity[i]),
                        pantry_coverage=float(coverage[i]),
                    ),
                    missing_ingredients=missing,
                )
            )
        return out

    def _diverse(
        self,
        rows: np.ndarray,
        order: np.ndarray,
        n: int,
        exclude: np.ndarray | None = None,
        vectors: np.ndarray | None = None,
    ) -> tuple[list[int], list[dict[str, Any]]]:
        """The first ``n`` positions of ``order`` that are not near-duplicates of earlier ones,
        and their recipes.

        A near-duplicate has the same (folded) name or a cosine >= DUPLICATE_COSINE with a
        recipe already chosen (or with ``exclude``, e.g. the recipe Similar starts from).
        Recipes are fetched once per window of candidates; ``vectors`` (row-aligned with
        ``rows``) saves reading them again.
        """
        chosen: list[int] = []
        window = max(3 * n, n + 20)
        start = 0
        kept = np.empty((n + 1, self.bundle.dims), dtype=np.float32)
        count = 0
        if exclude is not None:
            kept[0] = np.asarray(exclude, dtype=np.float32).reshape(-1)
            count = 1
        names_seen: set[str] = set()
        while len(chosen) < n and start < len(order):
            positions = order[start : start + window]
            block = vectors[positions] if vectors is not None else self._vectors(rows[positions])
            names = [fold(name) for name in self.bundle.names(rows[positions])]
            for j, i in enumerate(positions.tolist()):
                if len(chosen) >= n:
                    break
                if names[j] and names[j] in names_seen:
                    continue
                if count and float(np.max(kept[:count] @ block[j])) >= DUPLICATE_COSINE:
                    continue
                chosen.append(i)
                kept[count] = block[j]
                count += 1
                names_seen.add(names[j])
            start += window
        return chosen, self.bundle.recipes(rows[chosen])

    def _vectors(self, rows: np.ndarray) -> np.ndarray:
        """float32 copies of the vectors of ``rows``, read without mapping the vector file."""
        return self.bundle.read_vectors(rows)

    # -- Rerank -------------------------------------------------------------------------------
    async def rerank(
        self, query: str, candidates: Sequence[RerankCandidate], alpha: float | None = None, language: str = ""
    ) -> RerankResult:
        require(bool(query.strip()), "query", "must not be empty")
        require(len(query) <= MAX_QUERY_CHARS, "query", f"at most {MAX_QUERY_CHARS} characters, got {len(query)}")
        require(len(candidates) > 0, "candidates", "must contain at least one candidate")
        require(
            len(candidates) <= MAX_RERANK_CANDIDATES,
            "candidates",
            f"at most {MAX_RERANK_CANDIDATES} candidates, got {len(candidates)}",
        )
        a = validate_alpha(alpha)
        for i, c in enumerate(candidates):
            if c.recipe_id is None and not (c.text or "").strip():
                raise InvalidArgument(f"candidates[{i}]", "needs a recipe_id or a non-blank text")
            if c.text is not None and len(c.text) > 20 * MAX_QUERY_CHARS:
                raise InvalidArgument(f"candidates[{i}].text", f"at most {20 * MAX_QUERY_CHARS} characters")

        parsed = parse_query(query, language)
        parsed.filters = self.effective_filters(parsed, Filters())
        text = parsed.semantic_query or query
        vector, reason = await self._embed(text)
        texts = [(i, c.text) for i, c in enumerate(candidates) if c.recipe_id is None and c.text]
        text_vectors: dict[int, np.ndarray] = {}
        if vector is not None and texts:
            try:
                embedded = await self.embedder.embed_documents([t for _, t in texts])  # type: ignore[union-attr]
                text_vectors = {i: _unit(v) for (i, _), v in zip(texts, embedded, strict=True)}
            except EmbeddingUnavailable as exc:
                reason = reason or exc.reason
        degraded = vector is None or (bool(texts) and not text_vectors)
        if degraded:
            metrics.degraded(reason or "embeddings_error")
        results = self._rerank_sync(candidates, parsed, text, vector, text_vectors, a)
        return RerankResult(results=results, parsed=parsed, degraded=degraded, model_version=self.model_version)

    def _rerank_sync(
        self,
        candidates: Sequence[RerankCandidate],
        parsed: ParsedQuery,
        text: str,
        vector: np.ndarray | None,
        text_vectors: dict[int, np.ndarray],
        alpha: float,
    ) -> list[RerankItem]:
        terms = query_terms(text)
        compiled = CompiledFilters.compile(self.features, parsed.filters)
        w = self.weights
        items: list[RerankItem] = []
        with _Stage("rank"):
            for i, candidate in enumerate(candidates):
                excluded, why = False, ""
                if candidate.recipe_id is not None:
                    row = self.bundle.row_of(int(candidate.recipe_id))
                    if row is None:
                        items.append(RerankItem(i, 0.0, ScoreBreakdown(0, 0, 0, 0), True, "unknown recipe id"))
                        continue
                    rows = np.asarray([row], dtype=np.int64)
                    semantic = float(self._semantic(rows, vector)[0])
                    lexical = float(self.bundle.lexical.score_docs(terms, rows)[0]) if terms else 0.0
                    popularity = float(self.bundle.popularity[row])
                    if compiled.active and not bool(compiled.passes(rows)[0]):
                        excluded, why = True, "; ".join(compiled.reasons(row))
                else:
                    body = candidate.text or ""
                    tv = text_vectors.get(i)
                    semantic = float(np.clip(tv @ vector, 0, 1)) if tv is not None and vector is not None else 0.0
                    lexical = self.bundle.lexical.score_text(terms, document_terms([body], [body])) if terms else 0.0
                    popularity = self._neutral_popularity
                    reasons = _text_violations(body, parsed.filters)
                    excluded, why = bool(reasons), "; ".join(reasons)
                relevance = (1 - w.lexical) * semantic + w.lexical * lexical if vector is not None else lexical
                score = alpha * relevance + (1 - alpha) * popularity
                items.append(RerankItem(i, score, ScoreBreakdown(score, semantic, lexical, popularity), excluded, why))
        items.sort(key=lambda r: (r.excluded, -r.score, r.index))
        return items

    # -- lookups ------------------------------------------------------------------------------
    def get_recipe(self, recipe_id: int) -> dict[str, Any]:
        row = self.bundle.row_of(recipe_id)
        if row is None:
            raise NotFound(f"recipe {recipe_id} is not in the catalog (model {self.model_version})")
        return self.recipe(row)

    def batch_get(self, ids: Sequence[int]) -> tuple[list[dict[str, Any]], list[int]]:
        require(len(ids) <= MAX_BATCH_IDS, "ids", f"at most {MAX_BATCH_IDS} ids, got {len(ids)}")
        rows: list[int] = []
        missing: list[int] = []
        for recipe_id in ids:
            row = self.bundle.row_of(int(recipe_id))
            if row is None:
                missing.append(int(recipe_id))
            else:
                rows.append(row)
        return self.bundle.recipes(rows), missing

    async def similar(self, recipe_id: int, n: int = 0) -> list[RankedRecipe]:
        count = validate_n(n)
        row = self.bundle.row_of(recipe_id)
        if row is None:
            raise NotFound(f"recipe {recipe_id} is not in the catalog (model {self.model_version})")
        return self._similar_sync(row, count)

    def _similar_sync(self, row: int, n: int) -> list[RankedRecipe]:
        vector = _unit(self.bundle.vector(row))
        with _Stage("retrieve"):
            rows, _ = self.index.search(vector, min(self.bundle.num_recipes, 3 * n + 10))
        own_name = fold(str(self.bundle.recipe(row).get("name") or ""))
        rows = rows[(rows != row) & (rows >= 0)]
        with _Stage("rank"):
            semantic = self._semantic(rows, vector)
            order = np.lexsort((rows, -semantic))
            chosen, recipes = self._diverse(rows, order, n + 1, exclude=vector)
            out: list[RankedRecipe] = []
            for i, recipe in zip(chosen, recipes, strict=True):
                if len(out) >= n or fold(str(recipe.get("name") or "")) == own_name:
                    continue
                r, s = int(rows[i]), float(semantic[i])
                pop = float(self.bundle.popularity[r])
                out.append(RankedRecipe(int(recipe["id"]), r, recipe, ScoreBreakdown(s, s, 0.0, pop)))
            return out


def _tag_share(features: CatalogFeatures, rows: np.ndarray, tag_ids: Sequence[int]) -> np.ndarray:
    """Per row, the share of ``tag_ids`` the recipe carries."""
    tags, owner = csr_gather(features.tag_ptr, features.tag_ids, np.asarray(rows, dtype=np.int64))
    hits = np.bincount(owner[np.isin(tags, np.asarray(tag_ids))], minlength=len(rows))
    return (hits / len(tag_ids)).astype(np.float32)


def _unique(parts: Sequence[np.ndarray]) -> np.ndarray:
    """Concatenate row arrays, keeping the first occurrence of each row, in order."""
    rows = np.concatenate([np.asarray(p, dtype=np.int64) for p in parts]) if parts else np.zeros(0, np.int64)
    rows = rows[rows >= 0]
    _, first = np.unique(rows, return_index=True)
    return rows[np.sort(first)]


def _text_violations(text: str, filters: Filters) -> list[str]:
    """Constraints a free-text candidate visibly breaks (its time is unknown, so not judged)."""
    from services.recommender.ingredients import IngredientQuery

    keys = line_keys(text)
    reasons = [f"contains {t}" for t in filters.exclude_ingredients if IngredientQuery.parse(t).matches(keys)]
    for tag in filters.tags:
        if tag in DIET_FORBIDDEN and any(f"c:{c}" in keys for c in DIET_FORBIDDEN[tag]):
            reasons.append(f"not {tag}")
    return reasons
