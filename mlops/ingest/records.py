"""Column-wise accumulation of normalised recipes, so 230k rows never become 230k dicts."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from services.recommender.catalog import CATALOG_SCHEMA

# Food.com cuisine tags (and a few schema.org spellings) -> the catalog's cuisine label, in
# priority order: a recipe tagged both "north-american" and "mexican" is Mexican, so the broad
# regions come last.
CUISINE_PRIORITY: list[tuple[str, list[str]]] = list(
    {
        "peruvian": ["peruvian"],
        "mexican": ["mexican", "tex-mex"],
        "argentine": ["argentine", "argentinian"],
        "colombian": ["colombian"],
        "brazilian": ["brazilian"],
        "spanish": ["spanish"],
        "portuguese": ["portuguese"],
        "italian": ["italian"],
        "french": ["french"],
        "greek": ["greek"],
        "german": ["german"],
        "british": ["english", "british", "irish", "scottish", "welsh"],
        "scandinavian": ["scandinavian", "swedish", "norwegian", "danish", "finnish"],
        "eastern-european": ["russian", "polish", "hungarian", "czech", "ukrainian"],
        "indian": ["indian", "pakistani"],
        "chinese": ["chinese", "cantonese", "szechuan"],
        "japanese": ["japanese"],
        "korean": ["korean"],
        "thai": ["thai"],
        "vietnamese": ["vietnamese"],
        "filipino": ["filipino"],
        "indonesian": ["indonesian", "malaysian"],
        "middle-eastern": ["middle-eastern", "lebanese", "turkish", "iranian-persian", "israeli", "palestinian"],
        "moroccan": ["moroccan", "north-african", "egyptian"],
        "african": ["african", "ethiopian", "nigerian", "south-african"],
        "caribbean": ["caribbean", "cuban", "jamaican", "puerto-rican"],
        "cajun-creole": ["cajun", "creole"],
        "american": ["southern-united-states", "american", "north-american", "canadian", "hawaiian"],
    }.items()
)


def cuisine_from_tags(tags: list[str]) -> str | None:
    present = set(tags)
    for label, names in CUISINE_PRIORITY:
        if present.intersection(names):
            return label
    return None


class CatalogBuilder:
    """Appends recipes column by column and emits a table in CATALOG_SCHEMA."""

    def __init__(self) -> None:
        self.columns: dict[str, list[Any]] = {f.name: [] for f in CATALOG_SCHEMA}

    def __len__(self) -> int:
        return len(self.columns["id"])

    def add(self, **values: Any) -> None:
        for name, column in self.columns.items():
            column.append(values.get(name))

    def table(self) -> pa.Table:
        return pa.table(self.columns, schema=CATALOG_SCHEMA)
