"""The normalised catalog schema: the contract between ``mlops ingest``, ``mlops build`` and
the recommender, which serves the catalog from a bundle.

One row per recipe. Food.com's %DV nutrition is converted to base units here (grams,
milligrams, kcal) so that every consumer reads the same numbers.
"""

from __future__ import annotations

import pyarrow as pa

LOCALIZED_TEXT = pa.struct(
    [
        ("language", pa.string()),  # ISO 639-1, e.g. "es"
        ("name", pa.string()),
        ("description", pa.string()),
        ("ingredients", pa.list_(pa.string())),
        ("steps", pa.list_(pa.string())),
    ]
)

NUTRITION_COLUMNS = (
    "calories_kcal",
    "protein_g",
    "fat_g",
    "saturated_fat_g",
    "carbohydrates_g",
    "sugar_g",
    "fiber_g",
    "sodium_mg",
)

CATALOG_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("name", pa.string()),
        ("description", pa.string()),
        ("ingredients", pa.list_(pa.string())),
        ("steps", pa.list_(pa.string())),
        ("minutes", pa.int32()),  # null when unknown or an outlier was removed
        ("tags", pa.list_(pa.string())),
        *[(c, pa.float64()) for c in NUTRITION_COLUMNS],  # per serving; null when unknown
        ("servings", pa.int32()),
        ("cuisine", pa.string()),
        ("language", pa.string()),  # language of name/description/ingredients/steps
        ("localized", pa.list_(LOCALIZED_TEXT)),  # the same text in other languages
        ("submitted", pa.string()),  # ISO date, YYYY-MM-DD
        ("contributor_id", pa.int64()),
        ("source", pa.string()),  # e.g. "bundled", "food.com", "schema.org:example.com"
        ("url", pa.string()),
        ("rating_average", pa.float64()),  # mean of non-zero ratings; null without ratings
        ("rating_count", pa.int32()),  # number of non-zero ratings
    ]
)

# Food.com's nutrition list: [calories, total fat, sugar, sodium, protein, saturated fat,
# carbohydrates], all but calories in % of the daily value. These are the FDA daily values
# Food.com used (pre-2016 labels), which convert %DV back to base units.
FOODCOM_DAILY_VALUES = {
    "fat_g": 65.0,
    "sugar_g": 50.0,
    "sodium_mg": 2400.0,
    "protein_g": 50.0,
    "saturated_fat_g": 20.0,
    "carbohydrates_g": 300.0,
}


def nutrition_from_foodcom(values: list[float]) -> dict[str, float | None]:
    """Convert Food.com's 7-value %DV list into base-unit columns (fiber is not in it)."""
    if len(values) != 7:
        raise ValueError(f"nutrition must have 7 values, got {len(values)}")
    calories, fat, sugar, sodium, protein, sat_fat, carbs = (float(v) for v in values)
    dv = FOODCOM_DAILY_VALUES
    return {
        "calories_kcal": calories,
        "protein_g": protein * dv["protein_g"] / 100,
        "fat_g": fat * dv["fat_g"] / 100,
        "saturated_fat_g": sat_fat * dv["saturated_fat_g"] / 100,
        "carbohydrates_g": carbs * dv["carbohydrates_g"] / 100,
        "sugar_g": sugar * dv["sugar_g"] / 100,
        "fiber_g": None,
        "sodium_mg": sodium * dv["sodium_mg"] / 100,
    }


def validate_catalog(table: pa.Table) -> None:
    """Raise ValueError naming the first column whose name or type breaks the contract."""
    for expected in CATALOG_SCHEMA:
        if expected.name not in table.column_names:
            raise ValueError(f"catalog lacks column {expected.name!r}")
        actual = table.schema.field(expected.name).type
        if not actual.equals(expected.type):
            raise ValueError(f"catalog column {expected.name!r} is {actual}, expected {expected.type}")


def catalog_from_records(records: list[dict[str, object]]) -> pa.Table:
    """Build a catalog table from dicts, filling absent columns with nulls (lists empty).

    Handy for tests, benchmarks and small converters: only ``id`` and ``name`` are needed.
    """
    columns: dict[str, list[object]] = {f.name: [] for f in CATALOG_SCHEMA}
    for record in records:
        unknown = set(record) - set(columns)
        if unknown:
            raise ValueError(f"unknown catalog columns: {sorted(unknown)}")
        for f in CATALOG_SCHEMA:
            value = record.get(f.name)
            if value is None and pa.types.is_list(f.type):
                value = []
            columns[f.name].append(value)
    return pa.Table.from_pydict(columns, schema=CATALOG_SCHEMA)
