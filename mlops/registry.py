"""Model registry: MLflow's, or a local JSON registry when MLflow cannot be reached.

A registered version's ``source`` is where the bundle lives: in MLflow, the artifact URI of the
bundle logged by the registering run (so ``models:/recipe-recommender@champion`` resolves to a
self-contained copy, even after ``artifacts/bundles`` is cleaned); in the local registry, the
bundle directory itself. Version tags carry the bundle's content hash and evaluation metrics,
which ``retrain`` compares against the ``champion``.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from mlops.config import MlopsSettings
from mlops.tracking import Tracker, announce, mlflow_client

METRIC_TAG_PREFIX = "metric."


def metric_tag(metric: str) -> str:
    """MLflow tag names cannot hold "@": ``ndcg@10`` is stored as ``metric.ndcg_at_10``."""
    return METRIC_TAG_PREFIX + metric.replace("@", "_at_")


@dataclass
class ModelVersion:
    version: str
    source: str
    run_id: str | None = None
    aliases: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    created_at: float = 0.0

    @property
    def metrics(self) -> dict[str, float]:
        return {
            k.removeprefix(METRIC_TAG_PREFIX).replace("_at_", "@"): float(v)
            for k, v in self.tags.items()
            if k.startswith(METRIC_TAG_PREFIX)
        }

    @property
    def content_hash(self) -> str:
        return self.tags.get("content_hash", "")


class Registry(Protocol):
    backend: str
    name: str

    def register(self, bundle: Path, tracker: Tracker, tags: dict[str, str]) -> ModelVersion: ...

    def set_alias(self, alias: str, version: str) -> None: ...

    def by_alias(self, alias: str) -> ModelVersion | None: ...

    def versions(self) -> list[ModelVersion]: ...


class MlflowRegistry:
    backend = "mlflow"

    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.name = name

    def _ensure_model(self) -> None:
        from mlflow.exceptions import MlflowException

        try:
            self.client.get_registered_model(self.name)
        except MlflowException:
            self.client.create_registered_model(
                self.name, description="Recipe recommender bundles built by `python -m mlops build`."
            )

    def register(self, bundle: Path, tracker: Tracker, tags: dict[str, str]) -> ModelVersion:
        if tracker.backend != "mlflow":
            raise RuntimeError("registering in MLflow needs an MLflow run to hold the bundle")
        tracker.log_artifact(bundle, "bundle")
        source = f"{tracker.artifact_uri}/bundle"
        self._ensure_model()
        mv = self.client.create_model_version(self.name, source, run_id=tracker.run_id, tags=tags)
        return self._convert(mv)

    def set_alias(self, alias: str, version: str) -> None:
        self.client.set_registered_model_alias(self.name, alias, version)

    def by_alias(self, alias: str) -> ModelVersion | None:
        from mlflow.exceptions import MlflowException

        try:
            return self._convert(self.client.get_model_version_by_alias(self.name, alias))
        except MlflowException:
            return None

    def versions(self) -> list[ModelVersion]:
        from mlflow.exceptions import MlflowException

        try:
            model = self.client.get_registered_model(self.name)
        except MlflowException:
            return []
        # search results do not carry aliases; the registered model does (alias -> version)
        aliases: dict[str, list[str]] = {}
        for alias, version in (model.aliases or {}).items():
            aliases.setdefault(str(version), []).append(alias)
        found = [self._convert(mv) for mv in self.client.search_model_versions(f"name = '{self.name}'")]
        for version in found:
            version.aliases = sorted(set(version.aliases) | set(aliases.get(version.version, [])))
        return sorted(found, key=lambda v: int(v.version))

    @staticmethod
    def _convert(mv: Any) -> ModelVersion:
        return ModelVersion(
            version=str(mv.version),
            source=mv.source,
            run_id=mv.run_id,
            aliases=list(mv.aliases or []),
            tags=dict(mv.tags or {}),
            created_at=(mv.creation_timestamp or 0) / 1000,
        )


class LocalRegistry:
    """``artifacts/registry/<name>.json``: versions point at bundle directories in place."""

    backend = "local"

    def __init__(self, root: Path, name: str) -> None:
        self.name = name
        self.path = root / f"{name}.json"
        root.mkdir(parents=True, exist_ok=True)

    def _read(self) -> dict[str, Any]:
        if self.path.exists():
            data: dict[str, Any] = json.loads(self.path.read_text())
            return data
        return {"name": self.name, "versions": [], "aliases": {}}

    def _write(self, data: dict[str, Any]) -> None:
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, indent=2))
        tmp.replace(self.path)

    def register(self, bundle: Path, tracker: Tracker, tags: dict[str, str]) -> ModelVersion:
        data = self._read()
        version = str(max((int(v["version"]) for v in data["versions"]), default=0) + 1)
        entry = ModelVersion(version, str(bundle.resolve()), tracker.run_id, [], tags, time.time())
        data["versions"].append({k: v for k, v in asdict(entry).items() if k != "aliases"})
        self._write(data)
        return entry

    def set_alias(self, alias: str, version: str) -> None:
        data = self._read()
        if not any(v["version"] == version for v in data["versions"]):
            raise KeyError(f"{self.name} has no version {version}")
        data["aliases"][alias] = version
        self._write(data)

    def versions(self) -> list[ModelVersion]:
        data = self._read()
        aliases: dict[str, list[str]] = {}
        for alias, version in data["aliases"].items():
            aliases.setdefault(version, []).append(alias)
        return [ModelVersion(**{**v, "aliases": aliases.get(v["version"], [])}) for v in data["versions"]]

    def by_alias(self, alias: str) -> ModelVersion | None:
        version = self._read()["aliases"].get(alias)
        return next((v for v in self.versions() if v.version == version), None)


def open_registry(settings: MlopsSettings) -> Registry:
    """MLflow's registry, or the local one with a clear warning when MLflow is unreachable."""
    try:
        return MlflowRegistry(mlflow_client(settings), settings.registered_model_name)
    except Exception as exc:
        local = LocalRegistry(settings.paths.registry, settings.registered_model_name)
        announce(
            f"MLflow registry at {settings.tracking_uri} is unreachable ({type(exc).__name__}: {exc}); "
            f"using the LOCAL registry {local.path} instead. Models registered there are not in MLflow."
        )
        return local
