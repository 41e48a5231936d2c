"""The synthetic catalog is plausible, consistent and readable by ingest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from mlops.ingest.pipeline import detect_inputs, run_ingest
from mlops.synth import DAIRY_EGG, MEAT, SEAFOOD, synthesize
from services.recommender.catalog import validate_catalog


def test_csv_output_ingests_cleanly(tmp_path: Path) -> None:
    result = synthesize(400, tmp_path / "csv", seed=1, fmt="csv")
    assert [p.name for p in result.paths] == ["RAW_recipes.csv", "RAW_interactions.csv"]
    ingested = run_ingest(detect_inputs(result.paths), tmp_path / "out")
    assert ingested.ok, ingested.report.summary()
    assert ingested.report.stats["recipes"] == 400
    assert ingested.report.stats["orphan_interactions"] == 0


def test_parquet_output_is_a_valid_catalog_with_consistent_diets(tmp_path: Path) -> None:
    result = synthesize(2000, tmp_path, seed=2, fmt="parquet")
    table = pq.read_table(result.paths[0])
    validate_catalog(table)
    rows = table.to_pylist()
    assert len({r["id"] for r in rows}) == 2000
    assert len({r["name"] for r in rows}) > 1500  # names vary like a real catalog
    for r in rows:
        items = set(r["ingredients"])
        if "vegetarian" in r["tags"]:
            assert not items & (MEAT | SEAFOOD), r
        if "vegan" in r["tags"]:
            assert not items & (MEAT | SEAFOOD | DAIRY_EGG), r
    ratings = pq.read_table(result.paths[1]).column("rating").to_numpy()
    rated = ratings[ratings > 0]
    assert 0.6 < np.mean(rated == 5) < 0.85  # Food.com: ~72% five stars
    assert 0.02 < np.mean(ratings == 0) < 0.1  # ~5% "no rating"


def test_same_seed_same_catalog(tmp_path: Path) -> None:
    a = synthesize(50, tmp_path / "a", seed=3, fmt="parquet")
    b = synthesize(50, tmp_path / "b", seed=3, fmt="parquet")
    assert pq.read_table(a.paths[0]).equals(pq.read_table(b.paths[0]))
