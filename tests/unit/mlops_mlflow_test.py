"""MLflow tracking and registry in a real (temporary SQLite) store, and the local fallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops.config import MlopsSettings
from mlops.registry import LocalRegistry, MlflowRegistry, open_registry
from mlops.tracking import Tracker, mlflow_client
from mlops.versioning import register_bundle
from tests.unit.mlops_support import make_settings, settings_fixture  # noqa: F401 - fixture

UNREACHABLE = "http://127.0.0.1:9"  # discard port: connection refused at once


def _fake_bundle(root: Path, content_hash: str = "abc123") -> Path:
    bundle = root / "bundles" / f"20260101T000000-{content_hash[:8]}"
    bundle.mkdir(parents=True)
    manifest = {
        "version": bundle.name,
        "content_hash": content_hash,
        "num_recipes": 3,
        "embedding": {"model": "hashing-tf-512"},
    }
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    (bundle / "vectors.f16.npy").write_bytes(b"\x00" * 16)
    return bundle


def test_run_logs_params_metrics_and_artifacts(settings: MlopsSettings, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text("{}")
    with Tracker(settings, "evaluate") as run:
        assert run.backend == "mlflow"
        run.log_params({"bundle": "b1", "k": 10})
        run.log_metrics({"ndcg@10": 0.5, "recall@10": 0.4, "skipped": float("nan"), "flag": True})
        run.log_artifact(report, "report")
    client = mlflow_client(settings)
    stored = client.get_run(run.run_id)
    assert stored.info.status == "FINISHED"
    assert stored.data.params == {"bundle": "b1", "k": "10"}
    assert stored.data.metrics == {"ndcg_at_10": 0.5, "recall_at_10": 0.4}
    assert stored.data.tags["command"] == "evaluate"
    assert [a.path for a in client.list_artifacts(run.run_id, "report")] == ["report/report.json"]
    experiment = client.get_experiment(stored.info.experiment_id)
    assert experiment.artifact_location.startswith((settings.paths.mlruns.resolve()).as_uri())


def test_failed_command_marks_the_run_failed(settings: MlopsSettings) -> None:
    with pytest.raises(RuntimeError), Tracker(settings, "build") as run:
        raise RuntimeError("boom")
    assert mlflow_client(settings).get_run(run.run_id).info.status == "FAILED"


def test_version_registers_bundle_artifact_and_alias(settings: MlopsSettings) -> None:
    bundle = _fake_bundle(settings.artifacts_dir)
    evaluation = {
        "content_hash": "abc123",
        "passed": True,
        "metrics": {
            "ndcg@10": 0.61,
            "recall@10": 0.5,
            "mrr@10": 0.7,
            "crosslingual_overlap@10": 0.8,
            "latency_p95_ms": 9.5,
        },
    }
    version = register_bundle(settings, bundle, aliases=["champion"], evaluation=evaluation)
    registry = open_registry(settings)
    assert isinstance(registry, MlflowRegistry)
    champion = registry.by_alias("champion")
    assert champion is not None and champion.version == version.version == "1"
    assert champion.source.endswith("/bundle") and champion.source.startswith("file://")
    assert Path(champion.source.removeprefix("file://"), "manifest.json").exists()  # a self-contained copy
    assert champion.content_hash == "abc123"
    assert champion.metrics["ndcg@10"] == pytest.approx(0.61)
    second = register_bundle(settings, _fake_bundle(settings.artifacts_dir / "2", "def456"), aliases=[])
    assert second.version == "2"
    assert registry.by_alias("champion").version == "1"  # type: ignore[union-attr]


def test_recommender_resolves_the_champion_uri(settings: MlopsSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    from services.recommender.bundle import resolve_bundle_uri

    bundle = _fake_bundle(settings.artifacts_dir)
    register_bundle(settings, bundle, aliases=["champion"])
    monkeypatch.setenv("MLFLOW_TRACKING_URI", settings.tracking_uri)
    resolved = resolve_bundle_uri("models:/recipe-recommender@champion", cache_dir=settings.artifacts_dir / "c")
    assert json.loads((resolved / "manifest.json").read_text())["content_hash"] == "abc123"


def test_unreachable_mlflow_falls_back_to_local_registry_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(tmp_path, mlflow_tracking_uri=UNREACHABLE)
    bundle = _fake_bundle(settings.artifacts_dir)
    version = register_bundle(settings, bundle, aliases=["champion"])
    err = capsys.readouterr().err
    assert "unreachable" in err and "LOCAL registry" in err and UNREACHABLE in err
    registry = open_registry(settings)
    assert isinstance(registry, LocalRegistry)
    champion = registry.by_alias("champion")
    assert champion is not None and champion.version == version.version == "1"
    assert Path(champion.source) == bundle.resolve()
    data = json.loads((settings.paths.registry / "recipe-recommender.json").read_text())
    assert data["aliases"] == {"champion": "1"}
    runs = list(settings.paths.local_runs.glob("*/run.json"))
    assert runs and json.loads(runs[0].read_text())["command"] == "version"
