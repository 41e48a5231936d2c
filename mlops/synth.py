"""``mlops synth``: a plausible synthetic catalog with ratings, of any size, for benchmarks only.

Recipes are composed from cuisine-specific pools (proteins, vegetables, dish types, flavourings),
so names, ingredients, tags and diet labels agree with each other ("vegan" recipes contain no
animal products) and document texts are nearly all distinct, as in Food.com, which is what makes
embedding cost realistic. Ratings follow Food.com's shape: heavy-tailed review counts per recipe,
~72% five stars, ~5% zero ("no rating"), and a per-recipe quality that shifts its scores.

Output is either Food.com CSVs (``RAW_recipes.csv`` + ``RAW_interactions.csv``, the ingest path)
or the normalised parquet directly (``catalog.parquet`` + ``interactions.parquet``, the build path).
Never ship it as data: it is not real.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mlops.ingest.foodcom import INTERACTIONS_SCHEMA, RECIPE_COLUMNS
from mlops.ingest.records import CatalogBuilder
from services.recommender.catalog import nutrition_from_foodcom

MEAT = {"chicken", "beef", "pork", "lamb", "turkey", "bacon", "chorizo", "sausage", "duck", "ham"}
SEAFOOD = {"shrimp", "salmon", "cod", "tuna", "mussels", "squid", "tilapia", "crab"}
DAIRY_EGG = {"butter", "cheese", "cream", "milk", "eggs", "yogurt", "parmesan", "feta", "mozzarella", "honey"}
GLUTEN = {"flour", "pasta", "bread", "tortillas", "noodles", "soy sauce", "breadcrumbs", "couscous", "pie crust"}

CUISINES: dict[str, dict[str, list[str]]] = {
    "mexican": {
        "flavor": ["cumin", "chili powder", "lime", "cilantro", "jalapeno", "salsa verde", "chipotle"],
        "dish": ["tacos", "enchiladas", "quesadillas", "burrito bowl", "pozole", "tostadas", "fajitas"],
    },
    "italian": {
        "flavor": ["basil", "oregano", "garlic", "parmesan", "balsamic vinegar", "pesto", "capers"],
        "dish": ["pasta", "risotto", "lasagna", "frittata", "polenta", "gnocchi", "minestrone"],
    },
    "indian": {
        "flavor": ["garam masala", "turmeric", "ginger", "cumin seeds", "coriander", "cardamom", "yogurt"],
        "dish": ["curry", "masala", "biryani", "dal", "tikka", "korma", "pakoras"],
    },
    "chinese": {
        "flavor": ["soy sauce", "ginger", "garlic", "sesame oil", "scallions", "hoisin sauce", "star anise"],
        "dish": ["stir fry", "fried rice", "lo mein", "dumplings", "chow mein", "noodle soup"],
    },
    "japanese": {
        "flavor": ["miso", "mirin", "soy sauce", "rice vinegar", "nori", "wasabi", "dashi"],
        "dish": ["teriyaki", "donburi", "ramen", "udon", "katsu", "onigiri", "miso soup"],
    },
    "thai": {
        "flavor": ["fish sauce", "lemongrass", "thai basil", "coconut milk", "red curry paste", "lime leaves"],
        "dish": ["green curry", "pad thai", "larb", "tom yum", "noodle salad", "red curry"],
    },
    "french": {
        "flavor": ["thyme", "dijon mustard", "shallots", "white wine", "tarragon", "herbes de provence"],
        "dish": ["gratin", "ragout", "quiche", "cassoulet", "bisque", "tart", "confit"],
    },
    "spanish": {
        "flavor": ["smoked paprika", "saffron", "sherry vinegar", "olive oil", "garlic", "piquillo peppers"],
        "dish": ["paella", "tortilla", "gazpacho", "tapas", "stew", "croquettes"],
    },
    "peruvian": {
        "flavor": ["aji amarillo", "lime", "cilantro", "red onion", "huacatay", "aji panca"],
        "dish": ["ceviche", "lomo saltado", "causa", "aji de gallina", "anticuchos", "arroz chaufa"],
    },
    "argentine": {
        "flavor": ["chimichurri", "oregano", "parsley", "red pepper flakes", "garlic"],
        "dish": ["empanadas", "asado", "milanesa", "locro", "provoleta"],
    },
    "colombian": {
        "flavor": ["hogao", "cumin", "cilantro", "scallions", "achiote"],
        "dish": ["arepas", "sancocho", "bandeja", "ajiaco", "patacones"],
    },
    "greek": {
        "flavor": ["oregano", "lemon", "feta", "dill", "kalamata olives", "yogurt"],
        "dish": ["souvlaki", "moussaka", "spanakopita", "gyros", "orzo salad"],
    },
    "middle-eastern": {
        "flavor": ["tahini", "sumac", "za'atar", "cumin", "parsley", "pomegranate molasses"],
        "dish": ["shawarma", "falafel", "kebabs", "mujadara", "shakshuka", "fattoush"],
    },
    "moroccan": {
        "flavor": ["ras el hanout", "preserved lemon", "cinnamon", "harissa", "dried apricots"],
        "dish": ["tagine", "couscous", "harira", "kefta"],
    },
    "korean": {
        "flavor": ["gochujang", "kimchi", "sesame seeds", "soy sauce", "garlic", "gochugaru"],
        "dish": ["bibimbap", "bulgogi", "japchae", "kimchi stew", "pancakes"],
    },
    "vietnamese": {
        "flavor": ["fish sauce", "mint", "lemongrass", "rice vinegar", "sriracha"],
        "dish": ["pho", "banh mi", "spring rolls", "vermicelli bowl", "caramel braise"],
    },
    "american": {
        "flavor": ["barbecue sauce", "cheddar", "ranch dressing", "brown sugar", "worcestershire sauce"],
        "dish": ["burgers", "casserole", "chili", "sloppy joes", "mac and cheese", "pot pie", "sandwiches"],
    },
    "cajun-creole": {
        "flavor": ["cajun seasoning", "okra", "celery", "bell pepper", "hot sauce", "file powder"],
        "dish": ["gumbo", "jambalaya", "etouffee", "red beans and rice"],
    },
    "caribbean": {
        "flavor": ["allspice", "scotch bonnet", "thyme", "coconut", "lime"],
        "dish": ["jerk", "rice and peas", "curry", "patties", "stew"],
    },
    "british": {
        "flavor": ["worcestershire sauce", "mustard", "thyme", "stout", "peas"],
        "dish": ["pie", "stew", "roast", "pasties", "fish cakes"],
    },
}
PROTEINS = [
    "chicken",
    "beef",
    "pork",
    "lamb",
    "turkey",
    "shrimp",
    "salmon",
    "cod",
    "tuna",
    "tofu",
    "chickpeas",
    "lentils",
    "black beans",
    "eggs",
    "chorizo",
    "sausage",
    "mussels",
    "tempeh",
    "paneer",
    "mushrooms",
    "duck",
    "bacon",
    "squid",
    "white beans",
    "seitan",
]
VEGETABLES = [
    "onion",
    "garlic",
    "tomatoes",
    "bell pepper",
    "zucchini",
    "eggplant",
    "spinach",
    "kale",
    "carrots",
    "potatoes",
    "sweet potatoes",
    "cauliflower",
    "broccoli",
    "cabbage",
    "corn",
    "peas",
    "green beans",
    "asparagus",
    "leeks",
    "celery",
    "pumpkin",
    "butternut squash",
    "avocado",
    "cucumber",
    "radishes",
    "beets",
    "artichokes",
    "brussels sprouts",
    "fennel",
    "okra",
    "chard",
    "arugula",
    "plantains",
    "yuca",
    "poblano peppers",
    "shiitake mushrooms",
    "bok choy",
    "snow peas",
    "tomatillos",
    "parsnips",
]
STARCHES = ["rice", "pasta", "quinoa", "bread", "tortillas", "noodles", "couscous", "polenta", "potatoes", "bulgur"]
ADJECTIVES = [
    "spicy",
    "smoky",
    "creamy",
    "easy",
    "quick",
    "garlicky",
    "lemony",
    "crispy",
    "hearty",
    "healthy",
    "one-pot",
    "sheet pan",
    "slow cooker",
    "grilled",
    "roasted",
    "braised",
    "tangy",
    "sweet and sour",
    "honey glazed",
    "herbed",
    "rustic",
    "weeknight",
    "classic",
    "homestyle",
    "zesty",
    "light",
    "cheesy",
    "coconut",
    "peppery",
    "golden",
]
DESSERT_BASES = [
    "cake",
    "cookies",
    "brownies",
    "pudding",
    "tart",
    "pie",
    "muffins",
    "cheesecake",
    "crumble",
    "flan",
    "ice cream",
    "bread pudding",
    "bars",
    "mousse",
    "churros",
    "alfajores",
    "tres leches cake",
]
DESSERT_FLAVORS = [
    "chocolate",
    "lemon",
    "apple",
    "banana",
    "strawberry",
    "coconut",
    "pumpkin",
    "dulce de leche",
    "cinnamon",
    "peanut butter",
    "blueberry",
    "mango",
    "almond",
    "caramel",
    "vanilla",
    "orange",
    "pecan",
    "raspberry",
    "matcha",
    "pear",
]
BREAKFASTS = [
    "pancakes",
    "omelette",
    "waffles",
    "smoothie bowl",
    "granola",
    "frittata",
    "breakfast burrito",
    "hash",
    "overnight oats",
    "french toast",
    "scrambled eggs",
    "breakfast tacos",
    "porridge",
]
DRINKS = ["smoothie", "lemonade", "iced tea", "agua fresca", "punch", "latte", "milkshake", "mocktail", "chicha"]
TECHNIQUES = ["saute", "roast", "simmer", "grill", "bake", "braise", "stir-fry", "steam", "pan-fry"]
COURSES = [
    ("main-dish", 0.46),
    ("side-dishes", 0.12),
    ("soups-stews", 0.08),
    ("salads", 0.07),
    ("desserts", 0.14),
    ("breakfast", 0.08),
    ("beverages", 0.05),
]
CUISINE_NAMES = list(CUISINES)
COURSE_NAMES = [c for c, _ in COURSES]
COURSE_WEIGHTS = [w for _, w in COURSES]
CALORIES = {
    "main-dish": 480,
    "side-dishes": 210,
    "soups-stews": 290,
    "salads": 240,
    "desserts": 380,
    "breakfast": 360,
    "beverages": 170,
}


@dataclass
class SynthResult:
    recipes: int
    interactions: int
    paths: list[Path]


def _time_tag(minutes: int) -> str:
    for limit, tag in (
        (15, "15-minutes-or-less"),
        (30, "30-minutes-or-less"),
        (60, "60-minutes-or-less"),
        (240, "4-hours-or-less"),
    ):
        if minutes <= limit:
            return tag
    return "time-to-make"


def _pick(rng: random.Random, pool: list[str], k: int) -> list[str]:
    return rng.sample(pool, min(k, len(pool)))


def _recipe(rng: random.Random, rid: int) -> dict[str, Any]:
    cuisine = rng.choice(CUISINE_NAMES)
    pools = CUISINES[cuisine]
    course = rng.choices(COURSE_NAMES, COURSE_WEIGHTS)[0]
    flavors = _pick(rng, pools["flavor"], int(rng.randrange(2, 4)))
    veg = _pick(rng, VEGETABLES, int(rng.randrange(2, 5)))
    protein = rng.choice(PROTEINS)
    adj = rng.choice(ADJECTIVES)
    if course == "desserts":
        flavor = rng.choice(DESSERT_FLAVORS)
        base = rng.choice(DESSERT_BASES)
        name = f"{adj if rng.random() < 0.3 else 'easy'} {flavor} {base}" if rng.random() < 0.4 else f"{flavor} {base}"
        extra = _pick(rng, DESSERT_FLAVORS, 2)
        ingredients = [
            flavor,
            *(["flour", "sugar", "butter", "eggs"] if rng.random() < 0.8 else ["sugar", "coconut cream"]),
            "vanilla extract",
            extra[0],
            "salt",
        ]
    elif course == "breakfast":
        dish = rng.choice(BREAKFASTS)
        name = f"{adj} {veg[0]} and {protein} {dish}"
        ingredients = [protein, *veg, "eggs" if rng.random() < 0.6 else "oats", *flavors[:1], "salt", "black pepper"]
    elif course == "beverages":
        fruit = rng.choice(DESSERT_FLAVORS)
        dish = rng.choice(DRINKS)
        name = f"{fruit} {dish}" if rng.random() < 0.5 else f"{fruit} and {_pick(rng, DESSERT_FLAVORS, 1)[0]} {dish}"
        ingredients = [fruit, "ice", "sugar" if rng.random() < 0.5 else "honey", "water", "lime"]
    else:
        dish = {
            "main-dish": rng.choice(pools["dish"]),
            "side-dishes": f"{rng.choice(TECHNIQUES)}ed {veg[0]}",
            "soups-stews": "soup" if rng.random() < 0.6 else "stew",
            "salads": "salad",
        }[course]
        style = rng.random()
        if course == "side-dishes":
            name = f"{adj} {dish} with {flavors[0]}"
        elif style < 0.35:
            name = f"{adj} {protein} {dish}"
        elif style < 0.7:
            name = f"{protein} and {veg[0]} {dish}"
        else:
            name = f"{cuisine.replace('-', ' ')} {protein} {dish} with {flavors[0]}"
        starch = rng.choice(STARCHES)
        ingredients = [protein, *veg, *flavors, starch, "olive oil", "salt", "black pepper"]
    ingredients = list(dict.fromkeys(ingredients))
    items = set(ingredients)
    vegetarian = not items & (MEAT | SEAFOOD)
    vegan = vegetarian and not items & DAIRY_EGG
    gluten_free = not items & GLUTEN
    minutes = int(min(max(rng.lognormvariate(3.6, 0.7), 5), 720))
    technique = rng.choice(TECHNIQUES)
    steps = [
        f"prepare the {', '.join(ingredients[1:3])} and set aside",
        f"{technique} the {ingredients[0]} until cooked through",
        f"add the {' and '.join(ingredients[2:4])} and cook for {int(rng.randrange(3, 20))} minutes",
        f"season with {ingredients[-2]}, {ingredients[-1]} and taste",
        "serve warm" if course not in ("desserts", "beverages", "salads") else "chill briefly and serve",
    ][: int(rng.randrange(3, 6))]
    tags = [_time_tag(minutes), "time-to-make", "course", "main-ingredient", "cuisine", "preparation", course, cuisine]
    tags += [
        t
        for t, ok in (
            ("vegetarian", vegetarian),
            ("vegan", vegan),
            ("gluten-free", gluten_free),
            ("easy", len(steps) <= 4),
        )
        if ok
    ]
    calories = round(CALORIES[course] * rng.lognormvariate(0, 0.35), 1)
    nutrition = [calories, *(float(round(rng.gammavariate(2.0, scale))) for scale in (14, 20, 18, 16, 15, 6))]
    adjectives = "quick and " if minutes <= 30 else ""
    kind = f"{cuisine.replace('-', ' ')} {course.replace('-', ' ')}"
    description = f"a {adjectives}{kind} with {ingredients[0]} and {ingredients[1]}."
    return {
        "name": name,
        "id": rid,
        "minutes": minutes,
        "tags": tags,
        "nutrition": nutrition,
        "steps": steps,
        "description": description,
        "ingredients": ingredients,
        "cuisine": cuisine,
        "servings": rng.choice([2, 4, 4, 6, 8]),
    }


def _interactions(rng: np.random.Generator, ids: np.ndarray, submitted_days: np.ndarray) -> dict[str, np.ndarray]:
    """~4.9 reviews per recipe with a heavy tail; ratings skewed to 5 and shifted by recipe quality."""
    n = len(ids)
    counts = np.minimum(rng.negative_binomial(0.45, 0.085, size=n), 3000)
    total = int(counts.sum())
    recipe_index = np.repeat(np.arange(n), counts)
    quality = rng.normal(0, 1, size=n)
    raw = 5.1 + 0.5 * quality[recipe_index] + 0.9 * rng.normal(0, 1, size=total)
    ratings = np.clip(np.round(raw), 1, 5).astype(np.int8)
    ratings[rng.random(total) < 0.054] = 0
    users = (rng.zipf(1.6, size=total) % max(n // 2, 1)) + 1000
    days = submitted_days[recipe_index] + rng.integers(1, 1500, size=total)
    return {"user_id": users.astype(np.int64), "recipe_id": ids[recipe_index], "days": days, "rating": ratings}


REVIEWS = [
    "loved it, will make again",
    "great weeknight dinner",
    "easy and tasty",
    "a bit bland for us",
    "made it twice already!",
    "my family asked for seconds",
    "",
    "",
    "too salty &amp; dry",
    "perfect as written",
]


def synthesize(n: int, out: Path, *, seed: int = 0, fmt: str = "csv", start_id: int = 1_000_000) -> SynthResult:
    """Write ``n`` recipes and their interactions to ``out`` in ``fmt`` ("csv" or "parquet")."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    ids = np.arange(start_id, start_id + n, dtype=np.int64)
    epoch = dt.date(1999, 8, 1)
    submitted_days = rng.integers(0, 6900, size=n)
    contributors = rng.integers(1000, 2_000_000, size=n)
    py_rng = random.Random(seed)
    recipes = [_recipe(py_rng, int(rid)) for rid in ids]
    inter = _interactions(rng, ids, submitted_days)
    dates = [(epoch + dt.timedelta(days=int(d))).isoformat() for d in range(7000 + 1500)]
    if fmt == "csv":
        paths = [out / "RAW_recipes.csv", out / "RAW_interactions.csv"]
        with paths[0].open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow([*RECIPE_COLUMNS, "cuisine", "servings"])
            for r, day, contributor in zip(recipes, submitted_days, contributors, strict=True):
                writer.writerow(
                    [
                        r["name"],
                        r["id"],
                        r["minutes"],
                        int(contributor),
                        dates[int(day)],
                        repr(r["tags"]),
                        repr(r["nutrition"]),
                        len(r["steps"]),
                        repr(r["steps"]),
                        r["description"],
                        repr(r["ingredients"]),
                        len(r["ingredients"]),
                        r["cuisine"],
                        r["servings"],
                    ]
                )
        with paths[1].open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["user_id", "recipe_id", "date", "rating", "review"])
            review_idx = rng.integers(0, len(REVIEWS), size=len(inter["rating"]))
            writer.writerows(
                zip(
                    inter["user_id"].tolist(),
                    inter["recipe_id"].tolist(),
                    [dates[int(d)] for d in inter["days"]],
                    inter["rating"].tolist(),
                    [REVIEWS[i] for i in review_idx],
                    strict=True,
                )
            )
    elif fmt == "parquet":
        paths = [out / "catalog.parquet", out / "interactions.parquet"]
        ratings = inter["rating"].astype(np.float64)
        rated = ratings > 0
        index = np.searchsorted(ids, inter["recipe_id"][rated])
        sums = np.bincount(index, weights=ratings[rated], minlength=n)
        counts = np.bincount(index, minlength=n)
        builder = CatalogBuilder()
        for i, r in enumerate(recipes):
            builder.add(
                id=r["id"],
                name=r["name"],
                description=r["description"],
                ingredients=r["ingredients"],
                steps=r["steps"],
                minutes=r["minutes"],
                tags=r["tags"],
                **nutrition_from_foodcom(r["nutrition"]),
                servings=r["servings"],
                cuisine=r["cuisine"],
                language="en",
                localized=[],
                submitted=dates[int(submitted_days[i])],
                contributor_id=int(contributors[i]),
                source="synthetic",
                url=None,
                rating_average=float(sums[i] / counts[i]) if counts[i] else None,
                rating_count=int(counts[i]) if counts[i] else None,
            )
        pq.write_table(builder.table(), paths[0], compression="zstd")
        table = pa.table(
            {
                "user_id": inter["user_id"],
                "recipe_id": inter["recipe_id"],
                "date": [dates[int(d)] for d in inter["days"]],
                "rating": inter["rating"],
                "review": [""] * len(inter["rating"]),
            },
            schema=INTERACTIONS_SCHEMA,
        )
        pq.write_table(table, paths[1], compression="zstd")
    else:
        raise ValueError(f"format must be csv or parquet, got {fmt!r}")
    return SynthResult(n, len(inter["rating"]), paths)
