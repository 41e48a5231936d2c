"""monitor (drift, ratings, trend), cleanup (keep K, never what an alias points at)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mlops.build import build
from mlops.cleanup import cleanup
from mlops.config import MlopsSettings
from mlops.monitor import monitor, psi
from mlops.reports import write_report
from mlops.synth import synthesize
from mlops.tracking import Tracker, mlflow_client
from mlops.versioning import register_bundle
from tests.unit.mlops_support import settings_fixture  # noqa: F401 - fixture


def test_psi_separates_same_from_shifted() -> None:
    rng = np.random.default_rng(0)
    base = rng.normal(0, 1, 5000)
    assert psi(base, rng.normal(0, 1, 5000)) < 0.02
    assert psi(base, rng.normal(1.0, 1, 5000)) > 0.25


def test_monitor_reports_drift_ratings_and_trend(settings: MlopsSettings, tmp_path: Path) -> None:
    synthesize(300, tmp_path / "a", seed=1, fmt="parquet")
    base = pq.read_table(tmp_path / "a" / "catalog.parquet")
    minutes = pa.array([m * 3 if m else m for m in base.column("minutes").to_pylist()], pa.int32())
    shifted = base.set_column(base.schema.get_field_index("minutes"), "minutes", minutes).slice(0, 250)
    pq.write_table(shifted, tmp_path / "shifted.parquet")
    settings.paths.catalog_dir.mkdir(parents=True)
    (tmp_path / "a" / "interactions.parquet").rename(settings.paths.interactions)
    for ndcg in (0.7, 0.72, 0.6):  # three evaluations, the last one much worse
        write_report(settings.paths.reports, "evaluate", {"metrics": {"ndcg@10": ndcg, "recall@10": 0.5}}, "")

    events, path = monitor(settings, baseline=tmp_path / "a" / "catalog.parquet", current=tmp_path / "shifted.parquet")
    by_name = {e["event"]: e for e in events}
    drift = by_name["catalog_drift"]
    assert drift["removed"] == 50 and drift["added"] == 0
    assert drift["psi"]["minutes"] > 0.25 and drift["severity"] == "alert"
    assert drift["psi"]["calories_kcal"] < 0.1
    ratings = by_name["rating_distribution"]
    assert sum(ratings["histogram"].values()) == ratings["interactions"] > 0
    trend = by_name["evaluation_trend"]
    assert trend["runs"] == 3 and trend["severity"] == "alert"
    assert abs(trend["ndcg@10_drop_from_best"] - 0.12) < 1e-9
    lines = (settings.paths.monitor / "events.jsonl").read_text().splitlines()
    assert [json.loads(line)["event"] for line in lines] == ["catalog_drift", "rating_distribution", "evaluation_trend"]
    assert "catalog_drift: ALERT" in path.with_suffix(".md").read_text()


def test_cleanup_keeps_newest_and_aliased(settings: MlopsSettings, tmp_path: Path) -> None:
    bundles = []
    for seed in range(4):
        synthesize(30, tmp_path / str(seed), seed=seed, fmt="parquet")
        bundles.append(build(settings, tmp_path / str(seed) / "catalog.parquet", show_progress=False).bundle_dir)
    version = register_bundle(settings, bundles[0], aliases=["champion"])  # the oldest is champion
    for _ in range(3):
        with Tracker(settings, "monitor"):
            pass

    plan = cleanup(settings, keep=1, dry_run=True)
    assert set(plan.bundles) == {bundles[1], bundles[2]}
    assert all(b.exists() for b in bundles)  # dry run deletes nothing

    plan = cleanup(settings, keep=1)
    assert [b.exists() for b in bundles] == [True, False, False, True]
    client = mlflow_client(settings)
    experiment = client.get_experiment_by_name(settings.mlflow_experiment).experiment_id
    alive = client.search_runs([experiment])
    by_command: dict[str, int] = {}
    for run in alive:
        by_command[run.data.tags["command"]] = by_command.get(run.data.tags["command"], 0) + 1
    assert by_command == {"build": 1, "monitor": 1, "version": 1}
    assert version.run_id in {r.info.run_id for r in alive}  # holds the champion's bundle copy
    for run_dir in plan.run_dirs:
        assert not run_dir.exists()
