"""Query understanding tables, Spanish and English."""

from __future__ import annotations

import pytest

from services.recommender.query import Filters, canonical_tags, parse_query


@pytest.mark.parametrize(
    ("query", "excluded", "semantic"),
    [
        ("postre sin huevo", ["huevo"], "postre"),
        ("sin huevo ni leche", ["huevo", "leche"], ""),
        ("torta sin lácteos", ["lácteos"], "torta"),
        ("sopa sin carne", ["carne"], "sopa"),
        ("ensalada que no tenga cebolla", ["cebolla"], "ensalada"),
        ("pasta sin cilantro por favor", ["cilantro"], "pasta"),
        ("cake without eggs", ["eggs"], "cake"),
        ("cookies without eggs or nuts", ["eggs", "nuts"], "cookies"),
        ("no dairy pancakes", ["dairy"], "pancakes"),
        ("dairy-free ice cream", ["dairy"], "ice cream"),
        ("egg free muffins", ["egg"], "muffins"),
        ("brownies sin lactosa", ["lactosa"], "brownies"),
    ],
)
def test_negation(query: str, excluded: list[str], semantic: str) -> None:
    parsed = parse_query(query)
    assert parsed.filters.exclude_ingredients == excluded
    assert parsed.semantic_query == semantic


@pytest.mark.parametrize(
    ("query", "minutes", "language"),
    [
        ("cena en menos de 30 minutos", 30, "es"),
        ("algo en 15 minutos", 15, "es"),
        ("pollo en media hora", 30, "es"),
        ("estofado en menos de una hora", 60, "es"),
        ("en menos de 2 horas", 120, "es"),
        ("desayuno rápido", 30, "es"),
        ("pasta under 20 min", 20, "en"),
        ("dinner in less than 45 minutes", 45, "en"),
        ("quick lunch", 30, "en"),
        ("30-minute meals", 30, "en"),
        ("under an hour", 60, "en"),
    ],
)
def test_time_limits(query: str, minutes: int, language: str) -> None:
    parsed = parse_query(query)
    assert parsed.filters.max_minutes == minutes
    assert parsed.language == language


@pytest.mark.parametrize(
    ("query", "tags"),
    [
        ("algo vegano con garbanzos", ["vegan"]),
        ("vegan chili", ["vegan"]),
        ("lasaña vegetariana", ["vegetarian"]),
        ("vegetarian lasagna", ["vegetarian"]),
        ("pan sin gluten", ["gluten-free"]),
        ("gluten-free bread", ["gluten-free"]),
        ("desayuno saludable", ["breakfast"]),
        ("healthy breakfast", ["breakfast"]),
        ("postre de chocolate", ["desserts"]),
        ("chocolate dessert", ["desserts"]),
        ("quick vegan breakfast", ["vegan", "breakfast"]),
    ],
)
def test_diet_and_meal_tags(query: str, tags: list[str]) -> None:
    assert parse_query(query).filters.tags == tags


def test_gluten_free_is_a_diet_not_an_excluded_ingredient() -> None:
    for query in ("pan sin gluten", "gluten-free bread"):
        parsed = parse_query(query)
        assert parsed.filters.exclude_ingredients == []
        assert "gluten" not in parsed.semantic_query


def test_meal_words_stay_in_the_semantic_query() -> None:
    parsed = parse_query("postre de chocolate")
    assert parsed.semantic_query == "postre de chocolate"
    assert parsed.soft_tags == ["desserts"]


@pytest.mark.parametrize(
    ("query", "pantry", "semantic", "language"),
    [
        ("tengo pollo, arroz y cebolla", ["pollo", "arroz", "cebolla"], "pollo, arroz y cebolla", "es"),
        ("¿qué puedo hacer con huevos y espinaca?", ["huevos", "espinaca"], "huevos y espinaca", "es"),
        ("me sobró arroz", ["arroz"], "arroz", "es"),
        ("what can I make with eggs and spinach", ["eggs", "spinach"], "eggs and spinach", "en"),
        ("I have chicken, rice and onions", ["chicken", "rice", "onions"], "chicken, rice and onions", "en"),
    ],
)
def test_pantry_phrases(query: str, pantry: list[str], semantic: str, language: str) -> None:
    parsed = parse_query(query)
    assert parsed.pantry == pantry
    assert parsed.semantic_query == semantic
    assert parsed.language == language


@pytest.mark.parametrize(
    "query",
    [
        "pasta con salsa de tomate y queso",
        "ensalada de pollo y palta",
        "chicken avocado salad",
        "tengo hambre",
        "I have a party tonight",
        "no-bake cheesecake",
        "lomo saltado",
    ],
)
def test_plain_queries_pass_through(query: str) -> None:
    parsed = parse_query(query)
    assert parsed.filters == Filters()
    assert parsed.pantry == []
    assert parsed.semantic_query == query
    assert parsed.language == ""


def test_combined_constraints_and_matched_phrases() -> None:
    parsed = parse_query("desayuno vegano rápido sin plátano")
    assert parsed.filters.tags == ["vegan", "breakfast"]
    assert parsed.filters.max_minutes == 30
    assert parsed.filters.exclude_ingredients == ["plátano"]
    assert parsed.matched_phrases == ["desayuno", "vegano", "rápido", "sin plátano"]
    assert parsed.semantic_query == "desayuno vegano"


def test_filters_merge_keeps_the_tighter_limit_and_unions_lists() -> None:
    a = Filters(max_minutes=30, tags=["vegan"], exclude_ingredients=["huevo"])
    b = Filters(max_minutes=20, tags=["Vegan", "breakfast"], exclude_ingredients=["Huevo", "leche"])
    merged = a.merged(b)
    assert merged.max_minutes == 20
    assert merged.tags == ["vegan", "breakfast"]
    assert merged.exclude_ingredients == ["huevo", "leche"]


def test_canonical_tags() -> None:
    assert canonical_tags(["Postre", "gluten free", "Vegana", "main dish", "custom-tag"]) == [
        "desserts",
        "gluten-free",
        "vegan",
        "main-dish",
        "custom-tag",
    ]


@pytest.mark.parametrize(
    ("query", "preferred", "tags"),
    [
        ("desayuno saludable", ["healthy"], ["breakfast"]),
        ("healthy breakfast", ["healthy"], ["breakfast"]),
        ("cena para niños", ["kid-friendly", "main-dish"], []),
        ("kid-friendly dinner", ["kid-friendly", "main-dish"], []),
        ("comida vegana con mucha proteína", ["high-protein"], ["vegan"]),
        ("low carb dinner", ["low-carb", "main-dish"], []),
        ("comfort food for a cold day", ["comfort-food"], []),
    ],
)
def test_preferences_boost_but_do_not_filter(query: str, preferred: list[str], tags: list[str]) -> None:
    parsed = parse_query(query)
    assert sorted(parsed.preferred_tags) == sorted(preferred)
    assert parsed.filters.tags == tags
    assert parsed.semantic_query == query  # preference words describe the dish too


def test_meatless_is_vegetarian() -> None:
    parsed = parse_query("meatless soup")
    assert parsed.filters.tags == ["vegetarian"]
