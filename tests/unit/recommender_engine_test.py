"""The ranking engine in-process: blend, filters, pantry, degraded mode, rerank, similar."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from services.common.errors import InvalidArgument, NotFound
from services.recommender.bundle import Bundle, load_bundle
from services.recommender.embedder import EmbeddingUnavailable, InProcessQueryEmbedder
from services.recommender.engine import RecommenderEngine, RecommendQuery, RerankCandidate
from services.recommender.index import ExactIndex, open_index
from services.recommender.ingredients import IngredientQuery, line_keys
from services.recommender.query import Filters
from tests.unit.recommender_fixtures import build_bundle, hashing_backend


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    return load_bundle(build_bundle(tmp_path_factory.mktemp("bundles")))


@pytest.fixture
def engine(bundle: Bundle) -> RecommenderEngine:
    index = open_index("usearch", vectors=bundle.vectors, bundle_dir=bundle.path, version=bundle.version)
    return RecommenderEngine(bundle, InProcessQueryEmbedder(hashing_backend()), index=index)


class DownEmbedder:
    """An embedder whose service is down."""

    model = ""

    async def embed_query(self, text: str) -> np.ndarray:
        raise EmbeddingUnavailable("embeddings_unavailable", "UNAVAILABLE")

    async def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        raise EmbeddingUnavailable("embeddings_unavailable", "UNAVAILABLE")


def ids(result: object) -> list[int]:
    return [r.id for r in result.recipes]  # type: ignore[attr-defined]


def ingredient_lines(bundle: Bundle, recipe_id: int) -> list[str]:
    recipe = bundle.recipe(bundle.row_of(recipe_id))  # type: ignore[arg-type]
    lines = list(recipe["ingredients"])
    for loc in recipe["localized"] or []:
        lines += loc["ingredients"]
    return lines


async def test_chicken_avocado_salad_in_both_languages(engine: RecommenderEngine) -> None:
    for query in ("ensalada de pollo y palta", "chicken avocado salad"):
        result = await engine.recommend(RecommendQuery(query))
        assert 101 in ids(result)[:3], query
        assert not result.degraded
        assert result.model_version == engine.bundle.version


async def test_score_breakdown_is_the_documented_blend(engine: RecommenderEngine) -> None:
    result = await engine.recommend(RecommendQuery("chicken avocado salad", n=10, alpha=0.7))
    w = engine.weights.lexical
    hybrids = []
    for r in result.recipes:
        s = r.score
        expected = 0.7 * ((1 - w) * s.semantic + w * s.lexical) + 0.3 * s.popularity
        assert s.hybrid == pytest.approx(expected, abs=1e-5)
        for value in (s.semantic, s.lexical, s.popularity):
            assert 0.0 <= value <= 1.0
        hybrids.append(s.hybrid)
    assert hybrids == sorted(hybrids, reverse=True)


async def test_alpha_extremes(engine: RecommenderEngine) -> None:
    by_popularity = await engine.recommend(RecommendQuery("chicken avocado salad", n=10, alpha=0.0))
    pops = [r.score.popularity for r in by_popularity.recipes]
    assert pops == sorted(pops, reverse=True)
    by_meaning = await engine.recommend(RecommendQuery("chicken avocado salad", n=10, alpha=1.0))
    assert ids(by_meaning)[0] == 101


async def test_dessert_without_eggs(engine: RecommenderEngine, bundle: Bundle) -> None:
    result = await engine.recommend(RecommendQuery("postre sin huevo", n=10))
    assert result.parsed.filters.exclude_ingredients == ["huevo"]
    assert "desserts" in result.parsed.filters.tags
    assert result.recipes
    egg = IngredientQuery.parse("egg")
    for r in result.recipes:
        assert "desserts" in r.recipe["tags"]
        lines = ingredient_lines(bundle, r.id)
        assert not any(egg.matches(line_keys(line)) for line in lines), r.recipe["name"]
    # Flan, chocolate cake and peanut butter cookies have eggs.
    assert not {107, 108, 123} & set(ids(result))


async def test_no_dairy_excludes_butter_cheese_and_milk_but_not_coconut_milk(engine: RecommenderEngine) -> None:
    result = await engine.recommend(RecommendQuery("arroz sin lácteos", n=20))
    found = set(ids(result))
    assert 111 not in found  # rice pudding with milk
    assert 112 in found  # coconut rice pudding
    assert not {107, 113, 119} & found


async def test_explicit_and_parsed_filters_merge(engine: RecommenderEngine) -> None:
    result = await engine.recommend(
        RecommendQuery("quick dinner", n=20, filters=Filters(max_minutes=20, exclude_ingredients=["chicken"]))
    )
    assert result.parsed.filters.max_minutes == 20
    for r in result.recipes:
        assert r.recipe["minutes"] is not None and r.recipe["minutes"] <= 20
        assert "chicken" not in r.recipe["name"]


async def test_unknown_minutes_fail_a_time_limit(engine: RecommenderEngine) -> None:
    result = await engine.recommend(RecommendQuery("sopa de pollo en menos de 90 minutos", n=50))
    assert 130 not in ids(result)


async def test_vegan_is_decided_from_ingredients(engine: RecommenderEngine) -> None:
    result = await engine.recommend(RecommendQuery("vegan dessert", n=20))
    found = set(ids(result))
    assert {109, 112, 128} <= found
    # Fruit salad has honey: not vegan although nothing else is animal.
    assert 110 not in found and 107 not in found


async def test_include_ingredients_across_languages(engine: RecommenderEngine) -> None:
    result = await engine.recommend(RecommendQuery("cena", n=20, filters=Filters(include_ingredients=["garbanzos"])))
    assert ids(result) == [117]


async def test_pantry_mode_ranks_coverage_and_lists_missing(engine: RecommenderEngine) -> None:
    result = await engine.recommend(RecommendQuery("tengo pollo, arroz y cebolla", n=5))
    assert result.parsed.pantry == ["pollo", "arroz", "cebolla"]
    top = result.recipes[0]
    assert top.id == 105  # chicken, rice, onion (+ water, salt, pepper: basics)
    assert top.score.pantry_coverage == 1.0
    assert top.missing_ingredients == []
    second = result.recipes[1]
    assert second.missing_ingredients and 0 < second.score.pantry_coverage < 1
    coverages = [r.score.pantry_coverage for r in result.recipes]
    assert coverages[0] == max(coverages)
    arroz = next(r for r in result.recipes if r.id == 106)
    assert "bell pepper" in arroz.missing_ingredients and "chicken" not in arroz.missing_ingredients


async def test_explicit_pantry_without_query(engine: RecommenderEngine) -> None:
    result = await engine.recommend(RecommendQuery("", pantry=["eggs", "spinach", "butter"]))
    assert result.recipes[0].id == 116
    assert result.recipes[0].missing_ingredients == []


async def test_near_duplicates_are_removed(engine: RecommenderEngine) -> None:
    result = await engine.recommend(RecommendQuery("guacamole", n=10))
    assert 103 in ids(result) and 104 not in ids(result)


async def test_degraded_mode_answers_from_lexical_and_popularity(bundle: Bundle) -> None:
    engine = RecommenderEngine(bundle, DownEmbedder(), index=ExactIndex(bundle.vectors))
    result = await engine.recommend(RecommendQuery("ensalada de pollo y palta"))
    assert result.degraded and result.degraded_reason == "embeddings_unavailable"
    assert ids(result)[0] == 101
    assert all(r.score.semantic == 0 for r in result.recipes)
    filtered = await engine.recommend(RecommendQuery("postre sin huevo"))
    assert filtered.degraded and filtered.recipes
    assert not {107, 108, 123} & set(ids(filtered))
    no_embedder = RecommenderEngine(bundle, None)
    assert (await no_embedder.recommend(RecommendQuery("flan"))).degraded_reason == "no_embedder"


async def test_model_mismatch_degrades_instead_of_mixing_vector_spaces(bundle: Bundle) -> None:
    class OtherModel(InProcessQueryEmbedder):
        @property
        def model(self) -> str:
            return "another-model"

    engine = RecommenderEngine(bundle, OtherModel(hashing_backend()))
    result = await engine.recommend(RecommendQuery("flan"))
    assert result.degraded and result.degraded_reason == "embedding_model_mismatch"


async def test_constraints_only_rank_by_popularity(engine: RecommenderEngine) -> None:
    result = await engine.recommend(RecommendQuery("sin huevo", n=5))
    assert not result.degraded
    pops = [r.score.popularity for r in result.recipes]
    assert pops == sorted(pops, reverse=True)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (RecommendQuery("flan", n=51), "n"),
        (RecommendQuery("flan", n=-1), "n"),
        (RecommendQuery("flan", alpha=1.5), "alpha"),
        (RecommendQuery("flan", alpha=-0.1), "alpha"),
        (RecommendQuery("   "), "query"),
        (RecommendQuery("x" * 1001), "query"),
        (RecommendQuery("flan", filters=Filters(max_minutes=-5)), "filters.max_minutes"),
        (RecommendQuery("flan", filters=Filters(exclude_ingredients=[""])), "filters.exclude_ingredients[0]"),
        (RecommendQuery("flan", pantry=["x"] * 51), "pantry"),
    ],
)
async def test_invalid_arguments_name_the_field(engine: RecommenderEngine, query: RecommendQuery, field: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        await engine.recommend(query)
    assert info.value.field == field


async def test_n_zero_means_default(engine: RecommenderEngine) -> None:
    assert len((await engine.recommend(RecommendQuery("chicken", n=0))).recipes) == 5


async def test_rerank_ids_and_texts(engine: RecommenderEngine) -> None:
    candidates = [
        RerankCandidate(recipe_id=107),  # chocolate cake: eggs
        RerankCandidate(recipe_id=109),  # vegan brownies
        RerankCandidate(text="fresh strawberry sorbet with lemon"),
        RerankCandidate(text="meringue with egg whites and sugar"),
        RerankCandidate(recipe_id=424242),
    ]
    result = await engine.rerank("postre de chocolate sin huevo", candidates)
    order = [r.index for r in result.results]
    assert order[:2] == [1, 2] or order[:2] == [2, 1]
    excluded = {r.index: r.excluded_reason for r in result.results if r.excluded}
    assert set(excluded) == {0, 3, 4}
    assert "contains huevo" in excluded[0] and "unknown recipe id" in excluded[4]
    assert [r.excluded for r in result.results] == [False, False, True, True, True]
    assert not result.degraded


async def test_rerank_validation(engine: RecommenderEngine) -> None:
    with pytest.raises(InvalidArgument, match="candidates"):
        await engine.rerank("flan", [])
    with pytest.raises(InvalidArgument, match=r"candidates\[0\]"):
        await engine.rerank("flan", [RerankCandidate()])


async def test_similar_get_and_batch(engine: RecommenderEngine) -> None:
    similar = await engine.similar(111, n=3)
    assert similar[0].id == 112  # rice pudding -> coconut rice pudding
    assert 111 not in [r.id for r in similar]
    assert engine.get_recipe(108)["name"] == "flan"
    with pytest.raises(NotFound):
        engine.get_recipe(1)
    with pytest.raises(NotFound):
        await engine.similar(1)
    found, missing = engine.batch_get([108, 1, 101])
    assert [r["id"] for r in found] == [108, 101] and missing == [1]


async def test_tiny_catalog_and_large_n(tmp_path: Path) -> None:
    from tests.unit.recommender_fixtures import RECIPES

    bundle = load_bundle(build_bundle(tmp_path, RECIPES[:2]))
    engine = RecommenderEngine(bundle, InProcessQueryEmbedder(hashing_backend()))
    result = await engine.recommend(RecommendQuery("salad", n=50))
    assert sorted(ids(result)) == [101, 102]


async def test_preferred_tags_boost_relevance(engine: RecommenderEngine) -> None:
    result = await engine.recommend(RecommendQuery("healthy breakfast", n=5))
    assert result.parsed.preferred_tags == ["healthy"]
    assert result.recipes[0].id == 114  # the only breakfast tagged healthy
    w = engine.weights
    for r in result.recipes:
        s = r.score
        base = 0.7 * ((1 - w.lexical) * s.semantic + w.lexical * s.lexical) + 0.3 * s.popularity
        bonus = 0.7 * w.preference if "healthy" in r.recipe["tags"] else 0.0
        assert s.hybrid == pytest.approx(base + bonus, abs=1e-5)


@pytest.mark.parametrize(
    "filters",
    [
        Filters(max_minutes=30),
        Filters(tags=["desserts"], exclude_ingredients=["huevo"]),
        Filters(tags=["vegan"]),
        Filters(include_ingredients=["pollo"], exclude_ingredients=["lácteos"]),
        Filters(exclude_ingredients=["cilantro fresco", "tahini paste"]),
        Filters(tags=["no-such-tag"]),
    ],
)
def test_catalog_mask_agrees_with_row_checks(bundle: Bundle, filters: Filters) -> None:
    from services.recommender.filters import CompiledFilters

    compiled = CompiledFilters.compile(bundle.features, filters)
    rows = np.arange(bundle.num_recipes)
    assert compiled.catalog_mask().tolist() == compiled.passes(rows).tolist()
