"""Settings of the recommender service (env vars, see README)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from services.common.config import DEFAULT_EMBEDDINGS_ADDR, ServiceSettings

IndexBackendName = Literal["usearch", "exact", "qdrant"]


class RecommenderSettings(ServiceSettings):
    service_name: ClassVar[str] = "recommender"
    default_grpc_port: ClassVar[int] = 50052
    default_metrics_port: ClassVar[int] = 9102

    # A bundle directory, a directory of bundles (newest wins), models:/recipe-recommender@champion,
    # or empty for the newest bundle under artifacts/bundles.
    recommender_bundle: str = ""
    bundle_cache_dir: str = Field("artifacts/cache/bundles", description="where registry bundles are downloaded")
    bundle_verify: Literal["full", "sizes"] = Field(
        "full", description="full: sha256 of every file on load; sizes: sizes and shapes only (faster start)"
    )
    reload_poll_seconds: float = Field(
        30.0, ge=0, description="how often to re-resolve the bundle URI (alias moves, newer bundle); 0 disables"
    )

    embeddings_addr: str = DEFAULT_EMBEDDINGS_ADDR
    embed_timeout_ms: float = Field(300.0, gt=0, le=10_000, description="deadline of the query-embedding call")
    embed_breaker_failures: int = Field(3, ge=1, description="consecutive failures that open the circuit")
    embed_breaker_cooldown_seconds: float = Field(2.0, ge=0, description="how long an open circuit skips embeddings")
    embed_cache_size: int = Field(10_000, ge=0, description="query vectors kept in memory; 0 disables")

    index_backend: IndexBackendName = "usearch"
    ann_expansion_search: int = Field(0, ge=0, le=4096, description="HNSW ef at query time; 0 keeps the bundle's")
    qdrant_url: str = Field("", description="http(s)://host:6333 for a server; a path or :memory: for local mode")
    qdrant_api_key: str = ""

    lexical_weight: float = Field(0.2, ge=0, le=1, description="share of the lexical score in relevance")
    pantry_weight: float = Field(0.5, ge=0, le=1, description="share of pantry coverage in pantry mode")
