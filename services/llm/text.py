"""Small text helpers shared by the glossary, the nutrition parser and the intent rules.

Lookups are accent- and case-insensitive ("limon" finds "limón"), and plural forms are
reduced to candidate singulars, because people type food names every which way.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from typing import Any

WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)
# Words, numbers (1, 1.5, 1,5, 1/2), whitespace runs, and any other single character.
TOKEN_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+(?:[.,/]\d+)*|\s+|.", re.UNICODE)


def strip_accents(text: str) -> str:
    """'Limón' -> 'Limon'; ñ becomes n too, which is fine for lookups (never for output)."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def fold(text: str) -> str:
    """The lookup form of a phrase: lower case, no accents, single spaces."""
    return " ".join(strip_accents(text).lower().split())


def normalise_request_text(text: str) -> str:
    """Canonical form of user text for cache keys: NFC, trimmed, single spaces, case kept."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def words(text: str) -> list[str]:
    return WORD_RE.findall(text)


def tokens(text: str) -> list[str]:
    return TOKEN_RE.findall(text)


def singular_candidates(word: str) -> list[str]:
    """Possible singulars of an English or Spanish plural, most likely first (folded input)."""
    out: list[str] = []
    if len(word) <= 3:
        return out
    if word.endswith("ies"):
        out.append(word[:-3] + "y")
    if word.endswith("ces"):
        out.append(word[:-3] + "z")  # nueces -> nuez
    if word.endswith("oes") or word.endswith("shes") or word.endswith("ches") or word.endswith("xes"):
        out.append(word[:-2])
    if word.endswith("es"):
        out.append(word[:-2])  # limones -> limon, panes -> pan
    if word.endswith("s") and not word.endswith("ss"):
        out.append(word[:-1])
    if word.endswith("ves"):
        out.append(word[:-3] + "f")  # leaves -> leaf
    return [w for i, w in enumerate(out) if w and w not in out[:i]]


def pluralise_es(phrase: str) -> str:
    """Plural of a Spanish noun phrase: the head (first word) takes the ending."""
    head, _, rest = phrase.partition(" ")
    if not head:
        return phrase
    low = head.lower()
    if low.endswith(("s", "x")) and len(low) > 3 and not low.endswith(("ás", "és", "ís", "ós", "ús")):
        plural = head
    elif low.endswith("z"):
        plural = head[:-1] + ("CES" if head.isupper() else "ces")
    elif low[-1] in "aeiouáéó":
        plural = head + ("S" if head.isupper() else "s")
    else:
        plural = _drop_final_accent(head) + ("ES" if head.isupper() else "es")
    return f"{plural} {rest}" if rest else plural


def _drop_final_accent(word: str) -> str:
    """limón -> limon (before adding -es: limones); only the last vowel's accent."""
    table = str.maketrans("áéíóú", "aeiou")
    for i in range(len(word) - 1, -1, -1):
        if word[i] in "áéíóú":
            return word[:i] + word[i].translate(table) + word[i + 1 :]
        if word[i] in "aeiou":
            break
    return word


def pluralise_en(phrase: str) -> str:
    """Plural of an English noun phrase: the last word takes the ending."""
    head, _, last = phrase.rpartition(" ")
    if not last:
        return phrase
    low = last.lower()
    if low.endswith(("s", "x", "z", "ch", "sh")):
        plural = last + "es"
    elif low.endswith("y") and len(low) > 1 and low[-2] not in "aeiou":
        plural = last[:-1] + "ies"
    elif low.endswith("o") and low in {"tomato", "potato", "mango", "avocado"}:
        plural = last + "es"
    else:
        plural = last + "s"
    return f"{head} {plural}" if head else plural


def match_case(source: str, target: str) -> str:
    """Give ``target`` the capitalisation pattern of ``source`` (Title, UPPER or as is)."""
    if not source or not target:
        return target
    if len(source) > 1 and source.isupper():
        return target.upper()
    if source[0].isupper():
        return target[0].upper() + target[1:]
    return target


def stable_hash(payload: Any) -> str:
    """sha256 of a canonical JSON rendering: the same request always hashes the same."""
    data = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()


def wordset(text: str) -> frozenset[str]:
    """A set of space-separated words: long word lists stay readable in the source."""
    return frozenset(text.split())
