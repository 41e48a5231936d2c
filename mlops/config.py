"""Settings and artifact layout of the offline pipeline.

Settings come from the environment like every service's (same variable names: ``EMBEDDINGS_ADDR``,
``EMBEDDINGS_BACKEND``, ``LLM_ADDR``, ``MLFLOW_TRACKING_URI``), so one ``.env`` drives both.
Paths are resolved against the working directory, as the services resolve ``artifacts/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.config import (
    ARTIFACTS_DIR,
    DEFAULT_LLM_ADDR,
    DEFAULT_MLFLOW_TRACKING_URI,
    REGISTERED_MODEL_NAME,
)

BUNDLED_CATALOG_DIR = Path("data/catalog")
EVAL_QUERIES = Path("data/eval/queries.jsonl")
LLM_GOLDEN = Path("data/eval/llm_golden.jsonl")
EXPERIMENT_NAME = "recipe-recommender"


@dataclass(frozen=True)
class ArtifactPaths:
    """Where each command reads and writes, under one root so cleanup and backups see everything."""

    root: Path

    @property
    def catalog_dir(self) -> Path:
        return self.root / "catalog"

    @property
    def catalog(self) -> Path:
        return self.catalog_dir / "catalog.parquet"

    @property
    def interactions(self) -> Path:
        return self.catalog_dir / "interactions.parquet"

    @property
    def quality_report(self) -> Path:
        return self.catalog_dir / "quality.json"

    @property
    def bundles(self) -> Path:
        return self.root / "bundles"

    @property
    def embed_cache(self) -> Path:
        return self.root / "embed-cache"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def registry(self) -> Path:
        return self.root / "registry"

    @property
    def mlruns(self) -> Path:
        return self.root / "mlruns"

    @property
    def local_runs(self) -> Path:
        return self.root / "runs"

    @property
    def monitor(self) -> Path:
        return self.root / "monitor"


class MlopsSettings(BaseSettings):
    """Environment of the pipeline; every field is an env var of the same name, upper-cased."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    artifacts_dir: Path = Path(ARTIFACTS_DIR)
    # Empty: the services' default (DEFAULT_MLFLOW_TRACKING_URI), i.e. SQLite in the artifacts dir.
    mlflow_tracking_uri: str = ""
    # Empty: embed in-process with the same backend code the embeddings service runs.
    embeddings_addr: str = ""
    embeddings_backend: str = "use-multilingual"
    llm_addr: str = DEFAULT_LLM_ADDR
    registered_model_name: str = REGISTERED_MODEL_NAME
    mlflow_experiment: str = EXPERIMENT_NAME
    # Processes used for in-process USE embedding; 0 = one per core.
    build_workers: int = Field(0, ge=0, le=64)

    @property
    def paths(self) -> ArtifactPaths:
        return ArtifactPaths(self.artifacts_dir)

    @property
    def tracking_uri(self) -> str:
        """MLFLOW_TRACKING_URI, else SQLite inside the artifacts dir (the services' default when
        the artifacts dir is the default one)."""
        if self.mlflow_tracking_uri:
            return self.mlflow_tracking_uri
        if self.artifacts_dir == Path(ARTIFACTS_DIR):
            return DEFAULT_MLFLOW_TRACKING_URI
        return f"sqlite:///{(self.artifacts_dir / 'mlflow.db').resolve()}"


def load_mlops_settings(**overrides: object) -> MlopsSettings:
    """Settings from env; a bad value exits with the variable named (like the services)."""
    from services.common.config import load_settings

    return load_settings(MlopsSettings, **overrides)
