"""``mlops cleanup --keep K``: keep the newest K bundles, runs, local runs and reports.

Nothing an alias points at is deleted (``champion`` and friends, in MLflow or the local
registry), nor the runs whose artifacts hold those versions' bundles. MLflow runs are deleted
through the client (soft delete) and their artifact folders under ``artifacts/mlruns`` removed,
so disk is really freed. ``--dry-run`` lists what would go.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from mlops.config import MlopsSettings
from mlops.registry import MlflowRegistry, open_registry
from mlops.reports import report_history
from mlops.tracking import announce, mlflow_client


@dataclass
class CleanupPlan:
    bundles: list[Path] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    run_dirs: list[Path] = field(default_factory=list)
    local_runs: list[Path] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)
    kept_for_alias: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"bundle {p}" for p in self.bundles] + [f"mlflow run {r}" for r in self.runs]
        out += [f"local run {p}" for p in self.local_runs] + [f"report {p}" for p in self.reports]
        return out


def _file_path(uri: str) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return Path(unquote(parsed.path))
    return None


def _manifest_field(bundle: Path, key: str) -> str:
    try:
        return str(json.loads((bundle / "manifest.json").read_text()).get(key, ""))
    except (OSError, ValueError):
        return ""


def _created(bundle: Path) -> str:
    return _manifest_field(bundle, "created_at")


def _content_hash(bundle: Path) -> str:
    return _manifest_field(bundle, "content_hash")


def plan_cleanup(settings: MlopsSettings, keep: int) -> CleanupPlan:
    paths = settings.paths
    plan = CleanupPlan()
    registry = open_registry(settings)
    protected_sources: set[Path] = set()
    protected_hashes: set[str] = set()
    protected_runs: set[str] = set()
    for version in registry.versions():
        if version.aliases:
            if version.content_hash:  # keep the local original of an aliased bundle too
                protected_hashes.add(version.content_hash)
            source = _file_path(version.source)
            if source:
                protected_sources.add(source.resolve())
            if version.run_id:
                protected_runs.add(version.run_id)
            plan.kept_for_alias.append(f"v{version.version} ({', '.join(version.aliases)})")
    if paths.bundles.is_dir():
        bundles = sorted(
            (p for p in paths.bundles.iterdir() if p.is_dir()),
            key=lambda p: (_created(p), p.stat().st_mtime),
            reverse=True,
        )
        plan.bundles = [
            b
            for b in bundles[keep:]
            if b.resolve() not in protected_sources and _content_hash(b) not in protected_hashes
        ]
    if isinstance(registry, MlflowRegistry):
        _plan_runs(settings, registry.client, keep, protected_runs, plan)
    if paths.local_runs.is_dir():
        plan.local_runs = sorted(paths.local_runs.iterdir(), reverse=True)[keep:]
    kinds = {p.name.split("-2")[0] for p in paths.reports.glob("*-2*.json")} if paths.reports.is_dir() else set()
    for kind in sorted(kinds):
        for old in report_history(paths.reports, kind)[:-keep] if keep else report_history(paths.reports, kind):
            plan.reports += [old, old.with_suffix(".md")]
    return plan


def _plan_runs(settings: MlopsSettings, client: Any, keep: int, protected: set[str], plan: CleanupPlan) -> None:
    experiment = client.get_experiment_by_name(settings.mlflow_experiment)
    if experiment is None:
        return
    runs = client.search_runs([experiment.experiment_id], order_by=["attributes.start_time DESC"], max_results=50_000)
    by_command: dict[str, list[Any]] = defaultdict(list)
    for run in runs:
        by_command[run.data.tags.get("command", run.info.run_name or "")].append(run)
    mlruns = settings.paths.mlruns.resolve()
    for group in by_command.values():
        for run in group[keep:]:
            if run.info.run_id in protected:
                continue
            plan.runs.append(run.info.run_id)
            artifact_dir = _file_path(run.info.artifact_uri)
            if artifact_dir is not None:
                run_dir = artifact_dir.resolve().parent
                if mlruns in run_dir.parents:  # only ever delete inside our own artifact root
                    plan.run_dirs.append(run_dir)


def cleanup(settings: MlopsSettings, keep: int, *, dry_run: bool = False) -> CleanupPlan:
    if keep < 1:
        raise ValueError("--keep must be at least 1")
    plan = plan_cleanup(settings, keep)
    if dry_run:
        return plan
    for bundle in plan.bundles:
        shutil.rmtree(bundle, ignore_errors=True)
    if plan.runs:
        try:
            client = mlflow_client(settings)
            for run_id in plan.runs:
                client.delete_run(run_id)
        except Exception as exc:
            announce(f"could not delete MLflow runs ({exc}); their artifacts are left in place")
            plan.run_dirs = []
    for run_dir in plan.run_dirs:
        shutil.rmtree(run_dir, ignore_errors=True)
    for local in plan.local_runs:
        shutil.rmtree(local, ignore_errors=True)
    for report in plan.reports:
        report.unlink(missing_ok=True)
    return plan
