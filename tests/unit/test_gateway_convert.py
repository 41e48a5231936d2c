"""Pantry results name missing ingredients in the response language."""

from __future__ import annotations

from gateway.convert import localized_missing
from recipes.common.v1 import common_pb2


def test_missing_ingredients_follow_the_localised_list() -> None:
    original = common_pb2.Recipe(ingredients=["chicken", "rice", "garlic", "fresh cilantro"])
    spanish = common_pb2.Recipe(ingredients=["pollo", "arroz", "ajo", "cilantro fresco"])
    assert localized_missing(original, spanish, ["garlic", "fresh cilantro"]) == ["ajo", "cilantro fresco"]


def test_unknown_names_and_shape_changes_are_left_as_they_came() -> None:
    original = common_pb2.Recipe(ingredients=["chicken", "rice"])
    assert localized_missing(original, common_pb2.Recipe(ingredients=["pollo", "arroz"]), ["saffron"]) == ["saffron"]
    assert localized_missing(original, common_pb2.Recipe(ingredients=["pollo"]), ["rice"]) == ["rice"]
