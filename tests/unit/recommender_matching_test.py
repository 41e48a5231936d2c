"""Ingredient matching: stems, concepts across Spanish and English, groups, basics."""

from __future__ import annotations

import pytest

from services.recommender.ingredients import IngredientQuery, concepts_in, is_basic, line_keys
from services.recommender.text import fold, stem


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("tomato", "tomatoes"),
        ("tomate", "tomates"),
        ("huevo", "huevos"),
        ("limón", "limones"),
        ("berry", "berries"),
        ("peach", "peaches"),
        ("cebolla", "cebollas"),
        ("frijol", "frijoles"),
    ],
)
def test_singular_and_plural_share_a_stem(a: str, b: str) -> None:
    assert stem(fold(a)) == stem(fold(b))


def test_fold_strips_accents_but_keeps_enye() -> None:
    assert fold("Piña, Jalapeño & LIMÓN!") == "piña jalapeño limon"


@pytest.mark.parametrize(
    ("line", "concept"),
    [
        ("2 large eggs", "egg"),
        ("huevos batidos", "egg"),
        ("1 ripe avocado", "avocado"),
        ("palta en cubos", "avocado"),
        ("aguacate", "avocado"),
        ("boneless skinless chicken breasts", "chicken"),
        ("pechuga de pollo", "chicken"),
        ("shredded cheddar cheese", "dairy"),
        ("queso fresco", "dairy"),
        ("mantequilla sin sal", "dairy"),
        ("mayonnaise", "egg"),
        ("chicken broth", "meat"),
        ("salsa de soja", "gluten"),
        ("nuez moscada", "nutmeg"),
    ],
)
def test_concepts_found_in_both_languages(line: str, concept: str) -> None:
    concepts, _ = concepts_in(line)
    assert concept in concepts


@pytest.mark.parametrize(
    ("line", "not_concept"),
    [
        ("peanut butter", "dairy"),
        ("leche de coco", "dairy"),
        ("coconut milk", "dairy"),
        ("almond milk", "dairy"),
        ("eggplant", "egg"),
        ("nuez moscada", "nut"),
        ("cream of tartar", "dairy"),
        ("butternut squash", "dairy"),
        ("harina de almendra", "gluten"),
        ("cornstarch", "gluten"),
    ],
)
def test_longer_phrases_win_over_look_alikes(line: str, not_concept: str) -> None:
    concepts, _ = concepts_in(line)
    assert not_concept not in concepts


@pytest.mark.parametrize(
    ("term", "line", "matches"),
    [
        ("huevo", "3 eggs", True),
        ("eggs", "huevos", True),
        ("palta", "avocados", True),
        ("lácteos", "parmesan cheese", True),
        ("dairy", "yogur natural", True),
        ("lácteos", "peanut butter", False),
        ("carne", "chicken thighs", True),
        ("pollo", "beef", False),
        ("cilantro", "fresh cilantro leaves", True),
        ("tahini", "2 tbsp tahini", True),
        ("tahini", "sesame seeds", False),
        ("mariscos", "shrimp", True),
        ("frutos secos", "walnuts", True),
    ],
)
def test_ingredient_query_matching(term: str, line: str, matches: bool) -> None:
    assert IngredientQuery.parse(term).matches(line_keys(line)) is matches


@pytest.mark.parametrize(
    ("line", "basic"),
    [
        ("salt", True),
        ("sal y pimienta", True),
        ("salt and freshly ground black pepper", True),
        ("extra virgin olive oil", True),
        ("agua", True),
        ("sesame oil", False),
        ("bell pepper", False),
        ("garlic salt", False),
        ("eggs", False),
    ],
)
def test_basics(line: str, basic: bool) -> None:
    assert is_basic(line) is basic
