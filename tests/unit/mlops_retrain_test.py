"""retrain: champion/challenger with a stated tolerance; evaluate on a real bundle."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mlops.config import MlopsSettings
from mlops.evaluate import evaluate
from mlops.registry import ModelVersion, metric_tag, open_registry
from mlops.retrain import NOT_PROMOTED, compare, decide, retrain
from mlops.synth import synthesize
from tests.unit.mlops_support import settings_fixture, write_queries  # noqa: F401 - fixture

CHAMPION_METRICS = {
    "ndcg@10": 0.60,
    "recall@10": 0.50,
    "mrr@10": 0.70,
    "crosslingual_overlap@10": 0.75,
    "latency_p95_ms": 10.0,
}


def _champion(metrics: dict[str, float], content_hash: str = "old") -> ModelVersion:
    tags = {"content_hash": content_hash, **{metric_tag(k): str(v) for k, v in metrics.items()}}
    return ModelVersion("4", "file:///x", tags=tags, aliases=["champion"])


def test_promotes_within_tolerance() -> None:
    challenger = CHAMPION_METRICS | {"ndcg@10": 0.595, "latency_p95_ms": 18.0}
    decision = decide("new", challenger, True, _champion(CHAMPION_METRICS), tolerance=0.01, latency_factor=2.0)
    assert decision.promoted and decision.outcome == "promoted"
    assert "no metric regressed" in decision.reasons[0]


def test_refuses_a_regression_and_says_which_metric() -> None:
    challenger = CHAMPION_METRICS | {"recall@10": 0.45}
    decision = decide("new", challenger, True, _champion(CHAMPION_METRICS), tolerance=0.01, latency_factor=2.0)
    assert not decision.promoted and decision.exit_code == NOT_PROMOTED
    assert decision.reasons == ["recall@10 regressed: 0.4500 vs champion 0.5000 (rule >= champion - 0.01)"]


def test_latency_rule_and_missing_metrics() -> None:
    rows = compare({"latency_p95_ms": 30.0, "ndcg@10": 0.7}, {"latency_p95_ms": 10.0})
    assert [(r["metric"], r["regressed"]) for r in rows] == [("latency_p95_ms", True)]  # 30 > 2 x 10 + 5


def test_same_content_is_no_change_and_failed_gates_never_promote() -> None:
    same = decide("h1", CHAMPION_METRICS, True, _champion(CHAMPION_METRICS, "h1"), tolerance=0.01, latency_factor=2)
    assert same.outcome == "no_change" and not same.promoted and same.exit_code == 0
    assert "equals champion v4" in same.reasons[0]
    first = decide("h1", CHAMPION_METRICS, False, None, tolerance=0.01, latency_factor=2)
    assert first.outcome == "gates_failed" and not first.promoted


def _bundled_like_inputs(root: Path) -> list[Path]:
    result = synthesize(300, root / "data", seed=11, fmt="csv")
    return result.paths


def test_retrain_promotes_then_reports_no_change(settings: MlopsSettings, tmp_path: Path) -> None:
    inputs = _bundled_like_inputs(tmp_path)
    probe = tmp_path / "probe"  # the same recipes as the CSV inputs, to label queries from
    synthesize(300, probe, seed=11, fmt="parquet")
    queries = write_queries(tmp_path / "queries.jsonl", probe / "catalog.parquet")

    first, report = retrain(settings, inputs, queries=queries, show_progress=False)
    assert first.outcome == "promoted", first.reasons
    registry = open_registry(settings)
    champion = registry.by_alias("champion")
    assert champion is not None and champion.version == "1"
    assert set(champion.metrics) >= {"ndcg@10", "recall@10", "mrr@10", "crosslingual_overlap@10"}
    assert "PROMOTED" in report.with_suffix(".md").read_text()

    second, report = retrain(settings, inputs, queries=queries, show_progress=False)
    assert second.outcome == "no_change" and not second.promoted
    assert "no change" in report.with_suffix(".md").read_text()
    assert [v.version for v in registry.versions()] == ["1"]  # nothing new registered

    # the retrain run holds the evaluation as child runs with the headline metrics
    from mlops.tracking import mlflow_client

    client = mlflow_client(settings)
    runs = client.search_runs(
        [client.get_experiment_by_name(settings.mlflow_experiment).experiment_id],
        filter_string="tags.command = 'evaluate'",
    )
    assert runs and {"ndcg_at_10", "recall_at_10", "mrr_at_10", "crosslingual_overlap_at_10"} <= set(
        runs[0].data.metrics
    )


def test_evaluate_compares_with_plain_semantic_search(settings: MlopsSettings, tmp_path: Path) -> None:
    from mlops.build import build

    synthesize(300, tmp_path, seed=11, fmt="parquet")
    built = build(settings, tmp_path / "catalog.parquet", show_progress=False)
    queries = write_queries(tmp_path / "queries.jsonl", tmp_path / "catalog.parquet")
    quality = tmp_path / "quality.json"
    quality.write_text(json.dumps({"status": "warn"}))
    result, path = evaluate(settings, built.bundle_dir, queries, quality_report=quality)
    for system in ("recommender", "semantic"):
        metrics = result[system]["metrics"]
        assert 0.0 <= metrics["ndcg@10"] <= 1.0 and 0.0 <= metrics["recall@10"] <= 1.0
        assert metrics["pairs"] == 1 and metrics["queries"] == 4
        assert metrics["latency_p95_ms"] >= metrics["latency_p50_ms"] > 0
    assert result["recommender"]["metrics"]["ndcg@10"] > 0  # the labels name recipes it can find
    assert result["passed"], result["gates"]
    markdown = path.with_suffix(".md").read_text()
    assert "plain semantic (alpha=1)" in markdown and "PASS data_quality" in markdown

    quality.write_text(json.dumps({"status": "fail"}))
    bad_queries = tmp_path / "bad.jsonl"
    shutil.copyfile(queries, bad_queries)
    with bad_queries.open("a") as fh:
        fh.write(json.dumps({"id": "q9", "lang": "en", "query": "x", "relevance": {"424242": 3}}) + "\n")
    failed, _ = evaluate(settings, built.bundle_dir, bad_queries, quality_report=quality)
    gates = {g["gate"]: g["passed"] for g in failed["gates"]}
    assert gates == {"data_quality": False, "labels_in_catalog": False, "no_degraded_answers": True}
    assert not failed["passed"]


@pytest.mark.parametrize("bad", ["missing.jsonl"])
def test_evaluate_requires_the_queries_file(settings: MlopsSettings, tmp_path: Path, bad: str) -> None:
    from mlops.datasets import DatasetError

    with pytest.raises(DatasetError, match="does not exist"):
        evaluate(settings, tmp_path, tmp_path / bad)
