"""Cell parsers of the Food.com format: exact where literal_eval is exact, strict elsewhere."""

from __future__ import annotations

import ast

import pytest

from mlops.ingest.parsing import (
    clean_text,
    parse_date,
    parse_int,
    parse_iso_duration_minutes,
    parse_number_list,
    parse_str_list,
)


@pytest.mark.parametrize(
    "cell",
    [
        "[]",
        "['salt', 'pepper']",
        "['cook\\'s choice', \"grandma's pie\"]",
        '["he said \\"hi\\"", \'tab\\there\']',
        "[ 'spaced' ,  'out' ]",
        "['a, b', 'c]d']",
    ],
)
def test_str_list_matches_literal_eval(cell: str) -> None:
    assert parse_str_list(cell) == ast.literal_eval(cell)


@pytest.mark.parametrize("cell", ["", "salt, pepper", "['unclosed", "[1, 2]", "('a',)", "['a'] extra"])
def test_str_list_rejects_other_shapes(cell: str) -> None:
    with pytest.raises(ValueError):
        parse_str_list(cell)


def test_number_list() -> None:
    assert parse_number_list("[51.5, 0.0, 13.0, 0.0, 2.0, 0.0, 4.0]") == [51.5, 0.0, 13.0, 0.0, 2.0, 0.0, 4.0]
    assert parse_number_list("[]") == []
    for bad in ("[1, 'x']", "1, 2", "[nan]"):
        with pytest.raises(ValueError):
            parse_number_list(bad)


@pytest.mark.parametrize(
    ("cell", "iso"),
    [
        ("2005-09-16", "2005-09-16"),
        ("9/16/2005", "2005-09-16"),
        ("2017/8/18", "2017-08-18"),
        ("2009-12-09 10:00:00", "2009-12-09"),
    ],
)
def test_dates_in_every_seen_format(cell: str, iso: str) -> None:
    assert parse_date(cell) == iso


@pytest.mark.parametrize("cell", ["16/9/2005", "2005-13-01", "yesterday", ""])
def test_bad_dates_are_rejected(cell: str) -> None:
    with pytest.raises(ValueError):
        parse_date(cell)


def test_int_accepts_spreadsheet_floats_but_not_fractions() -> None:
    assert parse_int(" 2147483647 ") == 2147483647
    assert parse_int("12.0") == 12
    with pytest.raises(ValueError):
        parse_int("12.5")


def test_clean_text_unescapes_entities_and_drops_tags() -> None:
    assert clean_text("It&#039;s great &amp; easy<br/><br/>Second   time") == "It's great & easy Second time"
    assert clean_text(None) == ""


@pytest.mark.parametrize(("value", "minutes"), [("PT1H30M", 90), ("PT45M", 45), ("P1DT2H", 1560), ("PT90S", 2)])
def test_iso_durations(value: str, minutes: int) -> None:
    assert parse_iso_duration_minutes(value) == minutes


def test_bad_duration_is_unknown() -> None:
    assert parse_iso_duration_minutes("about an hour") is None
    assert parse_iso_duration_minutes("P") is None
