"""The nutrition table and its matching, unit conversion and free-text parsing (es/en).

"2 huevos, 100 g de espinaca y una tostada integral" becomes three items: 2 pieces of egg,
100 g of spinach and 1 piece of whole-wheat toast. Amounts become grams through the unit
(g, kg, oz, lb), a volume and the food's density (cup, tbsp, tsp, ml, l), or the food's
typical piece weight. Numbers always come from the table, never from a model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from services.llm.resources import NUTRIENTS, Food
from services.llm.text import fold, singular_candidates, strip_accents, wordset

ML_PER_CUP = 240.0  # US customary cup, as USDA household measures use
DEFAULT_PORTION_G = 100.0  # when neither an amount nor a piece weight is known
MAX_GRAMS = 20_000.0


@dataclass(frozen=True)
class Unit:
    name: str  # canonical: g, kg, oz, lb, ml, l, cup, tbsp, tsp, piece
    kind: str  # mass (grams per unit), volume (ml per unit), piece
    amount: float = 1.0


_UNIT_WORDS: dict[str, Unit] = {}


def _units(names: str, unit: Unit) -> None:
    for name in names.split():
        _UNIT_WORDS[name] = unit


_units("g gr grs gram grams gramo gramos grm", Unit("g", "mass", 1.0))
_units("kg kgs kilo kilos kilogram kilograms kilogramo kilogramos", Unit("kg", "mass", 1000.0))
_units("mg", Unit("mg", "mass", 0.001))
_units("oz ounce ounces onza onzas", Unit("oz", "mass", 28.3495))
_units("lb lbs pound pounds libra libras", Unit("lb", "mass", 453.592))
_units("pinch pinches pizca pizcas", Unit("pinch", "mass", 0.36))
_units("handful handfuls punado punados", Unit("handful", "mass", 30.0))
_units("ml mls milliliter milliliters millilitre millilitres mililitro mililitros cc", Unit("ml", "volume", 1.0))
_units("l lt lts liter liters litre litres litro litros", Unit("l", "volume", 1000.0))
_units("dl decilitro decilitros", Unit("dl", "volume", 100.0))
_units("cup cups c taza tazas", Unit("cup", "volume", ML_PER_CUP))
_units("glass glasses vaso vasos", Unit("glass", "volume", ML_PER_CUP))
_units(
    "tbsp tbsps tbs tbl tablespoon tablespoons cucharada cucharadas cda cdas", Unit("tbsp", "volume", ML_PER_CUP / 16)
)
_units("tsp tsps teaspoon teaspoons cucharadita cucharaditas cdta cdtas cdita", Unit("tsp", "volume", ML_PER_CUP / 48))
_units(
    "piece pieces pieza piezas unit units unidad unidades slice slices rebanada rebanadas tajada tajadas "
    "rodaja rodajas clove cloves diente dientes fillet fillets filete filetes stick sticks barra barras "
    "leaf leaves hoja hojas",
    Unit("piece", "piece"),
)

_SIZES = {
    "large": 1.25,
    "big": 1.25,
    "grande": 1.25,
    "grandes": 1.25,
    "small": 0.75,
    "pequeno": 0.75,
    "pequena": 0.75,
    "pequenos": 0.75,
    "pequenas": 0.75,
    "chico": 0.75,
    "chica": 0.75,
    "chicos": 0.75,
    "chicas": 0.75,
}

_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "un": 1,
    "una": 1,
    "uno": 1,
    "two": 2,
    "dos": 2,
    "three": 3,
    "tres": 3,
    "four": 4,
    "cuatro": 4,
    "five": 5,
    "cinco": 5,
    "six": 6,
    "seis": 6,
    "seven": 7,
    "siete": 7,
    "eight": 8,
    "ocho": 8,
    "nine": 9,
    "nueve": 9,
    "ten": 10,
    "diez": 10,
    "twelve": 12,
    "doce": 12,
    "half": 0.5,
    "medio": 0.5,
    "media": 0.5,
    "quarter": 0.25,
    "cuarto": 0.25,
    "dozen": 12,
    "docena": 12,
}
_MULTI_NUMBER_WORDS = {
    "half a": 0.5,
    "half an": 0.5,
    "a half": 0.5,
    "a couple of": 2,
    "a couple": 2,
    "un par de": 2,
    "un par": 2,
    "a dozen": 12,
    "una docena de": 12,
    "una docena": 12,
    "un cuarto de": 0.25,
    "a quarter of": 0.25,
}
_VULGAR = {"½": 0.5, "¼": 0.25, "¾": 0.75, "⅓": 1 / 3, "⅔": 2 / 3, "⅛": 0.125}

_NUMERIC = r"\d+(?:[.,]\d+)?(?:\s+\d+/\d+)?|\d+/\d+|[½¼¾⅓⅔⅛]"
_WORDNUM = "|".join(sorted((re.escape(w) for w in [*_MULTI_NUMBER_WORDS, *_NUMBER_WORDS]), key=len, reverse=True))
_UNITS_RE = "|".join(sorted((re.escape(u) for u in _UNIT_WORDS), key=len, reverse=True))
_UNIT_TAIL = rf"\s*(?:(?P<unit>{_UNITS_RE})\b\.?)?(?:\s+(?:de|del|of)\b)?"
# A numeric amount may sit anywhere ("espinaca 100 g"); a word amount only at the start, after
# filler ("comí dos huevos"), so that "pollo a la plancha" keeps its "a".
_NUMERIC_RE = re.compile(rf"(?<![\w.,/])(?P<qty>{_NUMERIC})" + _UNIT_TAIL, re.IGNORECASE)
_FILLER_WORDS = (
    "comi|comí|desayune|desayuné|almorce|almorcé|cene|cené|tome|tomé|i ate|i had|ate|had|"
    "me comi|me comí|for breakfast|de desayuno|para desayunar"
)
_WORD_QTY_RE = re.compile(rf"^\s*(?:(?:{_FILLER_WORDS})\s+)*(?P<qty>\b(?:{_WORDNUM})\b)" + _UNIT_TAIL, re.IGNORECASE)
_UNIT_ONLY_RE = re.compile(rf"^\s*(?P<unit>{_UNITS_RE})\b\.?(?:\s+(?:de|del|of)\b)?", re.IGNORECASE)
# Separators between foods in free text.
_SPLIT_RE = re.compile(r"[,;\n+]|\b(?:y|e|and|plus|con|with|mas|más|also|ademas|además)\b", re.IGNORECASE)
_FILLER = wordset(
    "de del la el los las of the some algo un una unos unas poco poquito bit little comi comí "
    "desayune desayuné almorce almorcé cene cené tome tomé i ate had have eaten for breakfast "
    "lunch dinner para desayuno almuerzo cena merienda snack"
)


def parse_number(text: str) -> float | None:
    """'2' '1,5' '1/2' '1 1/2' '½' 'dos' 'half a' -> a float; None when it is not a number."""
    raw = " ".join(strip_accents(text).lower().split())
    if raw in _MULTI_NUMBER_WORDS:
        return float(_MULTI_NUMBER_WORDS[raw])
    if raw in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[raw])
    if text.strip() in _VULGAR:
        return _VULGAR[text.strip()]
    total = 0.0
    for part in raw.split():
        if "/" in part:
            num, _, den = part.partition("/")
            if not num.isdigit() or not den.isdigit() or int(den) == 0:
                return None
            total += int(num) / int(den)
        else:
            try:
                total += float(part.replace(",", "."))
            except ValueError:
                return None
    return total


def parse_unit(text: str) -> Unit | None:
    """A unit word (any language, any case, with or without a trailing dot) or None."""
    return _UNIT_WORDS.get(strip_accents(text).lower().strip().rstrip("."))


@dataclass(frozen=True)
class ParsedItem:
    """One food mention: the input as written, the food words, and the amount if stated."""

    input: str
    food_text: str
    quantity: float | None = None
    unit: str | None = None  # canonical unit name, or a unit word the table may know
    size: float = 1.0


def split_items(text: str) -> list[str]:
    return [part.strip(" .:!¡?¿-") for part in _SPLIT_RE.split(text) if part and part.strip(" .:!¡?¿-")]


def parse_item_text(chunk: str) -> ParsedItem:
    """'100 g de espinaca' -> ParsedItem(food_text='espinaca', quantity=100, unit='g')."""
    quantity: float | None = None
    unit: str | None = None
    rest = chunk
    match = _NUMERIC_RE.search(chunk) or _WORD_QTY_RE.search(chunk)
    if match:
        quantity = parse_number(match.group("qty"))
        unit_word = match.group("unit")
        if unit_word:
            parsed = parse_unit(unit_word)
            unit = parsed.name if parsed and parsed.kind != "piece" else fold(unit_word)
        rest = chunk[: match.start()] + " " + chunk[match.end() :]
    else:
        only = _UNIT_ONLY_RE.match(chunk)
        if only:
            parsed = parse_unit(only.group("unit"))
            unit = parsed.name if parsed and parsed.kind != "piece" else fold(only.group("unit"))
            rest = chunk[only.end() :]
    size = 1.0
    kept = []
    for word in rest.split():
        folded = fold(word.strip(".,:;!?¿¡()"))
        if folded in _SIZES:
            size = _SIZES[folded]
            continue
        kept.append(word)
    return ParsedItem(input=chunk.strip(), food_text=" ".join(kept).strip(), quantity=quantity, unit=unit, size=size)


def parse_meal_text(text: str) -> list[ParsedItem]:
    return [parse_item_text(chunk) for chunk in split_items(text)]


class NutritionTable:
    """Foods indexed by every folded name and alias, in both languages."""

    def __init__(self, foods: Iterable[Food]) -> None:
        self.foods = list(foods)
        self._index: dict[str, Food] = {}
        for food in self.foods:
            for name in (food.name_en, food.name_es, *food.aliases_en, *food.aliases_es, food.key.replace("_", " ")):
                key = fold(name)
                if key and key not in self._index:
                    self._index[key] = food
        self.max_words = max((k.count(" ") + 1 for k in self._index), default=1)
        # "una tostada", "a slice of toast": a piece word that names one kind of food. Generic
        # piece words (unit, piece, slice...) name nothing on their own.
        generic = {fold(w) for w, unit in _UNIT_WORDS.items() if unit.kind == "piece"}
        self._pieces: dict[str, Food] = {}
        for food in self.foods:
            for word in (*food.piece_names_en, *food.piece_names_es):
                key = fold(word)
                if key and key not in generic and key not in self._pieces:
                    self._pieces[key] = food

    def __len__(self) -> int:
        return len(self.foods)

    def _lookup(self, phrase_words: Sequence[str]) -> Food | None:
        exact = self._index.get(" ".join(phrase_words))
        if exact is not None:
            return exact
        for position in range(len(phrase_words)):
            for singular in singular_candidates(phrase_words[position]):
                variant = [*phrase_words]
                variant[position] = singular
                food = self._index.get(" ".join(variant))
                if food is not None:
                    return food
        if len(phrase_words) > 1:
            all_singular = [(singular_candidates(w) or [w])[0] for w in phrase_words]
            return self._index.get(" ".join(all_singular))
        return None

    def match(self, food_text: str) -> Food | None:
        """The food named by the longest known phrase in ``food_text`` (earliest on ties)."""
        folded = [w for w in re.split(r"[^\w]+", fold(food_text)) if w]
        for length in range(min(self.max_words, len(folded)), 0, -1):
            for start in range(0, len(folded) - length + 1):
                phrase = folded[start : start + length]
                if length == 1 and phrase[0] in _FILLER:
                    continue
                food = self._lookup(phrase)
                if food is not None:
                    return food
        for word in folded:
            for candidate in (word, *singular_candidates(word)):
                if candidate in self._pieces:
                    return self._pieces[candidate]
        return None

    @staticmethod
    def grams(food: Food, quantity: float | None, unit: str | None, size: float = 1.0) -> float:
        """Grams of ``food`` for an amount; pieces use the food's typical weight."""
        parsed = parse_unit(unit) if unit else None
        if parsed is not None and parsed.kind == "mass":
            return (quantity if quantity is not None else 1.0) * parsed.amount
        if parsed is not None and parsed.kind == "volume":
            ml = (quantity if quantity is not None else 1.0) * parsed.amount
            density = (food.grams_per_cup / ML_PER_CUP) if food.grams_per_cup else 1.0
            return ml * density
        count = quantity if quantity is not None else 1.0
        if food.piece_g:
            return count * food.piece_g * size
        return count * DEFAULT_PORTION_G * size

    @staticmethod
    def nutrients(food: Food, grams: float) -> dict[str, float]:
        return {n: food.per_100g.get(n, 0.0) * grams / 100.0 for n in NUTRIENTS}
