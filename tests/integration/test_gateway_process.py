"""The gateway as a real process (uvicorn, uvloop, httptools) in front of fake services.

Checks what only a real server shows: SSE over the wire, W3C trace context reaching the
services, JSON access logs with request ids and no keys, and a graceful SIGTERM that lets an
in-flight request finish.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.gateway_fakes import FakeServices, fake_services
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.integration

KEY = "integration-key-3f9a"


@pytest.fixture(scope="module")
def fakes() -> Iterator[FakeServices]:
    with fake_services() as services:
        yield services


def start_gateway(fakes: FakeServices, log_path: Path, **env: str) -> ServiceProcess:
    gateway = ServiceProcess(
        "gateway",
        env={
            "RECOMMENDER_ADDR": fakes.recommender_addr,
            "LLM_ADDR": fakes.llm_addr,
            "GATEWAY_API_KEYS": KEY,
            "RATE_LIMIT_PER_MINUTE": "0",
            "REDIS_URL": "",
            "SHUTDOWN_GRACE_SECONDS": "10",
            **env,
        },
        log_path=log_path,
    )
    gateway.env["HTTP_PORT"] = str(gateway.port)
    gateway.start()
    wait_http(gateway)
    return gateway


def wait_http(gateway: ServiceProcess, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert gateway.proc is not None
        if gateway.proc.poll() is not None:
            raise RuntimeError(f"gateway exited with {gateway.proc.returncode}:\n{gateway.log_tail()}")
        try:
            if httpx.get(f"http://{gateway.address}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"gateway not answering after {timeout}s:\n{gateway.log_tail()}")


def log_lines(path: Path) -> list[dict[str, object]]:
    lines = []
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


@pytest.fixture(scope="module")
def gateway(fakes: FakeServices, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    process = start_gateway(fakes, tmp_path_factory.mktemp("gateway") / "gateway.log")
    yield process
    assert process.terminate() == 0, process.log_tail()


@pytest.fixture
def http(gateway: ServiceProcess, fakes: FakeServices) -> Iterator[httpx.Client]:
    fakes.reset()
    with httpx.Client(base_url=f"http://{gateway.address}", headers={"X-API-Key": KEY}, timeout=10) as client:
        yield client


def test_recommendations_and_compat_over_http(http: httpx.Client) -> None:
    response = http.post("/v1/recommendations", json={"query": "healthy breakfast", "lang": "es", "n": 2})
    assert response.status_code == 200 and response.json()["lang"] == "es"
    compat = http.post("/recommend", json={"query": "ensalada de pollo y palta"})
    assert compat.json()["recetas"][0]["nombre"] == "Ensalada de pollo y palta"
    assert "server" not in response.headers  # no version banner


def test_sse_streams_chunked_events_then_the_history_is_readable(http: httpx.Client) -> None:
    with http.stream("POST", "/v1/chat", json={"message": "hola"}, headers={"Accept": "text/event-stream"}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        assert "content-length" not in r.headers  # streamed, not buffered
        lines = [line for line in r.iter_lines() if line]
    events = [line.removeprefix("event: ") for line in lines if line.startswith("event: ")]
    assert events == ["delta", "delta", "delta", "done"]
    done = json.loads(lines[-1].removeprefix("data: "))
    assert done["reply"] == "Te sugiero la ensalada."
    history = http.get(f"/v1/conversations/{done['conversation_id']}")
    assert history.status_code == 200 and len(history.json()["messages"]) == 2


def test_a_client_leaving_an_sse_stream_cancels_the_upstream_call(http: httpx.Client, fakes: FakeServices) -> None:
    fakes.llm.chat_delay = 30.0  # the second chunk would take 30 s
    with http.stream("POST", "/v1/chat", json={"message": "hola"}, headers={"Accept": "text/event-stream"}) as r:
        first = next(line for line in r.iter_lines() if line.startswith("data: "))
        assert json.loads(first.removeprefix("data: "))["delta"] == "Te "
    for _ in range(100):  # bounded wait for the cancellation to reach the fake (not a timing assertion)
        if fakes.llm.chat_cancelled:
            break
        time.sleep(0.05)
    assert fakes.llm.chat_cancelled


def test_trace_context_reaches_the_services_and_the_logs(
    http: httpx.Client, fakes: FakeServices, gateway: ServiceProcess
) -> None:
    response = http.post(
        "/v1/recommendations", json={"query": "healthy breakfast"}, headers={"X-Request-ID": "trace-1"}
    )
    assert response.status_code == 200
    seen = [*fakes.recommender.metadata["Recommend"], *fakes.llm.metadata["DetectLanguage"]]
    trace_ids = {m["traceparent"].split("-")[1] for m in seen}
    assert len(seen) == 2 and len(trace_ids) == 1  # Recommend and DetectLanguage belong to one trace
    time.sleep(0.2)  # let the access log line reach the file
    access = [line for line in log_lines(Path(str(gateway.log_path))) if line.get("request_id") == "trace-1"]
    assert access and access[-1]["route"] == "/v1/recommendations" and access[-1]["status"] == 200
    assert access[-1]["trace_id"] in trace_ids


def test_logs_are_json_and_never_hold_the_key(http: httpx.Client, gateway: ServiceProcess) -> None:
    http.get("/v1/recipes/101")
    http.get("/v1/recipes/101", headers={"X-API-Key": KEY + "x"})
    httpx.get(f"http://{gateway.address}/v1/recipes/101", headers={"Authorization": f"Bearer {KEY}"})
    time.sleep(0.2)
    text = Path(str(gateway.log_path)).read_text()
    assert KEY not in text
    assert all(line.startswith("{") for line in text.splitlines() if line.strip())


def test_metrics_and_readiness_are_open(gateway: ServiceProcess, http: httpx.Client) -> None:
    http.post("/v1/recommendations", json={"query": "x", "lang": "es"})
    metrics = httpx.get(f"http://{gateway.address}/metrics").text
    assert 'api_latency_seconds_bucket{le="0.01",method="POST",route="/v1/recommendations",status="200"}' in metrics
    assert httpx.get(f"http://{gateway.address}/readyz").status_code == 200
    assert httpx.get(f"http://{gateway.address}/v1/recipes/101").status_code == 401


def test_sigterm_lets_the_in_flight_request_finish(fakes: FakeServices, tmp_path: Path) -> None:
    fakes.reset()
    process = start_gateway(fakes, tmp_path / "gateway.log")
    fakes.recommender.delay["Recommend"] = 1.0
    results: list[int] = []

    def call() -> None:
        response = httpx.post(
            f"http://{process.address}/v1/recommendations",
            json={"query": "slow soup", "lang": "en"},
            headers={"X-API-Key": KEY},
            timeout=10,
        )
        results.append(response.status_code)

    worker = threading.Thread(target=call)
    worker.start()
    while fakes.recommender.count("Recommend") == 0:  # the request is in flight
        time.sleep(0.01)
    assert process.proc is not None
    process.proc.send_signal(signal.SIGTERM)
    worker.join(15)
    assert results == [200]
    assert process.proc.wait(15) == 0, process.log_tail()
