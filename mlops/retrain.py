"""``mlops retrain``: ingest -> build -> evaluate -> compare with ``champion`` -> promote or not.

Promotion rule (stated in every decision report):

- quality metrics (nDCG@10, recall@10, MRR@10, es/en overlap@10) may not fall more than
  ``tolerance`` (absolute, default 0.01) below the champion's;
- ranking latency p95 may not exceed ``latency_factor`` x the champion's plus ``LATENCY_SLACK_MS``
  (generous, because two-core machines shared with other jobs make p95 noisy);
- the evaluation gates (data quality, labels present) must pass.

A challenger whose bundle content hash equals the champion's is "no change": nothing is
registered and nothing promoted. A challenger that regresses is registered with the alias
``challenger`` so it can be inspected, but ``champion`` stays where it was. Every run writes
``artifacts/reports/retrain-*.{json,md}`` saying why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops.build import build
from mlops.config import EVAL_QUERIES, MlopsSettings
from mlops.evaluate import evaluate
from mlops.ingest.command import ingest
from mlops.registry import ModelVersion, open_registry
from mlops.reports import write_report
from mlops.tracking import Tracker
from mlops.versioning import COMPARED_METRICS, register_bundle

CHAMPION = "champion"
CHALLENGER = "challenger"
DEFAULT_TOLERANCE = 0.01
DEFAULT_LATENCY_FACTOR = 2.0
LATENCY_SLACK_MS = 5.0

# exit codes of the command
PROMOTED, NO_CHANGE, FAILED, NOT_PROMOTED = 0, 0, 1, 3


@dataclass
class Decision:
    promoted: bool
    outcome: str  # "promoted" | "no_change" | "regression" | "gates_failed" | "ingest_failed"
    reasons: list[str]
    comparison: list[dict[str, Any]] = field(default_factory=list)
    champion: dict[str, Any] | None = None
    challenger: dict[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return {"promoted": PROMOTED, "no_change": NO_CHANGE, "regression": NOT_PROMOTED}.get(self.outcome, FAILED)


def compare(
    challenger: dict[str, float],
    champion: dict[str, float],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    latency_factor: float = DEFAULT_LATENCY_FACTOR,
) -> list[dict[str, Any]]:
    """One row per metric both sides have: values, allowed bound and whether it regressed."""
    rows = []
    for metric in COMPARED_METRICS:
        new, old = challenger.get(metric), champion.get(metric)
        if new is None or old is None or (isinstance(new, float) and math.isnan(new)):
            continue
        if metric.startswith("latency"):
            bound = old * latency_factor + LATENCY_SLACK_MS
            regressed = new > bound
            rule = f"<= {latency_factor:g} x champion + {LATENCY_SLACK_MS:g} ms"
        else:
            bound = old - tolerance
            regressed = new < bound
            rule = f">= champion - {tolerance:g}"
        rows.append(
            {
                "metric": metric,
                "champion": old,
                "challenger": new,
                "delta": new - old,
                "bound": bound,
                "rule": rule,
                "regressed": regressed,
            }
        )
    return rows


def decide(
    challenger_hash: str,
    challenger_metrics: dict[str, float],
    gates_passed: bool,
    champion: ModelVersion | None,
    *,
    tolerance: float,
    latency_factor: float,
) -> Decision:
    challenger = {"content_hash": challenger_hash, "metrics": challenger_metrics}
    if champion is None:
        if not gates_passed:
            return Decision(
                False, "gates_failed", ["no champion yet, but the evaluation gates failed"], challenger=challenger
            )
        return Decision(
            True, "promoted", ["no champion yet: the first passing model becomes champion"], challenger=challenger
        )
    champ = {"version": champion.version, "content_hash": champion.content_hash, "metrics": champion.metrics}
    if champion.content_hash and champion.content_hash == challenger_hash:
        return Decision(
            False,
            "no_change",
            [
                f"no change: the new bundle's content hash {challenger_hash[:12]} equals champion "
                f"v{champion.version}'s; nothing to register or promote"
            ],
            champion=champ,
            challenger=challenger,
        )
    if not gates_passed:
        return Decision(
            False, "gates_failed", ["the evaluation gates failed; champion kept"], champion=champ, challenger=challenger
        )
    rows = compare(challenger_metrics, champion.metrics, tolerance=tolerance, latency_factor=latency_factor)
    regressed = [r for r in rows if r["regressed"]]
    if regressed:
        reasons = [
            f"{r['metric']} regressed: {r['challenger']:.4f} vs champion {r['champion']:.4f} (rule {r['rule']})"
            for r in regressed
        ]
        return Decision(False, "regression", reasons, rows, champ, challenger)
    if not rows:
        reason = "champion has no recorded metrics to compare with; promoting the passing challenger"
    else:
        reason = (
            f"no metric regressed beyond tolerance ({len(rows)} compared: "
            + ", ".join(f"{r['metric']} {r['delta']:+.4f}" for r in rows)
            + ")"
        )
    return Decision(True, "promoted", [reason], rows, champ, challenger)


def _markdown(decision: Decision, bundle: str, version: str | None) -> str:
    verdict = {
        "promoted": "PROMOTED",
        "no_change": "NO CHANGE",
        "regression": "NOT PROMOTED",
        "gates_failed": "NOT PROMOTED (gates failed)",
        "ingest_failed": "FAILED (ingest)",
    }[decision.outcome]
    lines = [f"# Retrain: {verdict}", "", f"- challenger bundle: {bundle}"]
    if decision.champion:
        lines.append(f"- champion: v{decision.champion['version']} ({decision.champion['content_hash'][:12]})")
    if version:
        lines.append(f"- registered as version {version}")
    lines += ["", "## Why"] + [f"- {r}" for r in decision.reasons]
    if decision.comparison:
        lines += ["", "| metric | champion | challenger | delta | rule | regressed |", "|---|---|---|---|---|---|"]
        lines += [
            f"| {r['metric']} | {r['champion']:.4f} | {r['challenger']:.4f} | {r['delta']:+.4f} | {r['rule']} "
            f"| {'yes' if r['regressed'] else 'no'} |"
            for r in decision.comparison
        ]
    return "\n".join(lines) + "\n"


def retrain(
    settings: MlopsSettings,
    inputs: list[Path],
    *,
    queries: Path = EVAL_QUERIES,
    tolerance: float = DEFAULT_TOLERANCE,
    latency_factor: float = DEFAULT_LATENCY_FACTOR,
    force_build: bool = False,
    show_progress: bool = True,
) -> tuple[Decision, Path]:
    registry = open_registry(settings)
    with Tracker(settings, "retrain") as run:
        run.log_params(
            {
                "inputs": ", ".join(map(str, inputs)) or "bundled catalog",
                "queries": str(queries),
                "tolerance": tolerance,
                "latency_factor": latency_factor,
                "registry": registry.backend,
            }
        )
        ingested = ingest(settings, inputs, parent_run_id=run.run_id)
        bundle_path = ""
        version: ModelVersion | None = None
        if not ingested.ok:
            failed = ", ".join(c.name for c in ingested.report.failed)
            decision = Decision(
                False, "ingest_failed", [f"data-quality checks failed: {failed}; see {ingested.summary_path}"]
            )
        else:
            built = build(
                settings,
                ingested.catalog_path,
                force=force_build,
                show_progress=show_progress,
                parent_run_id=run.run_id,
            )
            bundle_path = str(built.bundle_dir)
            content_hash = str(built.manifest.get("content_hash", ""))
            evaluation, _ = evaluate(
                settings, built.bundle_dir, queries, quality_report=ingested.report_path, parent_run_id=run.run_id
            )
            champion = registry.by_alias(CHAMPION)
            decision = decide(
                content_hash,
                evaluation["metrics"],
                evaluation["passed"],
                champion,
                tolerance=tolerance,
                latency_factor=latency_factor,
            )
            if decision.outcome in ("promoted", "regression"):
                aliases = [CHAMPION] if decision.promoted else [CHALLENGER]
                version = register_bundle(
                    settings,
                    built.bundle_dir,
                    aliases=aliases,
                    evaluation=evaluation,
                    registry=registry,
                    parent_run_id=run.run_id,
                )
        run.set_tags(
            {
                "outcome": decision.outcome,
                "promoted": str(decision.promoted).lower(),
                **({"model_version": version.version} if version else {}),
            }
        )
        run.log_metrics({"promoted": int(decision.promoted)})
        data = {
            "outcome": decision.outcome,
            "promoted": decision.promoted,
            "reasons": decision.reasons,
            "comparison": decision.comparison,
            "champion": decision.champion,
            "challenger": decision.challenger,
            "bundle": bundle_path,
            "registered_version": version.version if version else None,
            "registry": registry.backend,
            "rule": {"tolerance": tolerance, "latency_factor": latency_factor, "latency_slack_ms": LATENCY_SLACK_MS},
        }
        json_path = write_report(
            settings.paths.reports,
            "retrain",
            data,
            _markdown(decision, bundle_path, version.version if version else None),
        )
        run.log_artifact(json_path, "report")
        run.log_artifact(json_path.with_suffix(".md"), "report")
    return decision, json_path
