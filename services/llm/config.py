"""Settings of the llm service (env vars, see README)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from services.common.config import ARTIFACTS_DIR, DEFAULT_RECOMMENDER_ADDR, ServiceSettings

BackendName = Literal["local", "openai"]

DEFAULT_DATABASE_URL = f"sqlite:///{ARTIFACTS_DIR}/conversations.db"


class LlmSettings(ServiceSettings):
    service_name: ClassVar[str] = "llm"
    default_grpc_port: ClassVar[int] = 50053
    default_metrics_port: ClassVar[int] = 9103

    # -- backend ------------------------------------------------------------------------
    llm_backend: BackendName = "local"
    openai_base_url: str = Field("", description="Empty means the SDK default (api.openai.com).")
    openai_api_key: str = ""
    llm_model: str = "gpt-4o-mini"
    llm_temperature: float = Field(0.0, ge=0, le=2)
    llm_seed: int = Field(7, description="Sent with every request so runs are repeatable.")
    llm_max_output_tokens: int = Field(2048, ge=16, le=32_768)
    llm_prompt_version: str = Field("v1", pattern=r"^v[0-9]+$")
    llm_price_table: str = Field("", description="Path to a price table JSON; empty means the bundled one.")
    llm_resources_dir: str = Field("", description="Glossary/nutrition tables; empty means the bundled ones.")

    # -- recovery: retry, fallback, cooldown (three separate steps) ----------------------
    llm_deadline_seconds: float = Field(15.0, gt=0, le=300, description="Budget of one call, fallback included.")
    llm_attempt_timeout_seconds: float = Field(8.0, gt=0, le=300, description="One HTTP attempt.")
    llm_max_attempts: int = Field(2, ge=1, le=10, description="Attempts per backend for transient errors.")
    llm_fallback_reserve_seconds: float = Field(0.5, ge=0, le=30, description="Budget kept for the fallback.")
    llm_cooldown_failures: int = Field(2, ge=1, le=100, description="Consecutive failed calls before cooldown.")
    llm_cooldown_seconds: float = Field(30.0, ge=0, le=3600)

    # -- response cache ---------------------------------------------------------------
    redis_url: str = Field("", description="Empty keeps the cache in process memory.")
    llm_cache_size: int = Field(20_000, ge=0, description="In-memory entries; 0 disables the cache.")
    llm_cache_ttl_seconds: int = Field(7 * 24 * 3600, ge=1)

    # -- conversation store -------------------------------------------------------------
    database_url: str = DEFAULT_DATABASE_URL
    database_schema: str = Field("", pattern=r"^([A-Za-z_][A-Za-z0-9_]{0,62})?$", description="PostgreSQL only.")
    database_pool_size: int = Field(4, ge=1, le=64)
    database_connect_timeout_seconds: float = Field(3.0, gt=0, le=60)
    conversation_retention_days: float = Field(30.0, ge=0, description="0 keeps conversations forever.")

    # -- peers ------------------------------------------------------------------------
    recommender_addr: str = DEFAULT_RECOMMENDER_ADDR
    recommender_timeout_seconds: float = Field(2.0, gt=0, le=60)

    # -- limits (validated per request; INVALID_ARGUMENT names the field) ------------------
    max_text_chars: int = Field(4000, ge=16, le=100_000)
    max_texts_per_request: int = Field(256, ge=1, le=4096)
    max_recipes_per_request: int = Field(50, ge=1, le=500)
    max_question_chars: int = Field(1000, ge=16, le=20_000)
    max_message_chars: int = Field(4000, ge=16, le=100_000)
    max_meal_items: int = Field(50, ge=1, le=1000)
    chat_history_messages: int = Field(12, ge=0, le=200, description="Earlier messages given to the backend.")
    chat_recipes: int = Field(3, ge=1, le=10, description="Recipes a recommendation reply is grounded in.")

    @model_validator(mode="after")
    def _check_backend(self) -> LlmSettings:
        if self.llm_backend == "openai" and not (self.openai_api_key or self.openai_base_url):
            raise ValueError("LLM_BACKEND=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL for a keyless local server)")
        if not self.database_url.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("DATABASE_URL must start with sqlite:/// or postgresql://")
        return self
