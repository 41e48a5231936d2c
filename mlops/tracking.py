"""One MLflow run per command, with a local JSON fallback that says so when MLflow is unreachable.

The client is used directly (``MlflowClient``), not the fluent API, so no global "active run"
leaks between commands that nest (``retrain`` opens its own run and its steps open child runs).
A store that cannot be reached never fails a build: the run is recorded under
``artifacts/runs/<run>/`` instead and a warning names the URI and the error.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import sys
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from mlops.config import MlopsSettings

log = logging.getLogger(__name__)

# Fail fast against a remote server that is down instead of MLflow's default minutes of retries.
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
# No usage telemetry leaves the machine: the pipeline runs offline (and in CI).
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


def announce(message: str) -> None:
    """Print to stderr where a person running the CLI sees it, and log it."""
    print(f"WARNING: {message}", file=sys.stderr)
    log.warning(message)


def mlflow_client(settings: MlopsSettings) -> Any:
    """A connected ``MlflowClient``; raises when the store cannot be reached."""
    from mlflow.tracking import MlflowClient

    uri = settings.tracking_uri
    if uri.startswith("sqlite:///"):
        db_path = Path(uri.removeprefix("sqlite:///"))
        db_path.parent.mkdir(parents=True, exist_ok=True)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.search_experiments(max_results=1)  # connectivity check
    return client


def ensure_experiment(client: Any, settings: MlopsSettings) -> str:
    """The experiment's id, creating it with artifacts under ``artifacts/mlruns``."""
    name = settings.mlflow_experiment
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        if experiment.lifecycle_stage == "deleted":
            client.restore_experiment(experiment.experiment_id)
        return str(experiment.experiment_id)
    location = settings.paths.mlruns.resolve()
    location.mkdir(parents=True, exist_ok=True)
    return str(client.create_experiment(name, artifact_location=location.as_uri()))


def _clean_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in metrics.items():
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float) and math.isfinite(float(value)):
            out[key.replace("@", "_at_")] = float(value)
    return out


class Tracker:
    """Context manager for one command's run: params, metrics, tags and artifacts.

    ``tracker.backend`` is "mlflow" or "local"; ``tracker.run_id`` identifies the run either way.
    """

    def __init__(self, settings: MlopsSettings, command: str, *, parent_run_id: str | None = None) -> None:
        self.settings = settings
        self.command = command
        self.parent_run_id = parent_run_id
        self.client: Any = None
        self.run_id = ""
        self.experiment_id = ""
        self.backend = "local"
        self.local_dir: Path | None = None
        self._local: dict[str, Any] = {}

    def __enter__(self) -> Tracker:
        tags = {"command": self.command, "mlflow.source.name": f"python -m mlops {self.command}"}
        if self.parent_run_id:
            tags["mlflow.parentRunId"] = self.parent_run_id
        try:
            self.client = mlflow_client(self.settings)
            self.experiment_id = ensure_experiment(self.client, self.settings)
            run = self.client.create_run(self.experiment_id, run_name=self.command, tags=tags)
            self.run_id = run.info.run_id
            self.backend = "mlflow"
        except Exception as exc:  # any store failure: record locally and say so
            announce(
                f"MLflow tracking at {self.settings.tracking_uri} is unreachable ({type(exc).__name__}: {exc}); "
                f"recording this run locally under {self.settings.paths.local_runs}"
            )
            self.client = None
            self.run_id = f"local-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
            self.local_dir = self.settings.paths.local_runs / self.run_id
            self.local_dir.mkdir(parents=True, exist_ok=True)
            self._local = {
                "run_id": self.run_id,
                "command": self.command,
                "tags": tags,
                "params": {},
                "metrics": {},
                "artifacts": [],
                "started_at": time.time(),
            }
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        status = (
            "FINISHED" if exc_type is None or (exc_type is SystemExit and not getattr(exc, "code", 0)) else "FAILED"
        )
        if self.client is not None:
            try:
                self.client.set_terminated(self.run_id, status=status)
            except Exception as err:  # the command's own outcome matters more
                announce(f"could not close MLflow run {self.run_id}: {err}")
        elif self.local_dir is not None:
            self._local["status"] = status
            self._local["ended_at"] = time.time()
            (self.local_dir / "run.json").write_text(json.dumps(self._local, indent=2, default=str))

    @property
    def artifact_uri(self) -> str:
        if self.client is not None:
            return str(self.client.get_run(self.run_id).info.artifact_uri)
        return self.local_dir.resolve().as_uri() if self.local_dir else ""

    def log_params(self, params: Mapping[str, Any]) -> None:
        clean = {k: str(v)[:6000] for k, v in params.items() if v is not None}
        if self.client is not None:
            from mlflow.entities import Param

            self.client.log_batch(self.run_id, params=[Param(k, v) for k, v in clean.items()])
        else:
            self._local["params"].update(clean)

    def log_metrics(self, metrics: Mapping[str, Any], step: int = 0) -> None:
        clean = _clean_metrics(metrics)
        if not clean:
            return
        if self.client is not None:
            from mlflow.entities import Metric

            now = int(time.time() * 1000)
            self.client.log_batch(self.run_id, metrics=[Metric(k, v, now, step) for k, v in clean.items()])
        else:
            self._local["metrics"].update(clean)

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        if self.client is not None:
            for key, value in tags.items():
                self.client.set_tag(self.run_id, key, str(value))
        else:
            self._local["tags"].update({k: str(v) for k, v in tags.items()})

    def log_artifact(self, path: Path, artifact_path: str | None = None) -> None:
        """A file or a whole directory (a bundle is logged as a directory)."""
        if self.client is not None:
            if path.is_dir():
                self.client.log_artifacts(self.run_id, str(path), artifact_path)
            else:
                self.client.log_artifact(self.run_id, str(path), artifact_path)
            return
        assert self.local_dir is not None
        target = self.local_dir / "artifacts" / (artifact_path or "")
        target.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            shutil.copytree(path, target / path.name, dirs_exist_ok=True)
        else:
            shutil.copy2(path, target / path.name)
        self._local["artifacts"].append(str(target / path.name))

    def log_dict(self, data: Any, name: str) -> None:
        if self.client is not None:
            self.client.log_dict(self.run_id, data, name)
        else:
            assert self.local_dir is not None
            (self.local_dir / name).write_text(json.dumps(data, indent=2, default=str))
