"""Fast, strict parsers for the cell formats of Food.com's CSVs.

Food.com stores lists as Python literals (``['a', "b's"]``). ``ast.literal_eval`` is exact but
costs ~50 µs a cell, which is minutes on 230k recipes x 4 list columns; a regex that accepts only
what ``repr(list[str])`` produces is ~10x faster and falls back to ``literal_eval`` when a cell
holds backslash escapes. Every parser raises ``ValueError`` with a short reason, which the caller
turns into a file/row/column message.
"""

from __future__ import annotations

import ast
import datetime as dt
import html
import math
import re

_ITEM = r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*\""""
_LIST_RE = re.compile(rf"\[\s*(?:(?:{_ITEM})\s*(?:,\s*(?:{_ITEM})\s*)*)?\]", re.DOTALL)
_ITEM_RE = re.compile(_ITEM, re.DOTALL)
_NUMBER_LIST_RE = re.compile(r"\[\s*(?:[-+0-9.eE]+\s*(?:,\s*[-+0-9.eE]+\s*)*)?\]")
_SPACES = re.compile(r"\s+")

# 30 days: Food.com has "minutes" of up to 2^31-1; anything past a month is a typo, not a recipe.
MAX_PLAUSIBLE_MINUTES = 30 * 24 * 60


def parse_str_list(cell: str) -> list[str]:
    """Parse a Python-literal list of strings, e.g. ``['salt', "cook's choice"]``."""
    text = cell.strip()
    if not _LIST_RE.fullmatch(text):
        raise ValueError("not a Python list of quoted strings")
    if "\\" in text:
        value = ast.literal_eval(text)
        return [str(v) for v in value]
    return [m[1:-1] for m in _ITEM_RE.findall(text)]


def parse_number_list(cell: str) -> list[float]:
    text = cell.strip()
    if not _NUMBER_LIST_RE.fullmatch(text):
        raise ValueError("not a Python list of numbers")
    inner = text[1:-1].strip()
    values = [float(v) for v in inner.split(",")] if inner else []
    if any(math.isnan(v) or math.isinf(v) for v in values):
        raise ValueError("contains NaN or infinity")
    return values


_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?")
_YMD_SLASH = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})")
_MDY_SLASH = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def parse_date(cell: str) -> str:
    """Normalise the date formats seen in Food.com copies to ISO ``YYYY-MM-DD``.

    Kaggle ships ISO; re-saved copies use ``M/D/YYYY`` (spreadsheets) or ``YYYY/M/D``.
    ``D/M/YYYY`` is not accepted: it cannot be told from ``M/D/YYYY`` row by row.
    """
    text = cell.strip()
    if (m := _ISO.fullmatch(text)) or (m := _YMD_SLASH.fullmatch(text)):
        y, mo, d = m.groups()
    elif m := _MDY_SLASH.fullmatch(text):
        mo, d, y = m.groups()
    else:
        raise ValueError("not a date in YYYY-MM-DD, M/D/YYYY or YYYY/M/D")
    return dt.date(int(y), int(mo), int(d)).isoformat()


def parse_int(cell: str) -> int:
    text = cell.strip()
    try:
        return int(text)
    except ValueError:
        value = float(text)  # "12.0" from a spreadsheet round-trip
        if not value.is_integer():
            raise ValueError("not an integer") from None
        return int(value)


def clean_text(cell: str | None) -> str:
    """Unescape HTML entities (``&#039;``, ``&amp;``), drop tags like ``<br/>`` and collapse spaces."""
    if not cell:
        return ""
    text = html.unescape(cell)
    if "<" in text:
        text = re.sub(r"<br\s*/?>", " ", text, flags=re.IGNORECASE)
        text = re.sub(r"</?[a-zA-Z][^>]*>", "", text)
    return _SPACES.sub(" ", text).strip()


_DURATION = re.compile(r"P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?")


def parse_iso_duration_minutes(value: str) -> int | None:
    """``PT1H30M`` -> 90. Returns None for empty or unparseable values (schema.org is loose)."""
    m = _DURATION.fullmatch(value.strip().upper())
    if not m or not any(m.groups()):
        return None
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in m.groups())
    return round(days * 1440 + hours * 60 + minutes + seconds / 60)
