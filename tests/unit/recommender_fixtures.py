"""A small bilingual catalog and bundle builders shared by the recommender tests.

The recipes are written here (not read from ../shared) so that every assertion about
ranking, filters and pantry coverage can be checked by reading this file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from services.embeddings.backends.hashing import HashingBackend
from services.recommender.bundle import write_bundle
from services.recommender.catalog import catalog_from_records

DIMS = 256


def _r(
    rid: int,
    name: str,
    ingredients: list[str],
    *,
    es_name: str,
    es_ingredients: list[str],
    tags: list[str],
    minutes: int | None,
    rating: float | None = None,
    count: int = 0,
    description: str = "",
) -> dict[str, Any]:
    return {
        "id": rid,
        "name": name,
        "description": description,
        "ingredients": ingredients,
        "steps": [f"prepare the {name}", "serve"],
        "minutes": minutes,
        "tags": tags,
        "language": "en",
        "localized": [
            {
                "language": "es",
                "name": es_name,
                "description": "",
                "ingredients": es_ingredients,
                "steps": ["preparar", "servir"],
            }
        ],
        "rating_average": rating,
        "rating_count": count,
        "source": "test",
        "servings": 2,
        "cuisine": "test",
    }


RECIPES: list[dict[str, Any]] = [
    _r(
        101,
        "chicken avocado salad",
        ["chicken breasts", "avocados", "lettuce", "lime juice", "olive oil", "salt"],
        es_name="ensalada de pollo y palta",
        es_ingredients=["pechugas de pollo", "paltas", "lechuga", "jugo de lima", "aceite de oliva", "sal"],
        tags=["salads", "main-dish", "30-minutes-or-less", "gluten-free"],
        minutes=20,
        rating=4.7,
        count=40,
    ),
    _r(
        102,
        "grilled chicken caesar salad",
        ["chicken breast", "romaine lettuce", "parmesan cheese", "croutons", "caesar dressing"],
        es_name="ensalada césar con pollo a la parrilla",
        es_ingredients=["pechuga de pollo", "lechuga romana", "queso parmesano", "crutones", "aderezo césar"],
        tags=["salads", "main-dish"],
        minutes=30,
        rating=4.4,
        count=25,
    ),
    _r(
        103,
        "guacamole",
        ["avocados", "onion", "tomato", "cilantro", "lime", "salt"],
        es_name="guacamole",
        es_ingredients=["paltas", "cebolla", "tomate", "cilantro", "lima", "sal"],
        tags=["appetizers", "vegan", "15-minutes-or-less"],
        minutes=10,
        rating=4.8,
        count=120,
    ),
    _r(
        104,
        "guacamole",
        ["avocados", "onion", "tomato", "cilantro", "lime", "salt"],
        es_name="guacamole",
        es_ingredients=["paltas", "cebolla", "tomate", "cilantro", "lima", "sal"],
        tags=["appetizers", "vegan"],
        minutes=10,
        rating=4.1,
        count=3,
    ),
    _r(
        105,
        "chicken and rice with onions",
        ["chicken thighs", "rice", "onion", "water", "salt", "pepper"],
        es_name="pollo con arroz y cebolla",
        es_ingredients=["muslos de pollo", "arroz", "cebolla", "agua", "sal", "pimienta"],
        tags=["main-dish", "easy"],
        minutes=45,
        rating=4.3,
        count=30,
    ),
    _r(
        106,
        "arroz con pollo",
        ["chicken", "rice", "onion", "bell pepper", "peas", "cilantro", "beer", "garlic", "chicken broth"],
        es_name="arroz con pollo",
        es_ingredients=[
            "pollo",
            "arroz",
            "cebolla",
            "pimiento",
            "arvejas",
            "cilantro",
            "cerveza",
            "ajo",
            "caldo de pollo",
        ],
        tags=["main-dish", "peruvian"],
        minutes=60,
        rating=4.9,
        count=200,
    ),
    _r(
        107,
        "chocolate cake",
        ["flour", "eggs", "sugar", "cocoa powder", "butter", "milk"],
        es_name="torta de chocolate",
        es_ingredients=["harina", "huevos", "azúcar", "cacao en polvo", "mantequilla", "leche"],
        tags=["desserts", "cakes"],
        minutes=75,
        rating=4.9,
        count=300,
    ),
    _r(
        108,
        "flan",
        ["eggs", "condensed milk", "milk", "sugar", "vanilla"],
        es_name="flan casero",
        es_ingredients=["huevos", "leche condensada", "leche", "azúcar", "vainilla"],
        tags=["desserts", "mexican"],
        minutes=90,
        rating=4.8,
        count=150,
    ),
    _r(
        109,
        "vegan chocolate brownies",
        ["flour", "sugar", "cocoa powder", "vegetable oil", "water", "vanilla"],
        es_name="brownies veganos de chocolate",
        es_ingredients=["harina", "azúcar", "cacao en polvo", "aceite vegetal", "agua", "vainilla"],
        tags=["desserts", "vegan"],
        minutes=40,
        rating=4.5,
        count=60,
    ),
    _r(
        110,
        "fruit salad with mint",
        ["strawberries", "mango", "pineapple", "mint", "honey"],
        es_name="ensalada de frutas con menta",
        es_ingredients=["fresas", "mango", "piña", "menta", "miel"],
        tags=["desserts", "15-minutes-or-less", "gluten-free"],
        minutes=10,
        rating=4.2,
        count=15,
    ),
    _r(
        111,
        "rice pudding",
        ["rice", "milk", "sugar", "cinnamon"],
        es_name="arroz con leche",
        es_ingredients=["arroz", "leche", "azúcar", "canela"],
        tags=["desserts"],
        minutes=50,
        rating=4.6,
        count=80,
    ),
    _r(
        112,
        "coconut rice pudding",
        ["rice", "coconut milk", "sugar", "cinnamon"],
        es_name="arroz con leche de coco",
        es_ingredients=["arroz", "leche de coco", "azúcar", "canela"],
        tags=["desserts", "vegan"],
        minutes=45,
        rating=4.0,
        count=10,
    ),
    _r(
        113,
        "fluffy pancakes",
        ["flour", "eggs", "milk", "butter", "sugar", "baking powder"],
        es_name="panqueques esponjosos",
        es_ingredients=["harina", "huevos", "leche", "mantequilla", "azúcar", "polvo de hornear"],
        tags=["breakfast"],
        minutes=25,
        rating=4.7,
        count=90,
    ),
    _r(
        114,
        "overnight oats with banana",
        ["rolled oats", "almond milk", "banana", "maple syrup"],
        es_name="avena nocturna con plátano",
        es_ingredients=["avena", "leche de almendra", "plátano", "miel de maple"],
        tags=["breakfast", "vegan", "healthy"],
        minutes=5,
        rating=4.3,
        count=20,
    ),
    _r(
        115,
        "huevos rancheros",
        ["eggs", "corn tortillas", "tomato salsa", "black beans", "queso fresco"],
        es_name="huevos rancheros",
        es_ingredients=["huevos", "tortillas de maíz", "salsa de tomate", "frijoles negros", "queso fresco"],
        tags=["breakfast", "mexican"],
        minutes=20,
        rating=4.6,
        count=50,
    ),
    _r(
        116,
        "spinach and egg scramble",
        ["eggs", "spinach", "butter", "salt", "pepper"],
        es_name="revuelto de huevo y espinaca",
        es_ingredients=["huevos", "espinaca", "mantequilla", "sal", "pimienta"],
        tags=["breakfast", "15-minutes-or-less"],
        minutes=10,
        rating=4.4,
        count=35,
    ),
    _r(
        117,
        "chickpea curry",
        ["chickpeas", "coconut milk", "onion", "garlic", "ginger", "curry powder", "tomato", "rice"],
        es_name="curry de garbanzos",
        es_ingredients=[
            "garbanzos",
            "leche de coco",
            "cebolla",
            "ajo",
            "jengibre",
            "curry en polvo",
            "tomate",
            "arroz",
        ],
        tags=["main-dish", "vegan", "indian"],
        minutes=35,
        rating=4.7,
        count=70,
    ),
    _r(
        118,
        "lentil soup",
        ["lentils", "carrot", "onion", "celery", "vegetable broth", "cumin"],
        es_name="sopa de lentejas",
        es_ingredients=["lentejas", "zanahoria", "cebolla", "apio", "caldo de verduras", "comino"],
        tags=["soups-stews", "vegan"],
        minutes=50,
        rating=4.5,
        count=45,
    ),
    _r(
        119,
        "spaghetti with tomato sauce and cheese",
        ["spaghetti", "tomato sauce", "garlic", "basil", "parmesan cheese", "olive oil"],
        es_name="espaguetis con salsa de tomate y queso",
        es_ingredients=["espaguetis", "salsa de tomate", "ajo", "albahaca", "queso parmesano", "aceite de oliva"],
        tags=["main-dish", "italian", "vegetarian", "30-minutes-or-less"],
        minutes=25,
        rating=4.5,
        count=110,
    ),
    _r(
        120,
        "beef stew",
        ["beef", "potatoes", "carrots", "onion", "red wine", "beef broth"],
        es_name="estofado de res",
        es_ingredients=["carne de res", "papas", "zanahorias", "cebolla", "vino tinto", "caldo de res"],
        tags=["main-dish", "soups-stews"],
        minutes=180,
        rating=4.6,
        count=95,
    ),
    _r(
        121,
        "quinoa salad",
        ["quinoa", "cucumber", "tomato", "red onion", "lemon juice", "olive oil"],
        es_name="ensalada de quinoa",
        es_ingredients=["quinua", "pepino", "tomate", "cebolla morada", "jugo de limón", "aceite de oliva"],
        tags=["salads", "vegan", "gluten-free"],
        minutes=25,
        rating=4.3,
        count=28,
    ),
    _r(
        122,
        "ceviche",
        ["white fish", "lime juice", "red onion", "aji amarillo", "cilantro", "sweet potato"],
        es_name="ceviche peruano",
        es_ingredients=["pescado blanco", "jugo de limón", "cebolla morada", "ají amarillo", "cilantro", "camote"],
        tags=["appetizers", "peruvian", "gluten-free"],
        minutes=30,
        rating=4.9,
        count=160,
    ),
    _r(
        123,
        "peanut butter cookies",
        ["peanut butter", "sugar", "eggs"],
        es_name="galletas de mantequilla de maní",
        es_ingredients=["mantequilla de maní", "azúcar", "huevos"],
        tags=["desserts", "cookies-and-brownies"],
        minutes=20,
        rating=4.4,
        count=55,
    ),
    _r(
        124,
        "mango smoothie",
        ["mango", "yogurt", "honey", "ice"],
        es_name="batido de mango",
        es_ingredients=["mango", "yogur", "miel", "hielo"],
        tags=["beverages", "breakfast", "15-minutes-or-less"],
        minutes=5,
        rating=4.2,
        count=12,
    ),
    _r(
        125,
        "tortilla de patatas",
        ["potatoes", "eggs", "onion", "olive oil", "salt"],
        es_name="tortilla de patatas",
        es_ingredients=["patatas", "huevos", "cebolla", "aceite de oliva", "sal"],
        tags=["main-dish", "spanish", "vegetarian"],
        minutes=40,
        rating=4.8,
        count=130,
    ),
    _r(
        126,
        "chicken fried rice",
        ["cooked rice", "chicken", "eggs", "soy sauce", "green onions", "peas"],
        es_name="arroz frito con pollo",
        es_ingredients=["arroz cocido", "pollo", "huevos", "salsa de soja", "cebollín", "arvejas"],
        tags=["main-dish", "chinese", "30-minutes-or-less"],
        minutes=25,
        rating=4.5,
        count=85,
    ),
    _r(
        127,
        "roasted vegetables",
        ["zucchini", "eggplant", "bell pepper", "red onion", "olive oil", "rosemary"],
        es_name="verduras asadas",
        es_ingredients=["calabacín", "berenjena", "pimiento", "cebolla morada", "aceite de oliva", "romero"],
        tags=["side-dishes"],
        minutes=40,
        rating=4.1,
        count=18,
    ),
    _r(
        128,
        "strawberry sorbet",
        ["strawberries", "sugar", "lemon juice", "water"],
        es_name="sorbete de fresa",
        es_ingredients=["fresas", "azúcar", "jugo de limón", "agua"],
        tags=["desserts", "vegan", "gluten-free"],
        minutes=15,
        rating=4.0,
        count=8,
    ),
    _r(
        129,
        "mayonnaise potato salad",
        ["potatoes", "mayonnaise", "celery", "mustard"],
        es_name="ensalada de papa con mayonesa",
        es_ingredients=["papas", "mayonesa", "apio", "mostaza"],
        tags=["side-dishes", "salads"],
        minutes=30,
        rating=3.9,
        count=22,
    ),
    _r(
        130,
        "unrated chicken soup",
        ["chicken", "carrots", "celery", "noodles", "chicken broth"],
        es_name="sopa de pollo",
        es_ingredients=["pollo", "zanahorias", "apio", "fideos", "caldo de pollo"],
        tags=["soups-stews"],
        minutes=None,
    ),
]


def recipe_text(record: dict[str, Any]) -> str:
    """The document text embedded per recipe: both languages, so hashing vectors match either."""
    parts = [record["name"], record.get("description") or "", ", ".join(record["ingredients"])]
    for loc in record.get("localized") or []:
        parts += [loc["name"], ", ".join(loc["ingredients"])]
    return ". ".join(p for p in parts if p)


def catalog(records: list[dict[str, Any]] | None = None) -> pa.Table:
    return catalog_from_records(records or RECIPES)


def hashing_backend() -> HashingBackend:
    return HashingBackend(dimensions=DIMS)


def vectors_for(records: list[dict[str, Any]]) -> np.ndarray:
    return hashing_backend().encode_sync([recipe_text(r) for r in records])


def build_bundle(
    out_dir: Path,
    records: list[dict[str, Any]] | None = None,
    *,
    index_backend: str = "usearch",
    extra_manifest: dict[str, Any] | None = None,
) -> Path:
    """Write a bundle of ``records`` (default: RECIPES) with hashing embeddings."""
    records = records or RECIPES
    backend = hashing_backend()
    return write_bundle(
        catalog(records),
        vectors_for(records),
        out_dir,
        embedding={"model": backend.model, "backend": backend.name, "dimensions": DIMS},
        source={"kind": "test", "recipes": len(records)},
        index_backend=index_backend,
        extra_manifest=extra_manifest,
    )
