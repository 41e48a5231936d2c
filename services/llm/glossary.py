"""Word-level culinary translation from a glossary: longest phrase first, numbers kept.

This is what the local backend can honestly do offline: it replaces known phrases and words
("aceite de oliva" -> "olive oil", "2 cups" -> "2 tazas") and leaves unknown words as they are.
It does not reorder or conjugate; fluent text for the bundled catalog comes from the
catalog's own translations (the translation memory), and other text from an LLM backend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from services.llm.languages import Lang
from services.llm.resources import GlossaryEntry
from services.llm.text import (
    fold,
    match_case,
    pluralise_en,
    pluralise_es,
    singular_candidates,
    tokens,
)

UNIT_CATEGORIES = {"unit", "units", "measure", "measurement"}
# Only nouns take a plural ending; articles and adjectives ("las" -> "the") never do.
NOUN_CATEGORIES = {"ingredient", "dish", "unit", "utensil", "course", ""}


@dataclass(frozen=True)
class _Target:
    text: str
    category: str
    plural: bool  # the source form was a plural of the canonical entry


class Glossary:
    """Two phrase tables (en->es, es->en) keyed by folded phrases."""

    def __init__(self, entries: Iterable[GlossaryEntry]) -> None:
        self.tables: dict[Lang, dict[str, _Target]] = {"en": {}, "es": {}}
        self.vocabulary: dict[Lang, set[str]] = {"en": set(), "es": set()}
        for entry in entries:
            self._add("en", entry.en, entry.en_variants, entry.es, entry.category, pluralise_en)
            self._add("es", entry.es, entry.es_variants, entry.en, entry.category, pluralise_es)
        self.max_words = max((k.count(" ") + 1 for t in self.tables.values() for k in t), default=1)

    def __len__(self) -> int:
        return len(self.tables["en"])

    def _add(
        self,
        source: Lang,
        canonical: str,
        variants: Sequence[str],
        target: str,
        category: str,
        pluralise: Callable[[str], str],
    ) -> None:
        table = self.tables[source]
        forms = (canonical, *variants)
        plural_keys = {fold(pluralise(f)) for f in forms} - {fold(canonical)}
        for form in forms:
            key = fold(form)
            if key and key not in table:  # first entry wins: the file's order is its priority
                plural = key in plural_keys and category in NOUN_CATEGORIES
                table[key] = _Target(target, category, plural=plural)
            for word in key.split():
                self.vocabulary[source].add(word)

    def lookup(self, phrase: str, source: Lang) -> str | None:
        """The translation of a whole phrase, or None when the glossary lacks it."""
        found = self._find(fold(phrase), source)
        if found is None:
            return None
        target, plural = found
        return self._inflect(target, plural, source)

    def _find(self, key: str, source: Lang) -> tuple[_Target, bool] | None:
        table = self.tables[source]
        hit = table.get(key)
        if hit is not None:
            return hit, hit.plural
        if len(key) <= 3:
            return None  # "las", "los": too short to be a plural of anything we know
        # Plural of a known singular: only the head word changes (Spanish: first, English: last).
        parts = key.split(" ")
        index = 0 if source == "es" else len(parts) - 1
        for candidate in singular_candidates(parts[index]):
            parts_copy = [*parts]
            parts_copy[index] = candidate
            hit = table.get(" ".join(parts_copy))
            if hit is not None and hit.category in NOUN_CATEGORIES:
                return hit, True
        return None

    @staticmethod
    def _inflect(target: _Target, plural: bool, source: Lang) -> str:
        text = target.text
        if not plural or len(text) <= 2 or not any(v in text.lower() for v in "aeiouáéíóú"):
            return text  # abbreviations (g, ml, tsp, tbsp) do not take a plural
        return pluralise_es(target.text) if source == "en" else pluralise_en(target.text)

    def translate(self, text: str, source: Lang, target: Lang) -> str:
        """Replace known phrases, longest first; keep numbers, punctuation and unknown words."""
        if source == target or not text:
            return text
        return "".join(seg.out for seg in _reorder(self._segments(text, source), source))

    def _segments(self, text: str, source: Lang) -> list[_Segment]:
        toks = tokens(text)
        segments: list[_Segment] = []
        i = 0
        previous_number: str | None = None
        while i < len(toks):
            tok = toks[i]
            if not tok[0].isalpha():
                segments.append(_Segment(tok, tok))
                if tok[0].isdigit():
                    previous_number = tok
                elif not tok.isspace():
                    previous_number = None
                i += 1
                continue
            match = self._longest_match(toks, i, source)
            if match is None:
                segments.append(_Segment(tok, tok))
                previous_number = None
                i += 1
                continue
            end, (entry, plural) = match
            plural = plural or (entry.category in UNIT_CATEGORIES and _is_plural_number(previous_number))
            rendered = match_case(toks[i], self._inflect(entry, plural, source))
            segments.append(_Segment("".join(toks[i:end]), rendered, entry.category))
            previous_number = None
            i = end
        return segments

    def _longest_match(self, toks: list[str], start: int, source: Lang) -> tuple[int, tuple[_Target, bool]] | None:
        # Collect up to max_words words separated only by single-space runs.
        spans: list[tuple[int, str]] = []  # (end index, phrase so far)
        phrase = ""
        j = start
        while j < len(toks) and len(spans) < self.max_words:
            tok = toks[j]
            if not tok[0].isalpha():
                break
            phrase = f"{phrase} {tok}" if phrase else tok
            spans.append((j + 1, phrase))
            if j + 2 < len(toks) and toks[j + 1] == " " and toks[j + 2][0].isalpha():
                j += 2
            else:
                break
        for end, candidate in reversed(spans):
            found = self._find(fold(candidate), source)
            if found is not None:
                return end, found
        return None


@dataclass
class _Segment:
    source: str
    out: str
    category: str = ""  # glossary category of a translated phrase; "" for kept text


def _reorder(segments: list[_Segment], source: Lang) -> list[_Segment]:
    """Noun compounds change order between the languages: "tomato soup" <-> "sopa de tomate"."""
    out = list(segments)
    i = 0
    while i + 2 < len(out):
        a, gap, b = out[i], out[i + 1], out[i + 2]
        if source == "en" and a.category == "ingredient" and gap.source == " " and b.category == "dish":
            head = b.out[0].upper() + b.out[1:] if a.out[:1].isupper() else b.out
            tail = a.out[0].lower() + a.out[1:] if a.out[:1].isupper() and not a.out.isupper() else a.out
            out[i : i + 3] = [_Segment(f"{a.source} {b.source}", f"{head} de {tail}", "dish")]
            continue
        if (
            source == "es"
            and a.category == "dish"
            and i + 4 < len(out)
            and gap.source == " "
            and fold(b.source) == "de"
            and out[i + 3].source == " "
            and out[i + 4].category == "ingredient"
        ):
            ingredient = out[i + 4]
            head = ingredient.out[0].upper() + ingredient.out[1:] if a.out[:1].isupper() else ingredient.out
            tail = a.out[0].lower() + a.out[1:] if a.out[:1].isupper() and not a.out.isupper() else a.out
            out[i : i + 5] = [_Segment(f"{a.source} de {ingredient.source}", f"{head} {tail}", "dish")]
            continue
        i += 1
    return out


def _is_plural_number(number: str | None) -> bool:
    if number is None:
        return False
    try:
        value = float(number.replace(",", ".")) if "/" not in number else 0.5
    except ValueError:
        return False
    return value > 1  # "1/2 cup", "1 cup" stay singular
