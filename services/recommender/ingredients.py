"""Ingredient concepts: a compact Spanish/English synonym table with a small hierarchy.

Embeddings are weak at attributes (DESIGN §9a): "vegan" and "plant-based" are far apart, and
"sin huevo" lands *near* egg recipes. So exclusions, diets and pantry coverage are decided
here, on ingredient lists, with explicit concepts:

* a **concept** ("egg", "avocado", "dairy") is named in English and has surface phrases in
  both languages ("huevo", "eggs", "yema"; "palta", "aguacate", "avocado");
* a concept may have **parents** ("parmesan" -> "cheese" -> "dairy"), so excluding "dairy"
  removes butter and cheese, and "sin carne" removes chicken and pork;
* longer phrases win over shorter ones ("peanut butter" is not butter, "leche de coco" is
  not milk, "nuez moscada" is nutmeg, not a nut).

An ingredient line becomes a set of **keys**: ``c:<concept>`` for every concept it mentions
(with ancestors) plus ``t:<stem>`` for every content word, so unknown ingredients
("cilantro", "tahini") still match word for word.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from services.recommender.text import STOPWORDS, stems, words

# concept: (parents, phrases). Phrases are matched after folding and stemming, so one form
# per word is enough for regular plurals; irregular ones are listed.
_CONCEPTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # -- groups ---------------------------------------------------------------------------
    "meat": ((), ("meat", "carne", "carnes")),
    "poultry": (("meat",), ("poultry", "aves", "ave de corral")),
    "seafood": ((), ("seafood", "frutos del mar", "fruto del mar")),
    "fish": (("seafood",), ("fish", "pescado", "pez", "peces", "white fish", "pescado blanco", "fish fillet")),
    "shellfish": (("seafood",), ("shellfish", "marisco", "mariscos")),
    "dairy": ((), ("dairy", "dairy product", "lacteo", "lacteos", "producto lacteo", "lactosa", "lactose")),
    "cheese": (("dairy",), ("cheese", "queso")),
    "nut": ((), ("nut", "nuts", "frutos secos", "fruto seco", "tree nut")),
    "gluten": ((), ("gluten", "wheat", "trigo")),
    "animal": ((), ()),
    # -- meat and fish ----------------------------------------------------------------------
    "chicken": (("poultry",), ("chicken", "pollo", "gallina", "chicken breast", "pechuga de pollo")),
    "turkey": (("poultry",), ("turkey", "pavo")),
    "beef": (
        ("meat",),
        ("beef", "res", "carne de res", "carne de vaca", "vacuno", "ternera", "steak", "bistec", "bife", "lomo de res"),
    ),
    "ground beef": (("beef",), ("ground beef", "carne molida", "carne picada", "minced beef", "hamburger meat")),
    "pork": (("meat",), ("pork", "cerdo", "puerco", "chancho", "lomo de cerdo", "pork chop")),
    "bacon": (("pork",), ("bacon", "tocino", "panceta", "beicon", "tocineta")),
    "ham": (("pork",), ("ham", "jamon", "prosciutto")),
    "sausage": (("meat",), ("sausage", "salchicha", "embutido", "salami", "pepperoni", "longaniza")),
    "chorizo": (("sausage",), ("chorizo",)),
    "lard": (("animal",), ("lard", "manteca de cerdo")),
    "lamb": (("meat",), ("lamb", "cordero", "mutton")),
    "salmon": (("fish",), ("salmon",)),
    "tuna": (("fish",), ("tuna", "atun")),
    "cod": (("fish",), ("cod", "bacalao")),
    "anchovy": (("fish",), ("anchovy", "anchovies", "anchoa", "boqueron")),
    "fish sauce": ((), ("fish sauce", "salsa de pescado")),
    "shrimp": (("shellfish",), ("shrimp", "prawn", "camaron", "camarones", "gamba", "langostino")),
    "crab": (("shellfish",), ("crab", "cangrejo", "jaiba")),
    "mussel": (("shellfish",), ("mussel", "mejillon", "mejillones", "chorito")),
    "clam": (("shellfish",), ("clam", "almeja")),
    "squid": (("shellfish",), ("squid", "calamar", "calamari", "calamares")),
    "octopus": (("shellfish",), ("octopus", "pulpo")),
    "lobster": (("shellfish",), ("lobster", "langosta")),
    "gelatin": (("animal",), ("gelatin", "gelatine", "gelatina", "grenetina")),
    "chicken broth": ((), ("chicken broth", "chicken stock", "caldo de pollo", "fondo de pollo")),
    "beef broth": ((), ("beef broth", "beef stock", "caldo de res", "caldo de carne")),
    "worcestershire": ((), ("worcestershire", "salsa inglesa")),
    # -- eggs and dairy ---------------------------------------------------------------------
    "egg": ((), ("egg", "huevo", "egg yolk", "egg white", "yema", "clara de huevo", "claras")),
    "mayonnaise": ((), ("mayonnaise", "mayo", "mayonesa")),
    "milk": (("dairy",), ("milk", "leche", "whole milk", "leche entera", "skim milk", "leche descremada")),
    "buttermilk": (("dairy",), ("buttermilk", "suero de leche")),
    "condensed milk": (("dairy",), ("condensed milk", "leche condensada", "evaporated milk", "leche evaporada")),
    "dulce de leche": (("dairy",), ("dulce de leche", "cajeta", "manjar")),
    "butter": (("dairy",), ("butter", "mantequilla", "manteca", "ghee", "unsalted butter")),
    "cream": (
        ("dairy",),
        ("cream", "crema", "nata", "heavy cream", "whipping cream", "crema de leche", "half and half", "creme fraiche"),
    ),
    "sour cream": (("cream",), ("sour cream", "crema agria")),
    "yogurt": (("dairy",), ("yogurt", "yoghurt", "yogur", "yogourt")),
    "ice cream": (("dairy",), ("ice cream", "helado")),
    "parmesan": (("cheese",), ("parmesan", "parmesano", "parmigiano", "grana padano", "pecorino")),
    "mozzarella": (("cheese",), ("mozzarella", "mozarella")),
    "cheddar": (("cheese",), ("cheddar",)),
    "feta": (("cheese",), ("feta",)),
    "ricotta": (("cheese",), ("ricotta", "requeson")),
    "cream cheese": (("cheese",), ("cream cheese", "queso crema", "philadelphia", "mascarpone")),
    "fresh cheese": (("cheese",), ("queso fresco", "queso blanco", "paneer", "cottage cheese")),
    "goat cheese": (("cheese",), ("goat cheese", "queso de cabra")),
    # plant-based look-alikes: longer phrases, no dairy/egg parent
    "coconut milk": ((), ("coconut milk", "leche de coco", "coconut cream", "crema de coco")),
    "plant milk": (
        (),
        (
            "almond milk",
            "leche de almendra",
            "soy milk",
            "leche de soja",
            "leche de soya",
            "oat milk",
            "leche de avena",
            "rice milk",
            "plant milk",
            "leche vegetal",
        ),
    ),
    "plant butter": ((), ("vegan butter", "margarine", "margarina", "mantequilla vegana", "cocoa butter")),
    "plant cheese": ((), ("vegan cheese", "queso vegano", "nutritional yeast", "levadura nutricional")),
    "vegan mayonnaise": ((), ("vegan mayonnaise", "vegan mayo", "mayonesa vegana")),
    "cream of tartar": ((), ("cream of tartar", "cremor tartaro")),
    "peanut butter": (
        (),
        ("peanut butter", "mantequilla de mani", "mantequilla de cacahuate", "crema de mani"),
    ),
    # -- vegetables -------------------------------------------------------------------------
    "avocado": ((), ("avocado", "palta", "aguacate", "guacamole")),
    "tomato": (
        (),
        (
            "tomato",
            "tomate",
            "jitomate",
            "tomatillo",
            "tomato paste",
            "tomato sauce",
            "salsa de tomate",
            "pasta de tomate",
            "pure de tomate",
        ),
    ),
    "onion": ((), ("onion", "cebolla", "red onion", "cebolla morada", "shallot", "chalota", "echalote")),
    "scallion": (
        (),
        ("scallion", "green onion", "spring onion", "cebolleta", "cebollin", "cebolla de verdeo", "cebollino", "chive"),
    ),
    "garlic": ((), ("garlic", "ajo", "ajos")),
    "potato": ((), ("potato", "potatoes", "papa", "patata")),
    "sweet potato": ((), ("sweet potato", "sweet potatoes", "camote", "batata", "boniato", "yam")),
    "carrot": ((), ("carrot", "zanahoria")),
    "bell pepper": (
        (),
        (
            "bell pepper",
            "pimiento",
            "pimenton rojo",
            "morron",
            "green pepper",
            "red pepper",
            "yellow pepper",
            "red bell pepper",
            "capsicum",
        ),
    ),
    "chili": (
        (),
        (
            "chili",
            "chilies",
            "chile",
            "aji",
            "jalapeño",
            "jalapeno",
            "serrano",
            "habanero",
            "chipotle",
            "rocoto",
            "chili pepper",
            "red pepper flakes",
            "cayenne",
            "cayenne pepper",
            "aji amarillo",
            "chili powder",
        ),
    ),
    "lettuce": ((), ("lettuce", "lechuga", "romaine", "mixed greens", "arugula", "rucula", "rucola")),
    "spinach": ((), ("spinach", "espinaca")),
    "kale": ((), ("kale", "col rizada")),
    "cabbage": ((), ("cabbage", "repollo", "col", "coleslaw")),
    "broccoli": ((), ("broccoli", "brocoli", "brecol")),
    "cauliflower": ((), ("cauliflower", "coliflor")),
    "zucchini": ((), ("zucchini", "calabacin", "zapallito", "courgette", "calabacita")),
    "squash": ((), ("squash", "pumpkin", "calabaza", "zapallo", "auyama", "butternut")),
    "eggplant": ((), ("eggplant", "aubergine", "berenjena")),
    "cucumber": ((), ("cucumber", "pepino")),
    "mushroom": ((), ("mushroom", "champiñon", "champinon", "hongo", "seta", "portobello")),
    "corn": (
        (),
        (
            "corn",
            "maiz",
            "choclo",
            "elote",
            "cornmeal",
            "cornstarch",
            "corn flour",
            "maicena",
            "harina de maiz",
            "polenta",
            "corn tortilla",
            "tortilla de maiz",
            "masa harina",
        ),
    ),
    "pea": ((), ("pea", "peas", "arveja", "guisante", "chicharo")),
    "green bean": ((), ("green bean", "judia verde", "vainita", "ejote", "chaucha", "string bean")),
    "celery": ((), ("celery", "apio")),
    "beet": ((), ("beet", "beetroot", "remolacha", "betarraga", "betabel")),
    "asparagus": ((), ("asparagus", "esparrago")),
    "leek": ((), ("leek", "puerro")),
    "radish": ((), ("radish", "rabano")),
    "olive": ((), ("olive", "aceituna", "oliva")),
    # -- herbs and spices -------------------------------------------------------------------
    "cilantro": ((), ("cilantro", "coriander", "culantro")),
    "parsley": ((), ("parsley", "perejil")),
    "basil": ((), ("basil", "albahaca")),
    "mint": ((), ("mint", "menta", "hierbabuena")),
    "oregano": ((), ("oregano",)),
    "thyme": ((), ("thyme", "tomillo")),
    "rosemary": ((), ("rosemary", "romero")),
    "ginger": ((), ("ginger", "jengibre", "kion")),
    "cinnamon": ((), ("cinnamon", "canela")),
    "cumin": ((), ("cumin", "comino")),
    "paprika": ((), ("paprika", "pimenton")),
    "nutmeg": ((), ("nutmeg", "nuez moscada")),
    "vanilla": ((), ("vanilla", "vainilla")),
    # -- fruit ------------------------------------------------------------------------------
    "lemon": ((), ("lemon", "limon", "lemon juice", "jugo de limon", "zumo de limon")),
    "lime": ((), ("lime", "lima", "limon verde", "lime juice")),
    "orange": ((), ("orange", "naranja", "orange juice", "jugo de naranja", "zumo de naranja")),
    "apple": ((), ("apple", "manzana")),
    "banana": ((), ("banana", "platano", "guineo", "banano", "cambur")),
    "plantain": ((), ("plantain", "platano macho", "platano verde", "platano maduro")),
    "strawberry": ((), ("strawberry", "fresa", "frutilla")),
    "blueberry": ((), ("blueberry", "arandano")),
    "raspberry": ((), ("raspberry", "frambuesa")),
    "mango": ((), ("mango",)),
    "pineapple": ((), ("pineapple", "piña", "anana")),
    "coconut": ((), ("coconut", "coco", "shredded coconut", "coco rallado")),
    "peach": ((), ("peach", "durazno", "melocoton")),
    "pear": ((), ("pear", "pera")),
    "grape": ((), ("grape", "uva")),
    "raisin": ((), ("raisin", "pasa", "uva pasa")),
    "cherry": ((), ("cherry", "cereza")),
    "watermelon": ((), ("watermelon", "sandia")),
    "passion fruit": ((), ("passion fruit", "maracuya", "parchita")),
    # -- grains, legumes, nuts --------------------------------------------------------------
    "rice": ((), ("rice", "arroz", "arroces", "rice flour", "harina de arroz")),
    "quinoa": ((), ("quinoa", "quinua")),
    "oat": ((), ("oat", "oats", "avena", "oatmeal", "rolled oats")),
    "pasta": (
        ("gluten",),
        (
            "pasta",
            "fideo",
            "spaghetti",
            "espagueti",
            "macaroni",
            "macarron",
            "macarrones",
            "penne",
            "lasagna",
            "lasaña",
            "fettuccine",
            "linguine",
            "noodle",
            "tallarin",
            "tallarines",
            "ravioli",
            "tortellini",
            "orzo",
        ),
    ),
    "rice noodle": ((), ("rice noodle", "fideo de arroz", "rice vermicelli")),
    "bread": (
        ("gluten",),
        ("bread", "pan", "panes", "breadcrumb", "bread crumbs", "pan rallado", "baguette", "bun", "pita", "toast"),
    ),
    "flour": (
        ("gluten",),
        ("flour", "harina", "all purpose flour", "harina de trigo", "flour tortilla", "puff pastry"),
    ),
    "barley": (("gluten",), ("barley", "cebada")),
    "rye": (("gluten",), ("rye", "centeno")),
    "couscous": (("gluten",), ("couscous", "cuscus", "bulgur", "trigo burgol")),
    "beer": (("gluten",), ("beer", "cerveza")),
    "soy sauce": ((), ("soy sauce", "salsa de soja", "salsa de soya", "sillao", "shoyu")),
    "tamari": (("soy",), ("tamari",)),
    "soy": ((), ("soy", "soja", "soya", "tofu", "tempeh", "edamame", "miso")),
    "chickpea": ((), ("chickpea", "garbanzo", "chick pea", "hummus", "harina de garbanzo", "chickpea flour")),
    "lentil": ((), ("lentil", "lenteja")),
    "bean": (
        (),
        (
            "bean",
            "frijol",
            "frijoles",
            "poroto",
            "alubia",
            "habichuela",
            "judia",
            "black bean",
            "kidney bean",
            "pinto",
            "lima bean",
        ),
    ),
    "almond": (("nut",), ("almond", "almendra", "almond flour", "harina de almendra")),
    "walnut": (("nut",), ("walnut", "nuez", "nueces")),
    "pecan": (("nut",), ("pecan", "nuez pecana", "pacana")),
    "cashew": (("nut",), ("cashew", "anacardo", "castaña de caju", "maranon", "merey")),
    "hazelnut": (("nut",), ("hazelnut", "avellana")),
    "pistachio": (("nut",), ("pistachio", "pistacho")),
    "pine nut": (("nut",), ("pine nut", "piñon", "piñones")),
    "peanut": (("nut",), ("peanut", "mani", "cacahuate", "cacahuete")),
    # -- pantry staples -----------------------------------------------------------------------
    "sugar": ((), ("sugar", "azucar", "brown sugar", "azucar morena", "powdered sugar", "azucar impalpable")),
    "honey": (("animal",), ("honey", "miel", "miel de abeja")),
    "maple syrup": ((), ("maple syrup", "miel de maple", "jarabe de arce", "sirope de arce")),
    "chocolate": ((), ("chocolate", "cacao", "cocoa", "cocoa powder", "chocolate chip")),
    "vinegar": ((), ("vinegar", "vinagre")),
    "mustard": ((), ("mustard", "mostaza")),
    "wine": ((), ("wine", "vino")),
    "coffee": ((), ("coffee", "cafe", "espresso")),
    "vegetable broth": ((), ("vegetable broth", "vegetable stock", "caldo de verdura", "caldo vegetal")),
    "salt": ((), ("salt", "sal", "sea salt", "kosher salt", "sal marina", "sal gruesa")),
    "black pepper": ((), ("pepper", "black pepper", "pimienta", "pimienta negra", "white pepper", "peppercorn")),
    "oil": (
        (),
        (
            "oil",
            "aceite",
            "olive oil",
            "aceite de oliva",
            "vegetable oil",
            "aceite vegetal",
            "canola oil",
            "sunflower oil",
            "aceite de girasol",
            "cooking spray",
            "extra virgin olive oil",
        ),
    ),
    "water": ((), ("water", "agua", "ice", "hielo", "ice water", "agua fria", "agua caliente", "boiling water")),
}

# "Made with" relations: they count for exclusions and diets ("sin pollo" removes chicken
# broth, "sin huevo" removes mayonnaise, "vegetariano" removes Worcestershire sauce) but not
# for the pantry (having chicken does not mean having chicken broth) nor for lexical matching
# of what a dish *is*.
_IMPLIES: dict[str, tuple[str, ...]] = {
    "chicken broth": ("chicken",),
    "beef broth": ("beef",),
    "fish sauce": ("fish",),
    "worcestershire": ("fish",),
    "mayonnaise": ("egg",),
    "buttermilk": ("milk",),
    "condensed milk": ("milk",),
    "dulce de leche": ("milk",),
    "peanut butter": ("peanut",),
    "lard": ("pork",),
    "chorizo": ("pork",),
    "scallion": ("onion",),
    "soy sauce": ("gluten", "soy"),
}

# Always on hand in pantry mode: never reported missing, never counted against coverage.
BASIC_CONCEPTS: frozenset[str] = frozenset({"salt", "black pepper", "oil", "water"})

# Diets decided from ingredients: a recipe qualifies when none of these concepts occurs.
DIET_FORBIDDEN: dict[str, frozenset[str]] = {
    "vegan": frozenset({"meat", "seafood", "dairy", "egg", "animal"}),
    "vegetarian": frozenset({"meat", "seafood", "gelatin"}),
    "gluten-free": frozenset({"gluten"}),
    "dairy-free": frozenset({"dairy"}),
    "egg-free": frozenset({"egg"}),
    "nut-free": frozenset({"nut"}),
}


@dataclass(frozen=True)
class ConceptTable:
    """Phrases (as tuples of stems) -> concept; per concept its is-a ancestors (``ancestors``)
    and everything it counts as for exclusions (``implied``: ancestors plus "made with")."""

    phrases: dict[tuple[str, ...], str]
    ancestors: dict[str, frozenset[str]]
    implied: dict[str, frozenset[str]]
    max_phrase_len: int


def _build_table() -> ConceptTable:
    phrases: dict[tuple[str, ...], str] = {}
    for concept, (_, surface) in _CONCEPTS.items():
        for phrase in (concept, *surface):
            key = tuple(stems(phrase))
            if key:
                phrases.setdefault(key, concept)

    def lineage(concept: str, seen: frozenset[str] = frozenset()) -> frozenset[str]:
        if concept in seen:
            raise ValueError(f"concept cycle at {concept!r}")
        parents = _CONCEPTS[concept][0]
        result = {concept}
        for parent in parents:
            if parent not in _CONCEPTS:
                raise ValueError(f"concept {concept!r} has unknown parent {parent!r}")
            result |= lineage(parent, seen | {concept})
        return frozenset(result)

    ancestors = {c: lineage(c) for c in _CONCEPTS}

    def implied(concept: str, seen: frozenset[str] = frozenset()) -> frozenset[str]:
        result = set(ancestors[concept])
        for other in {concept, *ancestors[concept]}:
            for target in _IMPLIES.get(other, ()):
                if target not in _CONCEPTS:
                    raise ValueError(f"concept {other!r} implies unknown {target!r}")
                if target not in seen:
                    result |= implied(target, seen | {concept})
        return frozenset(result)

    return ConceptTable(phrases, ancestors, {c: implied(c) for c in _CONCEPTS}, max(len(k) for k in phrases))


TABLE = _build_table()


@lru_cache(maxsize=100_000)
def scan(text: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """The concepts ``text`` names directly (longest phrase first) and its leftover stems.

    The leftover stems are the content words that belong to no concept phrase, e.g.
    "fresh cilantro leaves" -> ({"cilantro"}, ("leav",)).
    """
    tokens = stems(text)
    raw = words(text)
    found: set[str] = set()
    leftover: list[str] = []
    i = 0
    while i < len(tokens):
        for size in range(min(TABLE.max_phrase_len, len(tokens) - i), 0, -1):
            concept = TABLE.phrases.get(tuple(tokens[i : i + size]))
            if concept is not None:
                found.add(concept)
                i += size
                break
        else:
            if raw[i] not in STOPWORDS and len(raw[i]) > 1:
                leftover.append(tokens[i])
            i += 1
    return frozenset(found), tuple(leftover)


@lru_cache(maxsize=100_000)
def concepts_in(text: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """Everything ``text`` counts as for exclusions and diets (ancestors and "made with"),
    and its leftover stems."""
    direct, leftover = scan(text)
    return frozenset().union(*(TABLE.implied[c] for c in direct)), leftover


@lru_cache(maxsize=100_000)
def kinds_in(text: str) -> frozenset[str]:
    """What ``text`` *is* (direct concepts and their is-a ancestors), for pantry coverage."""
    direct, _ = scan(text)
    return frozenset().union(*(TABLE.ancestors[c] for c in direct))


def line_keys(line: str) -> frozenset[str]:
    """Matching keys of one ingredient line: ``c:`` what it counts as (exclusions, diets),
    ``p:`` what it is (pantry), and ``t:`` its content stems (unknown ingredients)."""
    concepts, _ = concepts_in(line)
    terms = {f"t:{s}" for s, w in zip(stems(line), words(line), strict=True) if w not in STOPWORDS and len(w) > 1}
    return frozenset({f"c:{c}" for c in concepts} | {f"p:{c}" for c in kinds_in(line)} | terms)


def is_basic(line: str) -> bool:
    """True for lines made only of basics ("salt", "sal y pimienta", "olive oil", "agua")."""
    direct, leftover = scan(line)
    return bool(direct) and not leftover and all(TABLE.ancestors[c] & BASIC_CONCEPTS for c in direct)


@dataclass(frozen=True)
class IngredientQuery:
    """A user's ingredient term ("huevo", "lácteos", "cilantro fresco") ready for matching.

    It matches a key set when it shares a concept with it, or, for terms the table does not
    know, when every content stem of the term is present.
    """

    text: str
    concepts: frozenset[str]
    stems: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> IngredientQuery:
        direct, leftover = scan(text)
        # Only the most specific concepts named by the user: "pollo" means chicken, not all
        # poultry; ancestors are implied on the recipe side.
        named = frozenset(c for c in direct if not any(c in TABLE.ancestors[o] and o != c for o in direct))
        return cls(text=text, concepts=named, stems=() if named else leftover)

    @property
    def empty(self) -> bool:
        return not self.concepts and not self.stems

    def matches(self, keys: Iterable[str] | frozenset[str] | set[str], prefix: str = "c") -> bool:
        """Whether a key set contains this ingredient: ``prefix`` "c" for exclusions and
        inclusions (made-with counts), "p" for the pantry (only what the line is)."""
        keyset = keys if isinstance(keys, (set, frozenset)) else set(keys)
        if self.concepts:
            return any(f"{prefix}:{c}" in keyset for c in self.concepts)
        return bool(self.stems) and all(f"t:{s}" in keyset for s in self.stems)

    def key_alternatives(self, prefix: str = "c") -> list[list[str]]:
        """Disjunction of conjunctions of keys that satisfy this term (for vectorised matching)."""
        if self.concepts:
            return [[f"{prefix}:{c}"] for c in sorted(self.concepts)]
        return [[f"t:{s}" for s in self.stems]] if self.stems else []


def concept_names() -> list[str]:
    return sorted(_CONCEPTS)
