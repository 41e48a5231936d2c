"""Settings of the embeddings service (env vars, see README)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from services.common.config import ServiceSettings

BackendName = Literal["use-multilingual", "openai", "hashing"]


class EmbeddingsSettings(ServiceSettings):
    service_name: ClassVar[str] = "embeddings"
    default_grpc_port: ClassVar[int] = 50051
    default_metrics_port: ClassVar[int] = 9101

    embeddings_backend: BackendName = "use-multilingual"
    # Model name for the openai backend (any OpenAI-compatible /v1/embeddings).
    embeddings_model: str = "text-embedding-3-small"
    embeddings_dimensions: int = Field(512, ge=8, le=8192, description="openai and hashing dims")
    openai_base_url: str = ""
    openai_api_key: str = ""
    openai_timeout_seconds: float = Field(10.0, gt=0)
    openai_max_attempts: int = Field(3, ge=1, le=10)
    openai_batch_size: int = Field(128, ge=1, le=2048)

    max_texts_per_request: int = Field(256, ge=1, le=4096)
    max_chars_per_text: int = Field(4096, ge=16, le=100_000)
    max_batch_size: int = Field(64, ge=1, le=1024, description="texts per backend call")
    batch_wait_ms: float = Field(
        0.0, ge=0, le=100, description="extra wait for company once the backend is free; 0 = natural batching"
    )
    cache_size: int = Field(50_000, ge=0, description="LRU entries; 0 disables the cache")
    threads: int = Field(0, ge=0, description="BLAS threads for local models; 0 = cpu count")
