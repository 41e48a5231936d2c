"""Text normalisation shared by the lexical index, ingredient matching and the query parser.

Matching must be robust to case, accents ("limón" vs "limon"), punctuation and plurals in
both Spanish and English. The stemmer below is deliberately crude: it only has to map the
singular and the plural of a word to the same key, not produce a real word, and it must be
identical at build time and at query time (bump ``TEXT_VERSION`` whenever it changes, so
bundles built with the old rules are re-featurised on load).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

TEXT_VERSION = 1

_NON_WORD = re.compile(r"[^a-z0-9ñ]+")
_DIGITS = re.compile(r"^\d+([.,/]\d+)?$")

# Words that carry no ingredient or dish meaning: articles, prepositions, conjunctions,
# units and preparation words. They are dropped from lexical terms and ingredient keys.
STOPWORDS: frozenset[str] = frozenset(
    """
    a al an and any are as at be by con de del do el en es for from has have i in into is it
    la las lo los me mi my o of on or para por que se sin so some the to un una uno unos unas
    with without y e u your su sus este esta esto this that
    cup cups c tbsp tsp tablespoon tablespoons teaspoon teaspoons oz ounce ounces lb lbs pound pounds
    g gr gram grams grs kg ml l liter liters litre pinch dash can cans package packages pkg
    taza tazas cucharada cucharadas cucharadita cucharaditas gramo gramos kilo kilos litro litros
    pizca lata latas paquete sobre diente dientes clove cloves
    chopped diced minced sliced fresh large small medium finely ground optional taste
    picado picada picados picadas fresco fresca frescos frescas grande grandes pequeño pequeña mediano
    mediana cortado cortada gusto warm cold hot room temperature tibia tibio caliente fria frio freshly
    """.split()  # noqa: SIM905
)


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """Lower-case, strip accents (keeping ñ), turn punctuation into single spaces."""
    lowered = text.lower().replace("ñ", "\x00")
    decomposed = unicodedata.normalize("NFKD", lowered)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("\x00", "ñ")
    return _NON_WORD.sub(" ", stripped).strip()


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Map singular and plural forms (es/en) of a folded word to one key.

    tomato/tomatoes/tomate/tomates -> "tomat"; berry/berries -> "berry"; limón/limones ->
    "limon"; huevo/huevos -> "huevo". Short words are left alone ("gas", "ajo").
    """
    w = word
    if len(w) <= 3:
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


def words(text: str) -> list[str]:
    """Folded words of ``text`` in order, numbers removed, stop words kept."""
    return [w for w in fold(text).split() if not _DIGITS.match(w)]


def stems(text: str) -> list[str]:
    """Stemmed words of ``text`` in order (stop words kept, so phrases keep their shape)."""
    return [stem(w) for w in words(text)]


def content_stems(text: str) -> list[str]:
    """Stemmed words minus stop words and one-letter tokens: the lexical terms of a text."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1]


def is_stopword(word: str) -> bool:
    return word in STOPWORDS
