"""``mlops ingest``: the command around :func:`mlops.ingest.pipeline.run_ingest` (tracking, exit code)."""

from __future__ import annotations

from pathlib import Path

from mlops.config import MlopsSettings
from mlops.ingest.pipeline import IngestResult, detect_inputs, run_ingest
from mlops.tracking import Tracker


def ingest(
    settings: MlopsSettings,
    inputs: list[Path],
    *,
    out_dir: Path | None = None,
    source: str | None = None,
    parent_run_id: str | None = None,
) -> IngestResult:
    """Read, check and write; logs a run with the quality figures and the report as artifacts."""
    out = out_dir or settings.paths.catalog_dir
    detected = detect_inputs(inputs, source)
    with Tracker(settings, "ingest", parent_run_id=parent_run_id) as run:
        run.log_params({"inputs": ", ".join(f"{i.path} ({i.kind})" for i in detected), "out_dir": str(out)})
        result = run_ingest(detected, out)
        stats = result.report.stats
        run.log_metrics(
            {
                "recipes": stats.get("recipes"),
                "interactions": stats.get("interactions"),
                "rated_recipes": stats.get("rated_recipes"),
                "with_spanish": stats.get("with_spanish"),
                "unrated_share": stats.get("unrated_share"),
                "quality_failed_checks": len(result.report.failed),
                **{f"quality_{c.name}_rate": c.rate for c in result.report.checks.values() if c.total},
            }
        )
        run.set_tags({"quality_status": result.report.status})
        run.log_artifact(result.report_path, "quality")
        run.log_artifact(result.summary_path, "quality")
    return result
