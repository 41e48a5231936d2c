"""``mlops version``: register a bundle as a model version of ``recipe-recommender`` and set aliases.

The bundle is logged as an artifact directory of a ``version`` run and the model version's
``source`` is that artifact URI; with MLflow unreachable the local registry records the bundle
directory instead, and says so. Version tags carry the bundle's content hash and, when an
evaluation report of the same bundle exists, its metrics (``metric.ndcg@10`` ...), which is
what ``retrain`` compares against.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlops.config import MlopsSettings
from mlops.evaluate import HEADLINE
from mlops.registry import ModelVersion, Registry, metric_tag, open_registry
from mlops.reports import report_history
from mlops.tracking import Tracker

COMPARED_METRICS = (*HEADLINE, "latency_p95_ms")


def bundle_manifest(bundle: Path) -> dict[str, Any]:
    path = bundle / "manifest.json"
    if not path.exists():
        raise FileNotFoundError(f"{bundle} is not a bundle (no manifest.json)")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def latest_evaluation(reports: Path, content_hash: str) -> dict[str, Any] | None:
    """The newest evaluation report of the bundle with this content hash."""
    for path in reversed(report_history(reports, "evaluate")):
        data: dict[str, Any] = json.loads(path.read_text())
        if data.get("content_hash") == content_hash:
            return data
    return None


def version_tags(manifest: dict[str, Any], evaluation: dict[str, Any] | None) -> dict[str, str]:
    tags = {
        "content_hash": str(manifest.get("content_hash", "")),
        "bundle_version": str(manifest.get("version", "")),
        "embedding_model": str(manifest.get("embedding", {}).get("model", "")),
        "num_recipes": str(manifest.get("num_recipes", "")),
    }
    if evaluation:
        metrics = evaluation.get("metrics", {})
        tags |= {metric_tag(m): f"{metrics[m]:.6f}" for m in COMPARED_METRICS if metrics.get(m) is not None}
        tags["evaluation_gates"] = "pass" if evaluation.get("passed") else "fail"
    return tags


def register_bundle(
    settings: MlopsSettings,
    bundle: Path,
    *,
    aliases: list[str],
    evaluation: dict[str, Any] | None = None,
    registry: Registry | None = None,
    parent_run_id: str | None = None,
) -> ModelVersion:
    manifest = bundle_manifest(bundle)
    evaluation = evaluation or latest_evaluation(settings.paths.reports, manifest.get("content_hash", ""))
    registry = registry or open_registry(settings)
    with Tracker(settings, "version", parent_run_id=parent_run_id) as run:
        tags = version_tags(manifest, evaluation)
        run.log_params(
            {
                "bundle": str(bundle),
                "aliases": ",".join(aliases),
                "registry": registry.backend,
                "model_name": registry.name,
            }
        )
        if evaluation:
            run.log_metrics(evaluation.get("metrics", {}))
        version = registry.register(bundle, run, tags)
        for alias in aliases:
            registry.set_alias(alias, version.version)
        version.aliases = sorted(set(version.aliases) | set(aliases))
        run.set_tags({"model_version": version.version, "model_source": version.source, **tags})
    return version
