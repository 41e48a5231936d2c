"""Views of a catalog recipe in one language, and facts derived from its ingredients.

A recipe carries its text in ``language`` plus, in ``localized``, the same text in other
languages (the bundled catalog has Spanish and English for every dish). That stored text is a
translation memory: it is used verbatim before any glossary or model is asked.
"""

from __future__ import annotations

from dataclasses import dataclass

from recipes.common.v1 import common_pb2
from services.llm.glossary import Glossary
from services.llm.languages import Lang, from_pb
from services.llm.text import fold


@dataclass(frozen=True)
class RecipeView:
    name: str
    description: str
    ingredients: list[str]
    steps: list[str]
    from_memory: bool  # True when the text is the catalog's own (not machine-translated)


def stored_text(recipe: common_pb2.Recipe, lang: Lang) -> common_pb2.RecipeText | None:
    """The catalog's own text of ``recipe`` in ``lang``, if it has one."""
    if from_pb(recipe.language) == lang:
        return common_pb2.RecipeText(
            language=recipe.language,
            name=recipe.name,
            description=recipe.description,
            ingredients=recipe.ingredients,
            steps=recipe.steps,
        )
    for text in recipe.localized:
        if from_pb(text.language) == lang and text.name:
            return text
    return None


def recipe_view(recipe: common_pb2.Recipe, lang: Lang, glossary: Glossary) -> RecipeView:
    """The recipe in ``lang``: stored text field by field, glossary translation for the rest."""
    source: Lang = from_pb(recipe.language) or ("en" if lang == "es" else "es")
    stored = stored_text(recipe, lang)

    def tr(text: str) -> str:
        return glossary.translate(text, source, lang)

    if stored is not None:
        return RecipeView(
            name=stored.name or tr(recipe.name),
            description=stored.description or tr(recipe.description),
            ingredients=list(stored.ingredients) or [tr(i) for i in recipe.ingredients],
            steps=list(stored.steps) or [tr(s) for s in recipe.steps],
            from_memory=True,
        )
    return RecipeView(
        name=tr(recipe.name),
        description=tr(recipe.description),
        ingredients=[tr(i) for i in recipe.ingredients],
        steps=[tr(s) for s in recipe.steps],
        from_memory=source == lang,
    )


def all_ingredient_text(recipe: common_pb2.Recipe) -> list[str]:
    """Ingredients in every language the recipe carries (for matching, not for display)."""
    out = list(recipe.ingredients)
    for text in recipe.localized:
        out.extend(text.ingredients)
    return out


# Major allergens (EU/US lists) and the ingredient words that signal them, in both languages.
ALLERGENS: dict[str, dict[str, tuple[str, ...]]] = {
    "gluten": {
        "label_es": ("gluten (trigo)",),
        "label_en": ("gluten (wheat)",),
        "words": (
            "flour", "harina", "wheat", "trigo", "bread", "pan", "breadcrumbs", "pan rallado", "pasta",
            "spaghetti", "espagueti", "noodles", "fideos", "barley", "cebada", "rye", "centeno", "couscous",
            "cuscus", "tortilla de trigo", "flour tortilla", "soy sauce", "salsa de soja", "beer", "cerveza",
            "semolina", "semola", "crackers", "galletas", "bulgur", "seitan", "panko", "pie crust", "masa",
        ),
    },
    "dairy": {
        "label_es": ("lácteos",),
        "label_en": ("dairy",),
        "words": (
            "milk", "leche", "butter", "mantequilla", "manteca", "cheese", "queso", "cream", "crema", "nata",
            "yogurt", "yogur", "parmesan", "parmesano", "mozzarella", "ricotta", "ghee", "buttermilk",
        ),
    },
    "egg": {
        "label_es": ("huevo",),
        "label_en": ("egg",),
        "words": ("egg", "eggs", "huevo", "huevos", "yema", "yolk", "clara", "mayonnaise", "mayonesa"),
    },
    "tree nuts": {
        "label_es": ("frutos secos",),
        "label_en": ("tree nuts",),
        "words": (
            "almond", "almendra", "walnut", "nuez", "nueces", "pecan", "cashew", "anacardo", "castaña de caju",
            "hazelnut", "avellana", "pistachio", "pistacho", "macadamia", "pine nut", "piñon", "pinon",
        ),
    },
    "peanuts": {
        "label_es": ("maní / cacahuate",),
        "label_en": ("peanuts",),
        "words": ("peanut", "peanuts", "mani", "maní", "cacahuate", "cacahuete"),
    },
    "soy": {
        "label_es": ("soja",),
        "label_en": ("soy",),
        "words": ("soy", "soja", "soya", "tofu", "edamame", "miso", "tempeh"),
    },
    "fish": {
        "label_es": ("pescado",),
        "label_en": ("fish",),
        "words": (
            "fish", "pescado", "salmon", "salmón", "tuna", "atun", "atún", "cod", "bacalao", "anchovy",
            "anchoa", "sardine", "sardina", "tilapia", "merluza", "hake", "fish sauce", "salsa de pescado",
        ),
    },
    "shellfish": {
        "label_es": ("mariscos",),
        "label_en": ("shellfish",),
        "words": (
            "shrimp", "camaron", "camarón", "camarones", "gamba", "gambas", "prawn", "langostino", "crab",
            "cangrejo", "lobster", "langosta", "clam", "almeja", "mussel", "mejillon", "mejillón", "scallop",
            "oyster", "ostra", "squid", "calamar", "octopus", "pulpo",
        ),
    },
    "sesame": {
        "label_es": ("sésamo",),
        "label_en": ("sesame",),
        "words": ("sesame", "sesamo", "sésamo", "ajonjoli", "ajonjolí", "tahini"),
    },
}  # fmt: skip


def _contains_word(haystack: str, needle: str) -> bool:
    return f" {needle} " in f" {haystack} "


def detect_allergens(recipe: common_pb2.Recipe) -> dict[str, list[str]]:
    """Allergen -> the ingredient lines that suggest it (heuristic keyword match)."""
    found: dict[str, list[str]] = {}
    lines = all_ingredient_text(recipe)
    folded_lines = [(line, " ".join(fold(line).replace(",", " ").replace("(", " ").replace(")", " ").split()))
                    for line in lines]  # fmt: skip
    for allergen, spec in ALLERGENS.items():
        words = [fold(w) for w in spec["words"]]
        hits = [line for line, folded in folded_lines if any(_contains_word(folded, w) for w in words)]
        if allergen == "gluten":  # products labelled gluten-free do not count
            hits = [h for h in hits if "sin gluten" not in fold(h) and "gluten-free" not in fold(h)]
        if hits:
            found[allergen] = hits
    return found


def allergen_label(allergen: str, lang: Lang) -> str:
    return ALLERGENS[allergen][f"label_{lang}"][0]
