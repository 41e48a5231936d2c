"""Run ingest: detect each input's format, read, merge, attach ratings, gate and write.

Outputs (under ``out_dir``): ``catalog.parquet`` (CATALOG_SCHEMA), ``interactions.parquet``,
``quality.json`` and ``quality.md``. The catalog is written even when a check fails, so the
report's examples can be inspected beside it, but the exit status says it must not be built.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from mlops.config import BUNDLED_CATALOG_DIR
from mlops.ingest import foodcom, schemaorg
from mlops.ingest.quality import Issue, QualityReport
from mlops.ingest.records import CatalogBuilder
from services.recommender.catalog import validate_catalog

log = logging.getLogger(__name__)


@dataclass
class IngestInput:
    path: Path
    kind: str  # "recipes" | "interactions" | "schema.org"
    source: str = "food.com"


@dataclass
class IngestResult:
    catalog_path: Path
    interactions_path: Path
    report_path: Path
    summary_path: Path
    report: QualityReport
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.report.status != "fail"


def detect_inputs(paths: list[Path], source: str | None = None) -> list[IngestInput]:
    """Decide what each path is. No paths means the bundled catalog in ``data/catalog``."""
    if not paths:
        base = BUNDLED_CATALOG_DIR
        recipes = base / "RAW_recipes.csv"
        if not recipes.exists():
            raise FileNotFoundError(f"no inputs given and the bundled catalog {recipes} is missing")
        found = [IngestInput(recipes, "recipes", source or "bundled")]
        if (base / "RAW_interactions.csv").exists():
            found.append(IngestInput(base / "RAW_interactions.csv", "interactions", source or "bundled"))
        return found
    out: list[IngestInput] = []
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(f"input {path} does not exist")
        if path.is_dir():
            csvs = sorted(path.glob("RAW_*.csv"))
            if csvs:
                out += detect_inputs(csvs, source)
            else:
                out.append(IngestInput(path, "schema.org"))
        elif path.suffix.lower() == ".csv":
            kind = foodcom.sniff_kind(path)
            if kind is None:
                raise ValueError(
                    f"{path}: header matches neither RAW_recipes ({', '.join(foodcom.RECIPE_COLUMNS)}) "
                    f"nor RAW_interactions ({', '.join(foodcom.INTERACTION_COLUMNS)})"
                )
            out.append(IngestInput(path, kind, source or "food.com"))
        else:
            out.append(IngestInput(path, "schema.org"))
    return out


def run_ingest(inputs: list[IngestInput], out_dir: Path) -> IngestResult:
    report = QualityReport()
    builder = CatalogBuilder()
    interaction_tables: list[pa.Table] = []
    for item in inputs:
        log.info("reading %s (%s)", item.path, item.kind)
        if item.kind == "recipes":
            foodcom.read_recipes(item.path, report, builder, source=item.source)
        elif item.kind == "interactions":
            interaction_tables.append(foodcom.read_interactions(item.path, report))
        else:
            schemaorg.read_schema_org(item.path, report, builder)
    catalog = _dedupe(builder.table(), report)
    interactions = (
        pa.concat_tables(interaction_tables) if interaction_tables else foodcom.INTERACTIONS_SCHEMA.empty_table()
    )
    catalog = attach_ratings(catalog, interactions, report)
    _catalog_checks(catalog, report)
    validate_catalog(catalog)
    out_dir.mkdir(parents=True, exist_ok=True)
    catalog_path = out_dir / "catalog.parquet"
    interactions_path = out_dir / "interactions.parquet"
    _write_parquet(catalog, catalog_path)
    _write_parquet(interactions, interactions_path)
    report_path = out_dir / "quality.json"
    summary_path = report.write(report_path)
    return IngestResult(catalog_path, interactions_path, report_path, summary_path, report, dict(report.stats))


def _write_parquet(table: pa.Table, path: Path) -> None:
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(path)


def _dedupe(table: pa.Table, report: QualityReport) -> pa.Table:
    """Keep the first recipe of each id (inputs in the order given); report the rest."""
    ids = table.column("id").to_numpy()
    _, first = np.unique(ids, return_index=True)
    keep = np.sort(first)
    dupes = len(ids) - len(keep)
    examples = []
    if dupes:
        mask = np.ones(len(ids), dtype=bool)
        mask[keep] = False
        examples = [Issue("catalog", None, "id", "duplicate id; first occurrence kept", str(i)) for i in ids[mask][:5]]
    report.gate(
        "duplicate_ids",
        "recipe ids are unique",
        rate=dupes / len(ids) if len(ids) else 0.0,
        total=len(ids),
        max_rate=0.01,
        examples=examples,
    )
    return table.take(pa.array(keep)) if dupes else table


def attach_ratings(catalog: pa.Table, interactions: pa.Table, report: QualityReport) -> pa.Table:
    """Mean and count of the non-zero ratings per recipe. Rating 0 means "reviewed without a
    rating" on Food.com, so it is excluded from the mean rather than counted as a bad score."""
    stats = report.stats
    stats["recipes"] = catalog.num_rows
    stats["interactions"] = interactions.num_rows
    if interactions.num_rows == 0:
        return catalog
    ratings = interactions.column("rating").to_numpy()
    recipe_ids = interactions.column("recipe_id").to_numpy()
    hist = np.bincount(ratings.astype(np.int64), minlength=6)
    stats["rating_histogram"] = {str(k): int(v) for k, v in enumerate(hist)}
    stats["unrated_share"] = round(float(hist[0] / len(ratings)), 4)
    rated = ratings > 0
    stats["mean_rating"] = round(float(ratings[rated].mean()), 4) if rated.any() else None
    catalog_ids = catalog.column("id").to_numpy()
    known = np.isin(recipe_ids, catalog_ids)
    orphans = int((~known).sum())
    stats["orphan_interactions"] = orphans
    report.record(
        "orphan_interactions",
        "interactions point to recipes in the catalog (others are kept but do not count)",
        "warn" if orphans else "pass",
        [Issue("interactions", None, "recipe_id", "recipe not in catalog", str(r)) for r in recipe_ids[~known][:5]],
        count=orphans,
        total=len(recipe_ids),
    )
    use = known & rated
    uniq, inverse = np.unique(recipe_ids[use], return_inverse=True)
    sums = np.bincount(inverse, weights=ratings[use].astype(np.float64), minlength=len(uniq))
    counts = np.bincount(inverse, minlength=len(uniq))
    position = np.searchsorted(uniq, catalog_ids)
    position = np.clip(position, 0, max(len(uniq) - 1, 0))
    has = (uniq[position] == catalog_ids) if len(uniq) else np.zeros(len(catalog_ids), bool)
    old_avg = catalog.column("rating_average").to_numpy(zero_copy_only=False)
    old_cnt = catalog.column("rating_count").to_numpy(zero_copy_only=False)
    avg = np.where(has, sums[position] / np.maximum(counts[position], 1), old_avg)
    cnt = np.where(has, counts[position], old_cnt)
    avg_arr = pa.array(avg, type=pa.float64(), from_pandas=True)
    cnt_arr = pa.array(
        [None if c is None or (isinstance(c, float) and np.isnan(c)) else int(c) for c in cnt], type=pa.int32()
    )
    catalog = catalog.set_column(catalog.schema.get_field_index("rating_average"), "rating_average", avg_arr)
    return catalog.set_column(catalog.schema.get_field_index("rating_count"), "rating_count", cnt_arr)


def _catalog_checks(catalog: pa.Table, report: QualityReport) -> None:
    n = catalog.num_rows
    report.record(
        "non_empty",
        "the catalog has recipes",
        "pass" if n else "fail",
        [] if n else [Issue("catalog", None, None, "no recipe was read")],
        total=1,
    )
    if not n:
        return
    stats = report.stats
    stats["languages"] = {str(k): int(v) for k, v in _counts(catalog.column("language")).items()}
    stats["sources"] = {str(k): int(v) for k, v in _counts(catalog.column("source")).items()}
    stats["cuisines"] = len([k for k in _counts(catalog.column("cuisine")) if k])
    stats["with_spanish"] = int(pc.sum(pc.greater(pc.list_value_length(catalog.column("localized")), 0)).as_py() or 0)
    stats["rated_recipes"] = int(pc.sum(pc.greater(pc.fill_null(catalog.column("rating_count"), 0), 0)).as_py() or 0)
    minutes = catalog.column("minutes").drop_null().to_numpy()
    if len(minutes):
        stats["minutes_median"] = float(np.median(minutes))
    calories = catalog.column("calories_kcal").drop_null().to_numpy()
    implausible = int(((calories < 0) | (calories > 10_000)).sum()) if len(calories) else 0
    report.gate(
        "implausible_calories",
        "calories per serving within 0..10,000 kcal",
        rate=implausible / n,
        total=n,
        max_rate=0.01,
    )


def _counts(column: pa.ChunkedArray) -> dict[Any, int]:
    values = pc.value_counts(column)
    return {v["values"].as_py(): v["counts"].as_py() for v in values}
