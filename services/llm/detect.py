"""Language detection: lingua restricted to the served languages, plus a culinary lexicon.

lingua is accurate on sentences but not on one or two words ("pasta" comes back Spanish at
0.75, "hello" Spanish at 0.62). Short texts therefore also consult a lexicon of words that
exist in only one language (glossary words and common function words); when neither signal
is confident, the caller's default language is returned with ``reliable=False``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from services.llm.languages import Lang
from services.llm.text import fold, words, wordset

log = logging.getLogger(__name__)

# Function and conversational words that are unambiguous between the two languages.
FUNCTION_WORDS: dict[Lang, frozenset[str]] = {
    "es": wordset(
        "el la los las un una unos unas de del y o con sin para por que como cuanto cuanta cuantos "
        "cuantas cuando donde quiero tengo puedo hay es son esta este esto hola gracias receta "
        "recetas algo tarda tiempo minutos porciones personas cocinar hacer sopa ensalada desayuno "
        "almuerzo cena comida rapido facil sano saludable vegano vegetariana vegetariano mas menos "
        "muy"
    ),
    "en": wordset(
        "the a an of and or with without for what how much many when where want have can is are "
        "this that hello hi thanks thank you recipe recipes something take takes time minutes "
        "servings people cook make soup salad breakfast lunch dinner meal quick easy healthy vegan "
        "vegetarian more less very please"
    ),
}
# lingua alone is trusted at or above this confidence on texts of at least LONG_TEXT_WORDS.
LINGUA_CONFIDENT = 0.80
LINGUA_CONFIDENT_SHORT = 0.95
LONG_TEXT_WORDS = 3


@dataclass(frozen=True)
class Detection:
    language: Lang
    confidence: float
    reliable: bool
    candidates: dict[Lang, float]


class LanguageDetector:
    """Build once at start-up (preloading lingua's models takes ~0.8 s), then call freely."""

    def __init__(self, lexicon: dict[Lang, set[str]] | None = None) -> None:
        from lingua import Language, LanguageDetectorBuilder

        self._lingua = (
            LanguageDetectorBuilder.from_languages(Language.SPANISH, Language.ENGLISH)
            .with_preloaded_language_models()
            .build()
        )
        self._codes: dict[object, Lang] = {Language.SPANISH: "es", Language.ENGLISH: "en"}
        es = set(FUNCTION_WORDS["es"]) | {fold(w) for w in (lexicon or {}).get("es", set())}
        en = set(FUNCTION_WORDS["en"]) | {fold(w) for w in (lexicon or {}).get("en", set())}
        # Only words that belong to one language are evidence.
        self._only: dict[Lang, frozenset[str]] = {"es": frozenset(es - en), "en": frozenset(en - es)}

    def lingua_scores(self, text: str) -> dict[Lang, float]:
        scores: dict[Lang, float] = {"es": 0.0, "en": 0.0}
        for value in self._lingua.compute_language_confidence_values(text):
            scores[self._codes[value.language]] = float(value.value)
        return scores

    def lexicon_votes(self, text: str) -> dict[Lang, int]:
        folded = [fold(w) for w in words(text)]
        return {lang: sum(1 for w in folded if w in self._only[lang]) for lang in ("es", "en")}

    def detect(self, text: str, default: Lang) -> Detection:
        text_words = words(text)
        if not text_words:
            return Detection(default, 0.0, False, {"es": 0.0, "en": 0.0})
        scores = self.lingua_scores(text)
        best: Lang = "es" if scores["es"] >= scores["en"] else "en"
        long_enough = len(text_words) >= LONG_TEXT_WORDS
        if scores[best] >= (LINGUA_CONFIDENT if long_enough else LINGUA_CONFIDENT_SHORT):
            return Detection(best, scores[best], True, scores)
        votes = self.lexicon_votes(text)
        if votes["es"] != votes["en"]:
            winner: Lang = "es" if votes["es"] > votes["en"] else "en"
            # One-sided lexical evidence settles short texts; report lingua's number, not ours.
            return Detection(winner, scores[winner], True, scores)
        return Detection(default, scores[default], False, scores)
