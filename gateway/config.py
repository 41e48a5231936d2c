"""Settings of the REST gateway, read from the environment (see the README's gateway section).

The gateway is an HTTP process, not a gRPC one, so it does not reuse ``ServiceSettings`` (whose
``GRPC_PORT``/``METRICS_PORT`` would mean nothing here) but follows the same conventions: field
names are the upper-case env vars, Cloud Run's ``PORT`` wins, and a bad value exits at start
with the variable named (``services.common.config.load_settings``).

Secrets (API keys, a Redis URL that may carry a password) are ``SecretStr`` so that printing
or logging the settings never shows them.
"""

from __future__ import annotations

import os
from typing import Annotated, ClassVar, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from services.common.config import DEFAULT_LLM_ADDR, DEFAULT_RECOMMENDER_ADDR

LanguageCode = Literal["es", "en"]


def _split_csv(value: object) -> object:
    """``"a, b,,c"`` -> ``("a", "b", "c")``; lists pass through (for programmatic overrides)."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


class GatewaySettings(BaseSettings):
    """Everything the gateway process reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    service_name: ClassVar[str] = "gateway"
    default_http_port: ClassVar[int] = 8080

    host: str = Field("0.0.0.0", description="Interface the HTTP server binds to.")
    http_port: int = Field(0, ge=0, le=65535, description="HTTP port; 0 means 8080. PORT (Cloud Run) wins.")
    recommender_addr: str = DEFAULT_RECOMMENDER_ADDR
    llm_addr: str = DEFAULT_LLM_ADDR

    # Security. No keys configured means the API is open (local development).
    gateway_api_keys: Annotated[tuple[SecretStr, ...], NoDecode] = ()
    redis_url: SecretStr = SecretStr("")
    rate_limit_per_minute: int = Field(600, ge=0, description="Sustained requests per key or IP; 0 disables.")
    rate_limit_burst: int = Field(60, ge=1, description="Requests allowed at once before the rate applies.")
    rate_limit_prefix: str = "gateway:ratelimit:"
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    max_body_bytes: int = Field(64 * 1024, ge=1024, le=16 * 1024 * 1024)
    forwarded_allow_ips: str = Field("127.0.0.1", description="Proxies whose X-Forwarded-For is trusted.")

    # Per-call deadlines towards the services, in seconds.
    recommend_timeout_seconds: float = Field(2.0, gt=0, le=60)
    detect_language_timeout_seconds: float = Field(0.5, gt=0, le=30)
    translate_timeout_seconds: float = Field(5.0, gt=0, le=120)
    llm_timeout_seconds: float = Field(30.0, gt=0, le=300, description="Q&A and meal analysis.")
    chat_timeout_seconds: float = Field(120.0, gt=0, le=600, description="A whole streamed chat turn.")
    health_timeout_seconds: float = Field(1.0, gt=0, le=10)

    default_lang: LanguageCode = Field("es", description="Answer language when detection is impossible.")
    translation_cache_size: int = Field(4096, ge=0, description="Localised recipes kept in memory; 0 disables.")

    log_level: str = Field("INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$")
    log_format: str = Field("json", pattern=r"^(json|text)$")
    shutdown_grace_seconds: float = Field(10.0, ge=0, le=60)
    otel_exporter_otlp_endpoint: str = ""
    otel_service_name: str = "gateway"

    @field_validator("gateway_api_keys", "cors_origins", mode="before")
    @classmethod
    def _csv(cls, value: object) -> object:
        return _split_csv(value)

    @model_validator(mode="after")
    def _apply_defaults(self) -> GatewaySettings:
        cloud_run_port = os.environ.get("PORT")
        if cloud_run_port:
            self.http_port = int(cloud_run_port)
        elif self.http_port == 0:
            self.http_port = self.default_http_port
        return self

    @property
    def api_keys(self) -> tuple[bytes, ...]:
        """The configured keys as bytes, ready for a constant-time compare."""
        return tuple(k.get_secret_value().encode() for k in self.gateway_api_keys)

    def redacted_redis_url(self) -> str:
        """The Redis URL with any password replaced, safe for logs."""
        url = self.redis_url.get_secret_value()
        if not url:
            return ""
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))
