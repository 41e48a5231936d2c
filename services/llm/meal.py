"""Meal analysis: totals, share of daily values, a balance assessment and suggestions.

The inputs are already-resolved items (food + grams) and recipe portions (nutrition per
serving). The assessment rules are deliberately simple and stated in the text, so that a
reader can check them: one meal is judged against a third of the daily values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from services.llm.languages import Lang
from services.llm.resources import NUTRIENTS

MEAL_SHARE = 1 / 3  # a main meal is judged against a third of the day


@dataclass
class MatchedFood:
    input: str
    food: str
    grams: float
    nutrition: dict[str, float]


@dataclass
class MealAnalysis:
    totals: dict[str, float]
    daily_value_pct: dict[str, float]
    assessment: str
    suggestions: list[str]
    matched: list[MatchedFood] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}".rstrip("0").rstrip(".")


_TEXT = {
    "es": {
        "none": "No reconocí ningún alimento de la tabla nutricional, así que no puedo estimar esta comida.",
        "size_light": "Comida ligera",
        "size_moderate": "Comida de tamaño moderado",
        "size_large": "Comida abundante",
        "summary": "{size}: unas {kcal} kcal ({pct} % del valor diario de {dv} kcal)",
        "protein_good": "buena cantidad de proteína ({g} g)",
        "protein_low": "poca proteína ({g} g)",
        "fiber_good": "buena fibra ({g} g)",
        "fiber_low": "poca fibra ({g} g)",
        "satfat_high": "alta en grasa saturada ({pct} % del valor diario)",
        "sodium_high": "alta en sodio ({mg} mg)",
        "sugar_high": "alta en azúcares ({g} g)",
        "with": "con",
        "source": "Estimación a partir de una tabla nutricional por 100 g (cifras del USDA); "
        "las porciones sin cantidad usan pesos típicos.",
        "unmatched": "No reconocí: {items}.",
        "s_protein": "Agrega una fuente de proteína: huevo, legumbres, pescado, pollo o yogur.",
        "s_fiber": "Suma verduras, legumbres, fruta entera o cereales integrales para llegar a más fibra.",
        "s_satfat": "Reduce la grasa saturada: menos mantequilla, queso o carnes procesadas; usa aceite de oliva.",
        "s_sodium": "Baja la sal y los embutidos o salsas saladas; condimenta con hierbas, limón o especias.",
        "s_sugar": "Modera los azúcares: cambia bebidas o postres dulces por fruta o agua.",
        "s_light": "Si es una comida principal, acompáñala con un cereal integral o una legumbre para más energía.",
        "s_large": "Es una comida abundante: considera una porción más pequeña o más verduras en el plato.",
        "s_unmatched": "Indica los alimentos no reconocidos con otro nombre o con su peso para una estimación "
        "completa.",
        "s_balanced": "Buen equilibrio: mantén la variedad con verduras de distintos colores.",
    },
    "en": {
        "none": "I did not recognise any food from the nutrition table, so I cannot estimate this meal.",
        "size_light": "A light meal",
        "size_moderate": "A moderate meal",
        "size_large": "A large meal",
        "summary": "{size}: about {kcal} kcal ({pct}% of the {dv} kcal daily value)",
        "protein_good": "a good source of protein ({g} g)",
        "protein_low": "low in protein ({g} g)",
        "fiber_good": "good fiber ({g} g)",
        "fiber_low": "low in fiber ({g} g)",
        "satfat_high": "high in saturated fat ({pct}% of the daily value)",
        "sodium_high": "high in sodium ({mg} mg)",
        "sugar_high": "high in sugars ({g} g)",
        "with": "with",
        "source": "Estimated from a per-100 g nutrition table (USDA figures); items without an amount use "
        "typical portion weights.",
        "unmatched": "Not recognised: {items}.",
        "s_protein": "Add a protein source: eggs, legumes, fish, chicken or yogurt.",
        "s_fiber": "Add vegetables, legumes, whole fruit or whole grains for more fiber.",
        "s_satfat": "Cut saturated fat: less butter, cheese or processed meat; cook with olive oil.",
        "s_sodium": "Go easy on salt, cured meats and salty sauces; season with herbs, lemon or spices.",
        "s_sugar": "Cut back on sugars: swap sweet drinks or desserts for fruit or water.",
        "s_light": "If this is a main meal, add a whole grain or legumes for more energy.",
        "s_large": "This is a large meal: consider a smaller portion or more vegetables on the plate.",
        "s_unmatched": "Name the unrecognised items differently or give their weight for a complete estimate.",
        "s_balanced": "Well balanced: keep the variety with vegetables of different colours.",
    },
}


def analyse(
    matched: Sequence[MatchedFood],
    unmatched: Sequence[str],
    daily_values: dict[str, float],
    lang: Lang,
) -> MealAnalysis:
    """Sum the matched items and judge the meal; the text is in ``lang``."""
    t = _TEXT[lang]
    totals = {n: round(sum(m.nutrition.get(n, 0.0) for m in matched), 2) for n in NUTRIENTS}
    pct = {n: round(100.0 * totals[n] / daily_values[n], 1) for n in NUTRIENTS}
    if not matched:
        text = t["none"] + (" " + t["unmatched"].format(items=", ".join(unmatched)) if unmatched else "")
        return MealAnalysis(totals, pct, text, [t["s_unmatched"]] if unmatched else [], [], list(unmatched))

    share = {n: totals[n] / (daily_values[n] * MEAL_SHARE) for n in NUTRIENTS}  # 1.0 = a third of the day
    kcal = totals["calories_kcal"]
    size = "size_light" if share["calories_kcal"] < 0.6 else "size_large" if share["calories_kcal"] > 1.4 else None
    size = size or "size_moderate"
    notes: list[str] = []
    suggestions: list[str] = []
    protein, fiber = totals["protein_g"], totals["fiber_g"]
    if protein >= 15:
        notes.append(t["protein_good"].format(g=_fmt(protein)))
    elif protein < 10:
        notes.append(t["protein_low"].format(g=_fmt(protein)))
        suggestions.append(t["s_protein"])
    if fiber >= 7:
        notes.append(t["fiber_good"].format(g=_fmt(fiber)))
    elif fiber < 5:
        notes.append(t["fiber_low"].format(g=_fmt(fiber)))
        suggestions.append(t["s_fiber"])
    if share["saturated_fat_g"] > 1.0:
        notes.append(t["satfat_high"].format(pct=_fmt(pct["saturated_fat_g"])))
        suggestions.append(t["s_satfat"])
    if share["sodium_mg"] > 1.0:
        notes.append(t["sodium_high"].format(mg=_fmt(totals["sodium_mg"])))
        suggestions.append(t["s_sodium"])
    if share["sugar_g"] > 1.0:
        notes.append(t["sugar_high"].format(g=_fmt(totals["sugar_g"])))
        suggestions.append(t["s_sugar"])
    if size == "size_light":
        suggestions.append(t["s_light"])
    elif size == "size_large":
        suggestions.append(t["s_large"])
    if unmatched:
        suggestions.append(t["s_unmatched"])
    if not suggestions:
        suggestions.append(t["s_balanced"])

    summary = t["summary"].format(
        size=t[size], kcal=_fmt(kcal), pct=_fmt(pct["calories_kcal"]), dv=_fmt(daily_values["calories_kcal"])
    )
    if notes:
        summary += f", {t['with']} " + _join(notes, lang)
    parts = [summary + ".", t["source"]]
    if unmatched:
        parts.append(t["unmatched"].format(items=", ".join(unmatched)))
    return MealAnalysis(totals, pct, " ".join(parts), suggestions, list(matched), list(unmatched))


def _join(items: Sequence[str], lang: Lang) -> str:
    if len(items) == 1:
        return items[0]
    conj = " y " if lang == "es" else " and "
    return ", ".join(items[:-1]) + conj + items[-1]
