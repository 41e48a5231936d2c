"""services/common: settings, JSON logs with trace ids, retry service config."""

from __future__ import annotations

import json
import logging

import pytest
from opentelemetry.sdk.trace import TracerProvider

from services.common.clients import retry_service_config
from services.common.config import load_settings
from services.common.logging import JsonFormatter
from services.embeddings.config import EmbeddingsSettings


def test_cloud_run_port_wins_and_defaults_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "8081")
    settings = load_settings(EmbeddingsSettings)
    assert settings.grpc_port == 8081
    assert settings.metrics_port == 9101
    monkeypatch.delenv("PORT")
    assert load_settings(EmbeddingsSettings).grpc_port == 50051


def test_bad_env_exits_with_the_variable_named(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("MAX_TEXTS_PER_REQUEST", "many")
    with pytest.raises(SystemExit) as exit_info:
        load_settings(EmbeddingsSettings)
    assert exit_info.value.code == 2
    assert "MAX_TEXTS_PER_REQUEST" in capsys.readouterr().err


def test_json_log_carries_trace_id_for_cloud_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo-project")
    formatter = JsonFormatter("embeddings")
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("world",), None)
        record.grpc_code = "OK"
        payload = json.loads(formatter.format(record))
    trace_id = format(span.get_span_context().trace_id, "032x")
    assert payload["message"] == "hello world"
    assert payload["trace_id"] == trace_id
    assert payload["logging.googleapis.com/trace"] == f"projects/demo-project/traces/{trace_id}"
    assert payload["grpc_code"] == "OK" and payload["severity"] == "INFO"


def test_retry_policy_only_covers_idempotent_methods() -> None:
    config = json.loads(retry_service_config("recipes.llm.v1.LlmService", ["Translate"]))
    names = config["methodConfig"][0]["name"]
    assert names == [{"service": "recipes.llm.v1.LlmService", "method": "Translate"}]
    assert config["methodConfig"][0]["retryPolicy"]["retryableStatusCodes"] == ["UNAVAILABLE", "RESOURCE_EXHAUSTED"]
    assert json.loads(retry_service_config("x", []))["methodConfig"] == []
