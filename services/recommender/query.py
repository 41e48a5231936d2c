"""Query understanding: the words of a Spanish or English query turned into structured filters.

Embeddings cannot be trusted with constraints: "postre sin huevo" embeds *close* to egg
desserts, and "vegan" is far from "plant-based" (DESIGN §9a). So the parser lifts
constraints out of the query and leaves the rest for semantic matching:

* negation: "sin huevo", "sin huevo ni leche", "without eggs", "no dairy", "nut-free",
  "que no tenga cebolla" -> ``exclude_ingredients``;
* time: "en menos de 30 minutos", "under 20 min", "media hora", "rápido", "quick" ->
  ``max_minutes``;
* diet: "vegano", "vegan", "vegetariano", "sin gluten", "gluten-free" -> diet tags;
* meal type: "desayuno", "breakfast", "postre", "dessert" -> meal tags (kept in the semantic
  query too, because they also describe the dish);
* pantry: "tengo pollo, arroz y cebolla", "what can I make with eggs and spinach" ->
  ``pantry`` (the items stay in the semantic query; the trigger words go).

A plain query ("pasta con salsa de tomate y queso") yields no filters and is passed on
unchanged. The parser is pure and deterministic, so its tables are unit-tested directly.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from services.recommender.ingredients import TABLE, IngredientQuery
from services.recommender.text import STOPWORDS, stem

QUICK_MINUTES = 30
MAX_QUERY_MINUTES = 24 * 60


def fold_chars(text: str) -> str:
    """Lower-case and strip accents character by character, keeping the length (and ñ).

    Spans found in the folded text are spans of the original, so matched phrases can be
    cut out of the user's own words.
    """
    out = []
    for ch in text.lower():
        if ch == "ñ":
            out.append(ch)
            continue
        base = unicodedata.normalize("NFKD", ch)
        kept = "".join(c for c in base if not unicodedata.combining(c))
        out.append(kept if len(kept) == 1 else ch)
    return "".join(out)


@dataclass
class Filters:
    """Structured constraints; mirrors ``recipes.recommender.v1.Filters``."""

    max_minutes: int = 0
    tags: list[str] = field(default_factory=list)
    include_ingredients: list[str] = field(default_factory=list)
    exclude_ingredients: list[str] = field(default_factory=list)

    def merged(self, other: Filters) -> Filters:
        """Both sets of constraints: the tighter time limit, the union of the lists."""
        minutes = [m for m in (self.max_minutes, other.max_minutes) if m > 0]
        return Filters(
            max_minutes=min(minutes) if minutes else 0,
            tags=_union(self.tags, other.tags),
            include_ingredients=_union(self.include_ingredients, other.include_ingredients),
            exclude_ingredients=_union(self.exclude_ingredients, other.exclude_ingredients),
        )

    @property
    def empty(self) -> bool:
        return not (self.max_minutes or self.tags or self.include_ingredients or self.exclude_ingredients)


def _union(a: list[str], b: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for item in [*a, *b]:
        key = " ".join(fold_chars(item).split())
        if key and key not in seen:
            seen[key] = item.strip()
    return list(seen.values())


@dataclass
class ParsedQuery:
    """How a query was read; mirrors ``recipes.recommender.v1.ParsedFilters``."""

    filters: Filters
    pantry: list[str]
    semantic_query: str
    matched_phrases: list[str]
    language: str = ""  # "es", "en" or "" when no constraint phrase was recognised
    soft_tags: list[str] = field(default_factory=list)  # meal tags: dropped if the catalog lacks them
    preferred_tags: list[str] = field(default_factory=list)  # qualities that boost, never filter


# -- vocabularies ----------------------------------------------------------------------------
# Canonical tags follow Food.com's style; aliases map user words and caller tags onto them.
TAG_ALIASES: dict[str, str] = {
    "vegan": "vegan",
    "vegano": "vegan",
    "vegana": "vegan",
    "plant-based": "vegan",
    "vegetarian": "vegetarian",
    "vegetariano": "vegetarian",
    "vegetariana": "vegetarian",
    "veggie": "vegetarian",
    "gluten-free": "gluten-free",
    "sin-gluten": "gluten-free",
    "celiac": "gluten-free",
    "celiaco": "gluten-free",
    "dairy-free": "dairy-free",
    "lactose-free": "dairy-free",
    "sin-lactosa": "dairy-free",
    "egg-free": "egg-free",
    "nut-free": "nut-free",
    "breakfast": "breakfast",
    "desayuno": "breakfast",
    "brunch": "brunch",
    "dessert": "desserts",
    "desserts": "desserts",
    "postre": "desserts",
    "postres": "desserts",
    "lunch": "lunch",
    "almuerzo": "lunch",
    "snack": "snacks",
    "snacks": "snacks",
    "merienda": "snacks",
    "botana": "snacks",
    "drink": "beverages",
    "drinks": "beverages",
    "beverage": "beverages",
    "beverages": "beverages",
    "bebida": "beverages",
    "bebidas": "beverages",
    "appetizer": "appetizers",
    "appetizers": "appetizers",
    "starter": "appetizers",
    "entrada": "appetizers",
    "aperitivo": "appetizers",
    "tapas": "appetizers",
    "side-dish": "side-dishes",
    "side-dishes": "side-dishes",
    "acompañamiento": "side-dishes",
    "guarnicion": "side-dishes",
    "main-dish": "main-dish",
    "plato-principal": "main-dish",
}

_DIET_PATTERNS: list[tuple[str, str, str]] = [
    # (regex on folded text, tag, language)
    (r"\bvegan[oa]s?\b", "vegan", "es"),
    (r"\bvegans?\b|\bplant[- ]based\b", "vegan", "en"),
    (r"\bvegetarian[oa]s?\b", "vegetarian", "es"),
    (r"\bvegetarian\b|\bveggie\b|\bmeatless\b|\bmeat[- ]free\b", "vegetarian", "en"),
    (r"\b(?:sin|libre de) gluten\b|\bceliac[oa]s?\b|\baptas? para celiacos\b", "gluten-free", "es"),
    (r"\bgluten[- ]?free\b|\bwithout gluten\b|\bno gluten\b|\bceliac\b", "gluten-free", "en"),
]

# Preferences: words naming a quality the catalog tags ("healthy", "kid-friendly") but that
# should not exclude untagged recipes. They raise the rank of tagged recipes (a boost, not a
# filter) and stay in the semantic query.
_PREFERENCE_PATTERNS: list[tuple[str, str, str]] = [
    (r"\bsaludables?\b|\bsan[oa]s?\b|\bnutritiv[oa]s?\b", "healthy", "es"),
    (r"\bhealthy\b|\bwholesome\b|\bnutritious\b", "healthy", "en"),
    (r"\bliger[oa]s?\b|\bbaj[oa]s? en calorias\b|\bpocas calorias\b", "low-calorie", "es"),
    (r"\blight\b|\blow[- ]cal(?:orie)?s?\b", "low-calorie", "en"),
    (r"\breconfortantes?\b|\bpara (?:un )?dias? fri[oa]s?\b|\bcaser[oa]s?\b", "comfort-food", "es"),
    (r"\bcomfort(?:ing)? food\b|\bcomforting\b|\bcold (?:day|night|weather)\b|\bcozy\b", "comfort-food", "en"),
    (r"\bpara (?:los )?niños\b|\binfantil(?:es)?\b", "kid-friendly", "es"),
    (r"\bkid[- ]friendly\b|\bfor (?:the )?kids\b|\bkids\b|\bchildren\b", "kid-friendly", "en"),
    (r"\b(?:alt[oa]s?|ric[oa]s?) en proteinas?\b|\bmucha proteina\b|\bproteic[oa]s?\b", "high-protein", "es"),
    (r"\bhigh[- ]protein\b|\bprotein[- ]packed\b|\blots of protein\b", "high-protein", "en"),
    (r"\bbaj[oa]s? en (?:carbohidratos|carbos|hidratos)\b|\bketo\b|\bcetogenic[oa]\b", "low-carb", "es"),
    (r"\blow[- ]carbs?\b|\bketo\b", "low-carb", "en"),
    (r"\bcenas?\b", "main-dish", "es"),
    (r"\bdinners?\b|\bsuppers?\b", "main-dish", "en"),
    (r"\bfacil(?:es)?\b|\bsencill[oa]s?\b", "easy", "es"),
    (r"\beasy\b|\bsimple\b", "easy", "en"),
    (r"\bbarat[oa]s?\b|\beconomic[oa]s?\b", "inexpensive", "es"),
    (r"\bcheap\b|\bbudget\b|\binexpensive\b", "inexpensive", "en"),
]

_MEAL_PATTERNS: list[tuple[str, str, str]] = [
    (r"\bdesayunos?\b", "breakfast", "es"),
    (r"\bbreakfasts?\b", "breakfast", "en"),
    (r"\bbrunch\b", "brunch", "en"),
    (r"\bpostres?\b", "desserts", "es"),
    (r"\bdesserts?\b", "desserts", "en"),
    (r"\balmuerzos?\b", "lunch", "es"),
    (r"\blunch(?:es)?\b", "lunch", "en"),
    (r"\bmeriendas?\b|\bbotanas?\b|\bpicoteo\b", "snacks", "es"),
    (r"\bsnacks?\b", "snacks", "en"),
    (r"\bbebidas?\b|\btragos?\b", "beverages", "es"),
    (r"\bdrinks?\b|\bbeverages?\b", "beverages", "en"),
    (r"\bentradas?\b|\baperitivos?\b|\bentrantes?\b", "appetizers", "es"),
    (r"\bappetizers?\b|\bstarters?\b", "appetizers", "en"),
    (r"\bacompañamientos?\b|\bguarniciones\b|\bguarnicion\b", "side-dishes", "es"),
    (r"\bside dish(?:es)?\b", "side-dishes", "en"),
    (r"\bplatos? (?:principal|principales|fuertes?)\b", "main-dish", "es"),
    (r"\bmain (?:dish(?:es)?|course)\b", "main-dish", "en"),
]

_NUM_WORDS = {
    "un": 1,
    "una": 1,
    "one": 1,
    "an": 1,
    "a": 1,
    "dos": 2,
    "two": 2,
    "tres": 3,
    "three": 3,
    "diez": 10,
    "ten": 10,
    "quince": 15,
    "fifteen": 15,
    "veinte": 20,
    "twenty": 20,
    "treinta": 30,
    "thirty": 30,
    "cuarenta": 40,
    "forty": 40,
    "cuarenta y cinco": 45,
    "sesenta": 60,
    "sixty": 60,
}
_NUM = r"(\d{1,4}|" + "|".join(sorted(_NUM_WORDS, key=len, reverse=True)) + ")"
_MIN_UNIT = r"(?:minutos?|mins?|minutes?|m)\b"
_HOUR_UNIT = r"(?:horas?|hours?|hrs?|h)\b"
_LIMIT_ES = r"(?:en menos de|menos de|en no mas de|no mas de|maximo|como maximo|hasta|en|de)"
_LIMIT_EN = r"(?:in less than|less than|in under|under|below|within|at most|no more than|max|in|up to)"

# (regex, language, unit multiplier or None for a fixed value, fixed value)
_TIME_PATTERNS: list[tuple[str, str, int | None, int]] = [
    (rf"\b{_LIMIT_ES}\s+media hora\b", "es", None, 30),
    (r"\bmedia hora\b", "es", None, 30),
    (rf"\b{_LIMIT_EN}\s+(?:half an hour|half hour|30 ?min)\b", "en", None, 30),
    (r"\bhalf an hour\b", "en", None, 30),
    (rf"\b{_LIMIT_ES}\s+{_NUM}\s*{_MIN_UNIT}", "es", 1, 0),
    (rf"\b{_LIMIT_EN}\s+{_NUM}\s*{_MIN_UNIT}", "en", 1, 0),
    (rf"\b{_LIMIT_ES}\s+{_NUM}\s*{_HOUR_UNIT}", "es", 60, 0),
    (rf"\b{_LIMIT_EN}\s+{_NUM}\s*{_HOUR_UNIT}", "en", 60, 0),
    (rf"\b{_NUM}[\s-]*(?:minutos|minuto)\b", "es", 1, 0),
    (rf"\b{_NUM}[\s-]*(?:minutes?|mins?)\b", "en", 1, 0),
    (r"\b(?:muy |super |bien )?rapid[oa]s?\b|\bal toque\b|\ben un momento\b|\bexpress\b", "es", None, QUICK_MINUTES),
    (r"\b(?:very |super )?(?:quick|fast|speedy)(?:ly)?\b|\bin a hurry\b", "en", None, QUICK_MINUTES),
]

# Triggers introducing a list of excluded ingredients.
_NEGATION_TRIGGERS: list[tuple[str, str, bool]] = [
    # (regex ending right before the list, language, unknown words allowed in the list)
    (r"\bque no (?:tenga|tengan|lleve|lleven|contenga|contengan|use|usen)\b", "es", True),
    (r"\b(?:sin nada de|sin|libre de|libres de|excepto)\b", "es", True),
    (r"\b(?:without any|without|free of|free from|excluding|except|hold the|but no)\b", "en", True),
    (r"\b(?:no|not|zero)\b", "en", False),
]
_FREE_SUFFIX = re.compile(r"\b([a-zñ]+(?: [a-zñ]+)?)[ -]free\b")

_PLACES = r"(?:nevera|heladera|refri|refrigerador|despensa|casa)"
_PANTRY_TRIGGERS: list[tuple[str, str]] = [
    (
        r"\b(?:que|qué)\s+(?:puedo|podria|podemos|se puede|hago|hacer|cocino|preparo|cocinar|preparar)"
        r"(?:\s+(?:hacer|cocinar|preparar))?\s+con\b",
        "es",
    ),
    (r"\b(?:con lo que tengo|con lo que hay)(?:\s+en\s+(?:la\s+|el\s+)?" + _PLACES + r")?:?", "es"),
    (r"\btengo\s+en\s+(?:la\s+|el\s+)?" + _PLACES + r"\b:?", "es"),
    (r"\b(?:solo\s+|solamente\s+)?tengo\b:?", "es"),
    (r"\bme\s+(?:queda|quedan|sobro|sobraron|sobra|sobran)\b", "es"),
    (r"\bwhat\s+(?:can|could|should)\s+(?:i|we)\s+(?:make|cook|prepare|do)\s+with\b", "en"),
    (r"\bwhat\s+to\s+(?:make|cook)\s+with\b", "en"),
    (r"\b(?:with\s+)?what\s+i\s+have(?:\s+at\s+home)?\b:?", "en"),
    (r"\bi\s+(?:only\s+)?(?:have|'ve got|ve got|got)\b:?", "en"),
    (r"\b(?:use\s+up|using\s+up|leftover)\b", "en"),
]

# Words that end an ingredient list (they start another constraint or phrase).
_LIST_BREAKERS = frozenset(
    """
    sin without no not para for en in que which that rapido rapida rapidos rapidas quick fast menos under less
    receta recetas recipe recipes plato platos dish dishes algo something facil easy saludable healthy
    minutos minutes min mins hora horas hour hours postre postres dessert desserts desayuno breakfast
    vegano vegana vegan vegetariano vegetariana vegetarian hacer make cook cocinar preparar puedo can
    muy very por favor please ideas idea comida meal meals
    """.split()  # noqa: SIM905
)
_LIST_SEPARATORS = frozenset({",", "y", "e", "and", "&", "ni", "nor", "or", "o", "u", "plus", "/", "+"})
_FILLERS = frozenset(
    "un una unos unas algo de poco some a an the any little bit of leftover sobras restos mas more".split()  # noqa: SIM905
)
_NOT_INGREDIENTS = frozenset(
    """horno oven coccion cocinar cook cooking bake baking fuego gluten complicaciones complicacion prisa
    esfuerzo fuss mess hassle""".split()  # noqa: SIM905
)

_WORD = re.compile(r"[a-z0-9ñ]+|[,&/+]")


@dataclass
class _Token:
    text: str
    start: int
    end: int


def _tokens(folded: str, start: int, end: int) -> list[_Token]:
    return [_Token(m.group(), start + m.start(), start + m.end()) for m in _WORD.finditer(folded[start:end])]


def _concept_length(tokens: list[_Token], i: int) -> int:
    """Length in tokens of the longest concept phrase starting at ``i`` (0 when none)."""
    stems = [stem(t.text) for t in tokens[i : i + TABLE.max_phrase_len]]
    for size in range(len(stems), 0, -1):
        if tuple(stems[:size]) in TABLE.phrases:
            return size
    return 0


def _read_items(
    folded: str, tokens: list[_Token], allow_unknown: bool, stop_at: int
) -> tuple[list[tuple[int, int]], int]:
    """Read an ingredient list from the token stream: (spans of items, end offset consumed)."""
    items: list[tuple[int, int]] = []
    i = 0
    end_offset = tokens[0].start if tokens else stop_at
    while i < len(tokens):
        j = i
        while j < len(tokens) and (tokens[j].text in _FILLERS or tokens[j].text.isdigit()):
            j += 1
        if j >= len(tokens):
            break
        size = _concept_length(tokens, j)
        if size == 0:
            word = tokens[j].text
            if (
                not allow_unknown
                or word in _LIST_BREAKERS
                or word in _LIST_SEPARATORS
                or word in STOPWORDS
                or len(word) < 3
            ):
                break
            size = 1
            while (
                size < 3
                and j + size < len(tokens)
                and tokens[j + size].text not in _LIST_BREAKERS
                and tokens[j + size].text not in _LIST_SEPARATORS
                and tokens[j + size].text not in STOPWORDS
                and _concept_length(tokens, j + size) == 0
            ):
                size += 1
        items.append((tokens[j].start, tokens[j + size - 1].end))
        end_offset = tokens[j + size - 1].end
        i = j + size
        # Continue after a separator, or straight on when the next word is another concept.
        if i < len(tokens) and tokens[i].text in _LIST_SEPARATORS:
            k = i + 1
            while k < len(tokens) and tokens[k].text in _LIST_SEPARATORS:
                k += 1
            if k < len(tokens) and (
                _concept_length(tokens, k) or (allow_unknown and tokens[k].text not in _LIST_BREAKERS)
            ):
                i = k
                continue
            break
        if i < len(tokens) and _concept_length(tokens, i):
            continue
        break
    return items, end_offset


class _Spans:
    """Character spans of the query claimed by recognised phrases (to cut from the semantic query)."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []

    def free(self, start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in self.spans)

    def claim(self, start: int, end: int) -> None:
        self.spans.append((start, end))


def _number(text: str) -> int:
    return int(text) if text.isdigit() else _NUM_WORDS.get(text, 0)


def parse_query(query: str, language_hint: str = "") -> ParsedQuery:
    """Read constraints out of ``query``; see the module docstring for what is recognised."""
    folded = fold_chars(query)
    claimed = _Spans()
    phrases: list[tuple[int, str]] = []
    languages: list[str] = []
    filters = Filters()
    pantry: list[str] = []
    soft_tags: list[str] = []

    def record(start: int, end: int, language: str, *, cut: bool) -> None:
        phrases.append((start, query[start:end].strip()))
        languages.append(language)
        if cut:
            claimed.claim(start, end)

    # Diets first: "sin gluten" is a diet, not an excluded ingredient.
    for pattern, tag, language in _DIET_PATTERNS:
        for m in re.finditer(pattern, folded):
            if claimed.free(m.start(), m.end()):
                if tag not in filters.tags:
                    filters.tags.append(tag)
                # "sin gluten" / "gluten-free" go; "vegano" stays, it also describes the dish.
                record(m.start(), m.end(), language, cut=tag == "gluten-free")

    # Time limits (the most specific patterns come first in the table).
    for pattern, language, unit, fixed in _TIME_PATTERNS:
        for m in re.finditer(pattern, folded):
            if not claimed.free(m.start(), m.end()):
                continue
            minutes = fixed if unit is None else _number(m.group(1)) * unit
            if 0 < minutes <= MAX_QUERY_MINUTES:
                filters.max_minutes = min(filters.max_minutes or minutes, minutes)
                record(m.start(), m.end(), language, cut=True)

    # "X-free" / "X free" (en), for known ingredients only ("fat-free" is not an ingredient).
    for m in _FREE_SUFFIX.finditer(folded):
        words = _tokens(folded, m.start(1), m.end(1))
        for first in range(len(words)):
            if _concept_length(words, first) == len(words) - first:
                start = words[first].start
                if claimed.free(start, m.end()):
                    filters.exclude_ingredients.append(query[start : m.end(1)])
                    record(start, m.end(), "en", cut=True)
                break

    # Negations: trigger + ingredient list.
    for pattern, language, allow_unknown in _NEGATION_TRIGGERS:
        for m in re.finditer(pattern, folded):
            if not claimed.free(m.start(), m.end()):
                continue
            tokens = _tokens(folded, m.end(), len(folded))
            items, end = _read_items(folded, tokens, allow_unknown, len(folded))
            items = [(s, e) for s, e in items if folded[s:e] not in _NOT_INGREDIENTS]
            if not items or not claimed.free(m.start(), end):
                continue
            for s, e in items:
                filters.exclude_ingredients.append(query[s:e])
            record(m.start(), end, language, cut=True)

    # Pantry: trigger + list; the items stay in the semantic query.
    for pattern, language in _PANTRY_TRIGGERS:
        for m in re.finditer(pattern, folded):
            if not claimed.free(m.start(), m.end()):
                continue
            tokens = _tokens(folded, m.end(), len(folded))
            items, end = _read_items(folded, tokens, True, len(folded))
            if not items:
                continue
            # Only a list with at least one known ingredient is a pantry ("tengo hambre" is not).
            if not any(IngredientQuery.parse(query[s:e]).concepts for s, e in items):
                continue
            pantry.extend(query[s:e] for s, e in items)
            record(m.start(), end, language, cut=False)
            claimed.claim(m.start(), m.end())  # the trigger goes; the items stay for semantic matching

    # Meal types: filters, but the words stay in the semantic query.
    for pattern, tag, language in _MEAL_PATTERNS:
        for m in re.finditer(pattern, folded):
            if claimed.free(m.start(), m.end()) and tag not in filters.tags:
                filters.tags.append(tag)
                soft_tags.append(tag)
                record(m.start(), m.end(), language, cut=False)

    # Preferences: boosts, not filters; the words stay in the semantic query.
    preferred: list[str] = []
    for pattern, tag, language in _PREFERENCE_PATTERNS:
        for m in re.finditer(pattern, folded):
            if claimed.free(m.start(), m.end()) and tag not in preferred:
                preferred.append(tag)
                record(m.start(), m.end(), language, cut=False)

    semantic = _cut(query, claimed.spans)
    language = ""
    if languages:
        es, en = languages.count("es"), languages.count("en")
        language = "es" if es > en else "en" if en > es else (language_hint or languages[0])
    filters.exclude_ingredients = _union(filters.exclude_ingredients, [])
    return ParsedQuery(
        filters=filters,
        pantry=_union(pantry, []),
        semantic_query=semantic,
        matched_phrases=[p for _, p in sorted(phrases)],
        language=language,
        soft_tags=soft_tags,
        preferred_tags=preferred,
    )


_POLITE = re.compile(r"\b(?:por favor|please|porfa|plz)\b", re.IGNORECASE)
_DANGLING = re.compile(
    r"^(?:[\s,;:.¿?¡!]|\b(?:y|e|and|con|with|de|of|para|for|que|en|in|recetas?|recipes?)\b)+|"
    r"(?:[\s,;:.¿?¡!]|\b(?:y|e|and|con|with|de|of|para|for|que|en|in|la|el|the|a)\b)+$",
    re.IGNORECASE,
)


def _cut(query: str, spans: list[tuple[int, int]]) -> str:
    """The query without the claimed spans, whitespace and dangling connectors tidied."""
    if not spans:
        return " ".join(query.split())
    keep = []
    position = 0
    for start, end in sorted(spans):
        if start > position:
            keep.append(query[position:start])
        position = max(position, end)
    keep.append(query[position:])
    text = _POLITE.sub(" ", " ".join(keep))
    text = " ".join(text.split())
    text = re.sub(r"\s+([,;:.!?])", r"\1", text)
    previous = None
    while previous != text:
        previous = text
        text = _DANGLING.sub("", text).strip()
    # "sin huevo" leaves nothing: the engine then ranks the filtered catalog by popularity.
    return text


def canonical_tags(tags: list[str]) -> list[str]:
    """Map caller or parsed tags onto the catalog's canonical spelling ("Postre" -> "desserts")."""
    out: list[str] = []
    for tag in tags:
        key = "-".join(fold_chars(tag).replace("_", " ").split())
        canonical = TAG_ALIASES.get(key, key)
        if canonical and canonical not in out:
            out.append(canonical)
    return out
