"""GatewaySettings: env names, PORT, lists from CSV, and a readable exit on bad values."""

from __future__ import annotations

import pytest

from gateway.config import GatewaySettings
from services.common.config import load_settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PORT", "HTTP_PORT", "RECOMMENDER_ADDR", "LLM_ADDR", "GATEWAY_API_KEYS", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = GatewaySettings()
    assert settings.http_port == 8080
    assert settings.recommender_addr == "localhost:50052" and settings.llm_addr == "localhost:50053"
    assert settings.api_keys == () and settings.redacted_redis_url() == ""


def test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "9999")
    monkeypatch.setenv("HTTP_PORT", "8181")
    monkeypatch.setenv("GATEWAY_API_KEYS", " a , b,,")
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example,https://b.example")
    monkeypatch.setenv("RECOMMENDER_ADDR", "rec:1")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    settings = GatewaySettings()
    assert settings.http_port == 9999  # Cloud Run's PORT wins
    assert settings.api_keys == (b"a", b"b")
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert settings.recommender_addr == "rec:1"
    assert settings.redacted_redis_url() == "redis://cache:6379/0"


def test_bad_value_exits_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "-3")
    monkeypatch.setenv("GATEWAY_API_KEYS", "do-not-print-me")
    with pytest.raises(SystemExit) as info:
        load_settings(GatewaySettings)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "RATE_LIMIT_PER_MINUTE" in err and "do-not-print-me" not in err
