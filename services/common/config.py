"""Typed settings read from the environment, failing fast with a readable message.

Every service subclasses :class:`ServiceSettings`. Field names map to upper-case env vars
(``grpc_port`` -> ``GRPC_PORT``); Cloud Run's ``PORT`` wins over ``GRPC_PORT`` when set.
"""

from __future__ import annotations

import os
import sys
from typing import Any, ClassVar, TypeVar

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_EMBEDDINGS_ADDR = "localhost:50051"
DEFAULT_RECOMMENDER_ADDR = "localhost:50052"
DEFAULT_LLM_ADDR = "localhost:50053"

MiB = 1024 * 1024

# Where bundles, the MLflow store and caches live by default (relative to the working dir).
ARTIFACTS_DIR = "artifacts"
# MLflow: a local SQLite store unless MLFLOW_TRACKING_URI says otherwise. Artifacts of
# experiments created by mlops go to artifacts/mlruns.
DEFAULT_MLFLOW_TRACKING_URI = "sqlite:///artifacts/mlflow.db"
REGISTERED_MODEL_NAME = "recipe-recommender"


class ServiceSettings(BaseSettings):
    """Settings shared by every gRPC service process."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    service_name: ClassVar[str] = "service"
    default_grpc_port: ClassVar[int] = 50050
    default_metrics_port: ClassVar[int] = 9100

    host: str = Field("0.0.0.0", description="Interface the gRPC server binds to.")
    grpc_port: int = Field(0, ge=0, le=65535, description="gRPC port; 0 means the service default.")
    metrics_port: int = Field(-1, ge=-1, le=65535, description="Prometheus port; -1 default, 0 disables.")
    log_level: str = Field("INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$")
    log_format: str = Field("json", pattern=r"^(json|text)$")
    max_message_bytes: int = Field(16 * MiB, ge=MiB, le=256 * MiB)
    shutdown_grace_seconds: float = Field(10.0, ge=0, le=60)
    max_concurrent_rpcs: int = Field(256, ge=1, description="In-flight limit; match Cloud Run concurrency.")
    otel_exporter_otlp_endpoint: str = ""
    otel_service_name: str = ""

    @model_validator(mode="after")
    def _apply_defaults(self) -> ServiceSettings:
        cloud_run_port = os.environ.get("PORT")
        if cloud_run_port:
            self.grpc_port = int(cloud_run_port)
        elif self.grpc_port == 0:
            self.grpc_port = self.default_grpc_port
        if self.metrics_port == -1:
            self.metrics_port = self.default_metrics_port
        if not self.otel_service_name:
            self.otel_service_name = self.service_name
        return self

    @property
    def listen_address(self) -> str:
        return f"{self.host}:{self.grpc_port}"


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def load_settings(cls: type[SettingsT], **overrides: Any) -> SettingsT:
    """Build settings or exit with one line per bad variable, never a traceback."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        lines = [f"invalid configuration for {cls.__name__}:"]
        for err in exc.errors():
            name = "_".join(str(p) for p in err["loc"]).upper() or "(settings)"
            lines.append(f"  {name}: {err['msg']} (got {err.get('input')!r})")
        print("\n".join(lines), file=sys.stderr)
        raise SystemExit(2) from None
