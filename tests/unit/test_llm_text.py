"""The local backend's building blocks on the bundled tables, plus its golden outputs."""

from __future__ import annotations

import pytest

from services.llm.backends.local import LocalBackend, chunk_text
from services.llm.detect import LanguageDetector
from services.llm.glossary import Glossary
from services.llm.intents import ANALYSE, ASK, OTHER, RECOMMEND, classify_intent
from services.llm.meal import MatchedFood, analyse
from services.llm.nutrition import NutritionTable, parse_item_text, parse_meal_text, parse_number
from services.llm.qa import LocalQA, classify_question
from services.llm.resources import load_resources
from tests.unit.llm_support import BUTTER_COOKIES, CHICKPEA_CURRY, PLAIN, TORTILLA, check_golden

RESOURCES = load_resources()
GLOSSARY = Glossary(RESOURCES.glossary)
TABLE = NutritionTable(RESOURCES.foods)


def test_bundled_tables_meet_their_size_floors() -> None:
    assert len(RESOURCES.glossary) >= 1500
    assert len(RESOURCES.foods) >= 300
    assert len(RESOURCES.substitutions) >= 100
    assert RESOURCES.daily_values["calories_kcal"] == 2000


@pytest.mark.parametrize(
    ("text", "source", "target", "expected"),
    [
        ("2 cups of rice", "en", "es", "2 tazas de arroz"),
        ("2 tbsp butter", "en", "es", "2 cdas mantequilla"),
        ("Sal y pimienta al gusto", "es", "en", "Salt and pepper to taste"),
        ("Tomato soup", "en", "es", "Sopa de tomate"),
        ("sopa de pollo", "es", "en", "chicken soup"),
        ("1 palta", "es", "en", "1 avocado"),
        ("2 choclos", "es", "en", "2 corns"),
        ("frutillas", "es", "en", "strawberries"),
        ("Ajo 3 dientes, 1/2 cdta sal", "es", "en", "Garlic 3 cloves, 1/2 tsp salt"),
    ],
)
def test_glossary_translation(text: str, source: str, target: str, expected: str) -> None:
    assert GLOSSARY.translate(text, source, target) == expected  # type: ignore[arg-type]


def test_glossary_keeps_unknown_words_numbers_and_punctuation() -> None:
    assert GLOSSARY.translate("Zorblax 250 g (qwerty)!", "en", "es") == "Zorblax 250 g (qwerty)!"
    assert GLOSSARY.translate("hola", "es", "es") == "hola"


@pytest.mark.parametrize(
    ("text", "quantity", "unit", "food"),
    [
        ("2 huevos", 2, None, "huevos"),
        ("100 g de espinaca", 100, "g", "espinaca"),
        ("una tostada integral", 1, None, "tostada integral"),
        ("medio kilo de papas", 0.5, "kg", "papas"),
        ("1 1/2 cups flour", 1.5, "cup", "flour"),
        ("½ taza de leche", 0.5, "cup", "leche"),
        ("espinaca 200 g", 200, "g", "espinaca"),
        ("pollo a la plancha", None, None, "pollo a la plancha"),
        ("2 dientes de ajo", 2, "dientes", "ajo"),
        ("un par de tomates", 2, None, "tomates"),
    ],
)
def test_meal_text_parsing(text: str, quantity: float | None, unit: str | None, food: str) -> None:
    item = parse_item_text(text)
    assert (item.quantity, item.unit, item.food_text) == (quantity, unit, food)


def test_meal_text_is_split_on_commas_and_conjunctions() -> None:
    items = parse_meal_text("2 huevos, 100 g de espinaca y una tostada integral")
    assert [i.input for i in items] == ["2 huevos", "100 g de espinaca", "una tostada integral"]
    assert parse_number("1,5") == 1.5 and parse_number("dos") == 2 and parse_number("x") is None


@pytest.mark.parametrize(
    ("text", "key", "grams"),
    [
        ("2 huevos", "egg", 100.0),
        ("3 large eggs", "egg", 187.5),
        ("1 cup cooked rice", "white_rice", 158.0),
        ("8 oz chicken breast", None, 226.796),
        ("1 lb potatoes", "potato_raw", 453.592),
        ("una tostada", "white_bread", 29.0),
        ("2 tbsp olive oil", "olive_oil", 27.0),
    ],
)
def test_grams_from_units_density_and_pieces(text: str, key: str | None, grams: float) -> None:
    item = parse_item_text(text)
    food = TABLE.match(item.food_text)
    assert food is not None
    if key:
        assert food.key == key
    assert TABLE.grams(food, item.quantity, item.unit, item.size) == pytest.approx(grams, rel=0.01)


def test_unknown_food_does_not_match() -> None:
    assert TABLE.match("kriptonita") is None
    assert TABLE.match("un poco de") is None


def test_meal_assessment_flags_and_suggests() -> None:
    bacon = TABLE.match("bacon")
    assert bacon is not None
    heavy = MatchedFood("bacon", "bacon", 300, TABLE.nutrients(bacon, 300))
    result = analyse([heavy], ["x"], RESOURCES.daily_values, "en")
    assert "high in saturated fat" in result.assessment and "high in sodium" in result.assessment
    assert any("salt" in s for s in result.suggestions) and any("unrecognised" in s for s in result.suggestions)
    empty = analyse([], ["kriptonita"], RESOURCES.daily_values, "es")
    assert empty.totals["calories_kcal"] == 0 and "kriptonita" in empty.assessment


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("¿cuánto tiempo tarda?", "time"),
        ("How long does it take?", "time"),
        ("¿para cuántas personas?", "servings"),
        ("¿puedo cambiar la mantequilla por aceite?", "substitution"),
        ("is it gluten free?", "allergens"),
        ("¿cuántas calorías tiene?", "nutrition"),
        ("¿cómo se hace?", "steps"),
        ("¿es vegana?", "diet"),
        ("¿quién la inventó?", "summary"),
    ],
)
def test_question_topics(question: str, topic: str) -> None:
    assert classify_question(question) == topic


@pytest.mark.parametrize(
    ("message", "context", "intent"),
    [
        ("hola", False, OTHER),
        ("quiero algo vegano con garbanzos", False, RECOMMEND),
        ("healthy breakfast", False, RECOMMEND),
        ("¿cuánto tarda la segunda?", True, ASK),
        ("how long does it take?", True, ASK),
        ("comí 2 huevos y una tostada", False, ANALYSE),
        ("analyze my meal: 200 g rice", False, ANALYSE),
        ("¿cuánto tarda la segunda?", False, RECOMMEND),
    ],
)
def test_chat_intents(message: str, context: bool, intent: str) -> None:
    assert classify_intent(message, has_recipe_context=context).name == intent


def test_chunks_rejoin_to_the_reply() -> None:
    text = "Encontré estas recetas en el catálogo:\n1. Curry — 25 min.\n" * 3
    chunks = chunk_text(text)
    assert "".join(chunks) == text and len(chunks) > 3


def test_local_backend_golden_outputs() -> None:
    """Pins what the offline path says; UPDATE_GOLDEN=1 regenerates after an intended change."""
    detector = LanguageDetector(GLOSSARY.vocabulary)
    qa = LocalQA(GLOSSARY, RESOURCES.substitutions)
    local = LocalBackend(GLOSSARY, qa)
    detections = {
        text: [detector.detect(text, "es").language, detector.detect(text, "es").reliable]
        for text in [
            "pasta",
            "palta",
            "tomate",
            "chicken",
            "hola",
            "hello",
            "healthy breakfast",
            "¿cuánto tiempo tarda?",
        ]
    }
    translations = {
        f"{src}->{dst}: {text}": GLOSSARY.translate(text, src, dst)  # type: ignore[arg-type]
        for text, src, dst in [
            *((line, "en", "es") for r in PLAIN[:2] for line in [r.name, r.description, *r.ingredients, *r.steps]),
            *((line, "es", "en") for line in TORTILLA.localized[0].steps),
        ]
    }
    answers = {
        f"{recipe.id}: {question}": qa.answer(recipe, question, lang)  # type: ignore[arg-type]
        for recipe, question, lang in [
            (TORTILLA, "¿cuánto tiempo tarda?", "es"),
            (TORTILLA, "¿tiene lactosa?", "es"),
            (CHICKPEA_CURRY, "is it vegan?", "en"),
            (BUTTER_COOKIES, "¿puedo cambiar la mantequilla por aceite?", "es"),
            (BUTTER_COOKIES, "how many calories?", "en"),
            (PLAIN[0], "¿qué ingredientes lleva?", "es"),
        ]
    }
    meals = {}
    for text, lang in [
        ("2 huevos, 100 g de espinaca y una tostada integral", "es"),
        ("1 cup cooked rice, 150 g grilled chicken and half an avocado", "en"),
    ]:
        matched = []
        for item in parse_meal_text(text):
            food = TABLE.match(item.food_text)
            assert food is not None
            grams = TABLE.grams(food, item.quantity, item.unit, item.size)
            matched.append(MatchedFood(item.input, food.name(lang), grams, TABLE.nutrients(food, grams)))
        result = analyse(matched, [], RESOURCES.daily_values, lang)  # type: ignore[arg-type]
        meals[text] = {
            "totals": {k: round(v, 1) for k, v in result.totals.items()},
            "assessment": result.assessment,
            "suggestions": result.suggestions,
        }
    check_golden(
        "local_outputs",
        {"detections": detections, "translations": translations, "answers": answers, "meals": meals},
    )
    assert local.name == "local"
