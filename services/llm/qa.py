"""Local recipe Q&A: classify the question, answer from the recipe's own data.

The answers say where they come from ("According to the recipe data ...") and say so when the
data does not hold the answer, instead of guessing. Substitutions come from the
substitution table; allergens from a keyword scan of the ingredients (flagged as such).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from recipes.common.v1 import common_pb2
from services.llm.glossary import Glossary
from services.llm.languages import Lang
from services.llm.recipes import RecipeView, allergen_label, detect_allergens, recipe_view
from services.llm.resources import Substitution
from services.llm.text import fold, singular_candidates

TOPIC_KEYWORDS: dict[str, tuple[str, ...]] = {
    "substitution": (
        "cambiar", "cambio", "sustituir", "sustituyo", "sustituto", "reemplazar", "reemplazo", "en lugar de",
        "en vez de", "alternativa", "puedo usar", "usar otra", "substitute", "substitution", "replace",
        "instead of", "swap", "alternative", "can i use", "use something else",
    ),
    "allergens": (
        "alergeno", "alergenos", "alergia", "alergias", "alergico", "alergica", "gluten", "lactosa", "lacteos",
        "celiaco", "celiaca", "frutos secos", "mani", "allergen", "allergens", "allergy", "allergies",
        "allergic", "dairy", "lactose", "nuts", "peanut", "peanuts", "celiac", "shellfish", "mariscos",
    ),
    "diet": ("vegano", "vegana", "vegetariano", "vegetariana", "vegan", "vegetarian", "keto", "plant based"),
    "nutrition": (
        "caloria", "calorias", "kcal", "proteina", "proteinas", "grasa", "grasas", "carbohidratos", "azucar",
        "azucares", "sodio", "sal", "fibra", "nutricion", "nutricional", "nutrientes", "saludable", "sano",
        "calorie", "calories", "protein", "fat", "carbs", "carbohydrates", "sugar", "sodium", "salt", "fiber",
        "fibre", "nutrition", "nutritional", "healthy",
    ),
    "time": (
        "tiempo", "tarda", "tardo", "demora", "minutos", "cuanto dura", "horas", "how long", "time", "minutes",
        "hours", "take to make", "takes",
    ),
    "servings": (
        "porciones", "porcion", "raciones", "racion", "personas", "rinde", "para cuantos", "comensales",
        "servings", "serving", "serves", "portions", "people", "yield",
    ),
    "steps": (
        "pasos", "como se hace", "como hago", "como lo hago", "como la hago", "como preparo", "preparacion",
        "instrucciones", "procedimiento", "elaboracion", "steps", "how do i make", "how to make", "how do i cook",
        "instructions", "method", "directions", "how is it made",
    ),
    "ingredients": (
        "ingredientes", "ingrediente", "que lleva", "que necesito", "lleva", "ingredients", "ingredient",
        "what do i need", "what goes in", "contain", "contains",
    ),
}  # fmt: skip
TOPIC_ORDER = ("substitution", "allergens", "diet", "nutrition", "time", "servings", "steps", "ingredients")
_NUTRIENT_WORDS = {
    "calories_kcal": ("caloria", "calorias", "kcal", "calorie", "calories"),
    "protein_g": ("proteina", "proteinas", "protein"),
    "fat_g": ("grasa", "grasas", "fat"),
    "carbohydrates_g": ("carbohidratos", "carbs", "carbohydrates"),
    "sugar_g": ("azucar", "azucares", "sugar"),
    "fiber_g": ("fibra", "fiber", "fibre"),
    "sodium_mg": ("sodio", "sal", "sodium", "salt"),
}
_ALLERGEN_QUESTION_WORDS = {
    "gluten": ("gluten", "trigo", "wheat", "celiaco", "celiaca", "celiac"),
    "dairy": ("lactosa", "lacteos", "lacteo", "leche", "dairy", "lactose", "milk"),
    "egg": ("huevo", "huevos", "egg", "eggs"),
    "tree nuts": ("frutos secos", "nueces", "nuts", "tree nuts"),
    "peanuts": ("mani", "cacahuate", "cacahuete", "peanut", "peanuts"),
    "soy": ("soja", "soya", "soy"),
    "fish": ("pescado", "fish"),
    "shellfish": ("mariscos", "shellfish"),
    "sesame": ("sesamo", "ajonjoli", "sesame"),
}
_MEAT_WORDS = (
    "chicken", "pollo", "beef", "res", "carne", "pork", "cerdo", "bacon", "tocino", "ham", "jamon", "lamb",
    "cordero", "turkey", "pavo", "sausage", "chorizo", "salchicha", "fish", "pescado", "shrimp", "camaron",
    "tuna", "atun", "salmon", "anchovy", "anchoa", "gelatin", "gelatina",
)  # fmt: skip
_ANIMAL_WORDS = ("milk", "leche", "butter", "mantequilla", "cheese", "queso", "egg", "huevo", "honey", "miel",
                 "cream", "crema", "nata", "yogurt", "yogur")  # fmt: skip


def _has(folded: str, phrase: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", folded) is not None


def classify_question(question: str) -> str:
    """The topic of a question (one of TOPIC_ORDER) or 'summary' when none is recognised."""
    folded = fold(question)
    for topic in TOPIC_ORDER:
        if any(_has(folded, k) for k in TOPIC_KEYWORDS[topic]):
            return topic
    return "summary"


def _minutes_text(minutes: int, lang: Lang) -> str:
    unit = "minutos" if lang == "es" else "minutes"
    if minutes >= 60:
        hours, rest = divmod(minutes, 60)
        clock = f"{hours} h {rest} min" if rest else f"{hours} h"
        return f"{minutes} {unit} ({clock})"
    return f"{minutes} {unit}"


class LocalQA:
    """Answers questions about one recipe from its fields and the substitution table."""

    def __init__(self, glossary: Glossary, substitutions: Sequence[Substitution]) -> None:
        self.glossary = glossary
        self.substitutions = list(substitutions)

    def answer(self, recipe: common_pb2.Recipe, question: str, lang: Lang) -> str:
        view = recipe_view(recipe, lang, self.glossary)
        topic = classify_question(question)
        handler = getattr(self, f"_{topic}")
        body: str = handler(recipe, view, question, lang)
        return body

    # -- helpers --------------------------------------------------------------------------
    @staticmethod
    def _intro(view: RecipeView, lang: Lang) -> str:
        return (
            f"Según los datos de la receta «{view.name}»"
            if lang == "es"
            else f'According to the recipe data for "{view.name}"'
        )

    # -- topics ---------------------------------------------------------------------------
    def _time(self, recipe: common_pb2.Recipe, view: RecipeView, question: str, lang: Lang) -> str:
        if recipe.minutes <= 0:
            return (
                f"{self._intro(view, lang)}, no figura el tiempo de preparación."
                if lang == "es"
                else f"{self._intro(view, lang)}, the preparation time is not recorded."
            )
        total = _minutes_text(recipe.minutes, lang)
        steps = len(view.steps)
        if lang == "es":
            return f"{self._intro(view, lang)}, se prepara en {total} en total, en {steps} pasos."
        return f"{self._intro(view, lang)}, it takes {total} in total, in {steps} steps."

    def _servings(self, recipe: common_pb2.Recipe, view: RecipeView, question: str, lang: Lang) -> str:
        if recipe.servings <= 0:
            return (
                f"{self._intro(view, lang)}, no se indica el número de porciones."
                if lang == "es"
                else f"{self._intro(view, lang)}, the number of servings is not recorded."
            )
        if lang == "es":
            return f"{self._intro(view, lang)}, rinde {recipe.servings} porciones."
        return f"{self._intro(view, lang)}, it makes {recipe.servings} servings."

    def _ingredients(self, recipe: common_pb2.Recipe, view: RecipeView, question: str, lang: Lang) -> str:
        items = "; ".join(view.ingredients)
        if lang == "es":
            return f"{self._intro(view, lang)}, lleva {len(view.ingredients)} ingredientes: {items}."
        return f"{self._intro(view, lang)}, it uses {len(view.ingredients)} ingredients: {items}."

    def _steps(self, recipe: common_pb2.Recipe, view: RecipeView, question: str, lang: Lang) -> str:
        numbered = " ".join(f"{i}. {s.rstrip('.')}." for i, s in enumerate(view.steps, 1))
        if lang == "es":
            return f"{self._intro(view, lang)}, estos son los {len(view.steps)} pasos: {numbered}"
        return f"{self._intro(view, lang)}, these are the {len(view.steps)} steps: {numbered}"

    def _nutrition(self, recipe: common_pb2.Recipe, view: RecipeView, question: str, lang: Lang) -> str:
        n = recipe.nutrition
        if not recipe.HasField("nutrition") or n.calories_kcal <= 0:
            return (
                f"{self._intro(view, lang)}, no hay información nutricional."
                if lang == "es"
                else f"{self._intro(view, lang)}, there is no nutrition information."
            )
        labels = {
            "es": {
                "calories_kcal": ("{v:.0f} kcal", "calorías"),
                "protein_g": ("{v:.0f} g de proteína", ""),
                "fat_g": ("{v:.0f} g de grasa", ""),
                "saturated_fat_g": ("{v:.0f} g de grasa saturada", ""),
                "carbohydrates_g": ("{v:.0f} g de carbohidratos", ""),
                "sugar_g": ("{v:.0f} g de azúcares", ""),
                "fiber_g": ("{v:.0f} g de fibra", ""),
                "sodium_mg": ("{v:.0f} mg de sodio", ""),
            },
            "en": {
                "calories_kcal": ("{v:.0f} kcal", ""),
                "protein_g": ("{v:.0f} g protein", ""),
                "fat_g": ("{v:.0f} g fat", ""),
                "saturated_fat_g": ("{v:.0f} g saturated fat", ""),
                "carbohydrates_g": ("{v:.0f} g carbohydrates", ""),
                "sugar_g": ("{v:.0f} g sugars", ""),
                "fiber_g": ("{v:.0f} g fiber", ""),
                "sodium_mg": ("{v:.0f} mg sodium", ""),
            },
        }[lang]
        folded = fold(question)
        asked = [k for k, words in _NUTRIENT_WORDS.items() if any(_has(folded, w) for w in words)]
        order = asked + [k for k in labels if k not in asked]
        parts = [labels[k][0].format(v=getattr(n, k)) for k in order if getattr(n, k) > 0 or k in asked]
        if lang == "es":
            return f"{self._intro(view, lang)}, cada porción aporta {', '.join(parts)}."
        return f"{self._intro(view, lang)}, each serving has {', '.join(parts)}."

    def _allergens(self, recipe: common_pb2.Recipe, view: RecipeView, question: str, lang: Lang) -> str:
        found = detect_allergens(recipe)
        shown = set(view.ingredients)
        evidence = {a: [x for x in lines if x in shown] or lines for a, lines in found.items()}
        folded = fold(question)
        asked = [a for a, words in _ALLERGEN_QUESTION_WORDS.items() if any(_has(folded, w) for w in words)]
        caveat = (
            " Es una detección por palabras clave en los ingredientes: revisa las etiquetas si hay una alergia."
            if lang == "es"
            else " This is a keyword check of the ingredients: check product labels for a real allergy."
        )
        intro = self._intro(view, lang)
        verdicts = []
        for allergen in asked:
            label = allergen_label(allergen, lang)
            if allergen in evidence:
                lines = ", ".join(evidence[allergen][:2])
                verdicts.append(f"sí contiene {label} ({lines})" if lang == "es" else f"it contains {label} ({lines})")
            else:
                verdicts.append(f"no contiene {label}" if lang == "es" else f"it has no {label}")
        others = [a for a in evidence if a not in asked]
        parts = [f"{allergen_label(a, lang)} ({', '.join(evidence[a][:2])})" for a in others]
        if verdicts:
            text = f"{intro}, {'; '.join(verdicts)}."
            if parts:
                text += (" Otros posibles alérgenos: " if lang == "es" else " Other possible allergens: ") + (
                    "; ".join(parts) + "."
                )
            return text + caveat
        if not parts:
            if lang == "es":
                return f"{intro}, no encontré alérgenos comunes en los ingredientes." + caveat
            return f"{intro}, I found no common allergens in the ingredients." + caveat
        if lang == "es":
            return f"{intro}, contiene posibles alérgenos: {'; '.join(parts)}." + caveat
        return f"{intro}, it may contain these allergens: {'; '.join(parts)}." + caveat

    def _diet(self, recipe: common_pb2.Recipe, view: RecipeView, question: str, lang: Lang) -> str:
        folded_q = fold(question)
        vegan = any(_has(folded_q, w) for w in ("vegano", "vegana", "vegan", "plant based"))
        tags = {fold(t) for t in recipe.tags}
        text = " ".join(fold(i) for i in [*recipe.ingredients, *(i for t in recipe.localized for i in t.ingredients)])
        meat = sorted({w for w in _MEAT_WORDS if _has(text, w)})
        animal = sorted({w for w in _ANIMAL_WORDS if _has(text, w)}) if vegan else []
        wanted = "vegan" if vegan else "vegetarian"
        tagged = wanted in tags or (wanted == "vegetarian" and "vegan" in tags)
        ok = tagged or (not meat and not animal)
        label = {"vegan": ("vegana", "vegan"), "vegetarian": ("vegetariana", "vegetarian")}[wanted]
        evidence = ", ".join(meat + animal)
        if lang == "es":
            verdict = f"sí parece {label[0]}" if ok else f"no es {label[0]} (lleva {evidence})"
            source = " (tiene la etiqueta)" if tagged else ""
            return f"{self._intro(view, lang)}, {verdict}{source}."
        verdict = f"it looks {label[1]}" if ok else f"it is not {label[1]} (it has {evidence})"
        source = " (it is tagged so)" if tagged else ""
        return f"{self._intro(view, lang)}, {verdict}{source}."

    def _summary(self, recipe: common_pb2.Recipe, view: RecipeView, question: str, lang: Lang) -> str:
        facts = []
        if lang == "es":
            if recipe.minutes > 0:
                facts.append(f"tarda {_minutes_text(recipe.minutes, lang)}")
            if recipe.servings > 0:
                facts.append(f"rinde {recipe.servings} porciones")
            facts.append(f"lleva {len(view.ingredients)} ingredientes")
            return (
                f"{self._intro(view, lang)}: {', '.join(facts)}. No encuentro la respuesta a esa pregunta en los "
                "datos de la receta; puedo responder sobre tiempo, porciones, ingredientes, pasos, nutrición, "
                "alérgenos y sustituciones."
            )
        if recipe.minutes > 0:
            facts.append(f"it takes {_minutes_text(recipe.minutes, lang)}")
        if recipe.servings > 0:
            facts.append(f"it makes {recipe.servings} servings")
        facts.append(f"it uses {len(view.ingredients)} ingredients")
        return (
            f"{self._intro(view, lang)}: {', '.join(facts)}. The recipe data does not answer that question; I can "
            "answer about time, servings, ingredients, steps, nutrition, allergens and substitutions."
        )

    # -- substitutions ----------------------------------------------------------------------
    def _mentioned(self, folded: str, name: str) -> bool:
        key = fold(name)
        if not key:
            return False
        if _has(folded, key):
            return True
        words = folded.split()
        # a plural in the question ("huevos") against a singular in the table ("huevo")
        return any(key in singular_candidates(w) for w in words)

    def find_substitutions(self, question: str) -> tuple[str, list[Substitution]]:
        """The ingredient the question is about and its table rows (the asked-for swap first)."""
        folded = fold(question)
        best = ""
        rows: list[Substitution] = []
        for row in self.substitutions:
            for name in (row.ingredient_en, row.ingredient_es):
                if self._mentioned(folded, name) and len(fold(name)) >= len(fold(best)):
                    if len(fold(name)) > len(fold(best)):
                        rows = []
                    best = name
                    if row not in rows:
                        rows.append(row)
        named = [
            r for r in rows if self._mentioned(folded, r.substitute_en) or self._mentioned(folded, r.substitute_es)
        ]
        return best, named + [r for r in rows if r not in named]

    def _substitution(self, recipe: common_pb2.Recipe, view: RecipeView, question: str, lang: Lang) -> str:
        _, rows = self.find_substitutions(question)
        intro = self._intro(view, lang)
        if not rows:
            if lang == "es":
                return (
                    f"{intro}: no tengo una sustitución registrada para lo que preguntas. Los ingredientes son: "
                    f"{'; '.join(view.ingredients)}."
                )
            listing = "; ".join(view.ingredients)
            return f"{intro}: I have no recorded substitution for that. The ingredients are: {listing}."
        first = rows[0]
        name = first.ingredient(lang)
        in_recipe = [line for line in view.ingredients if self._mentioned(fold(line), name)] or [
            line for line in recipe.ingredients if self._mentioned(fold(line), first.ingredient_en)
        ]

        def describe(row: Substitution) -> str:
            ratio = f" ({row.ratio(lang)})" if row.ratio(lang) else ""
            notes = f" {row.notes(lang).rstrip('.')}." if row.notes(lang) else ""
            return f"{row.substitute(lang)}{ratio}.{notes}"

        others = [r.substitute(lang) for r in rows[1:4]]
        if lang == "es":
            where = f"La receta lleva {name} ({in_recipe[0]})." if in_recipe else f"La receta no parece llevar {name}."
            text = f"{intro}: {where} Puedes reemplazar {name} por {describe(first)}"
            if others:
                text += f" Otras opciones: {', '.join(others)}."
            return text + " (Sustituciones tomadas de una tabla culinaria.)"
        where = f"The recipe uses {name} ({in_recipe[0]})." if in_recipe else f"The recipe does not seem to use {name}."
        text = f"{intro}: {where} You can replace {name} with {describe(first)}"
        if others:
            text += f" Other options: {', '.join(others)}."
        return text + " (Substitutions come from a culinary table.)"
