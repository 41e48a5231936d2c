"""The embeddings service as a real process: reflection, metrics, model quality, graceful shutdown."""

from __future__ import annotations

import asyncio
import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import grpc
import numpy as np
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from recipes.embeddings.v1 import embeddings_pb2, embeddings_pb2_grpc
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def embeddings_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """The default (use-multilingual) backend, exactly as `make run` starts it."""
    log = tmp_path_factory.mktemp("logs") / "embeddings.log"
    service = ServiceProcess("services.embeddings", env={"EMBEDDINGS_BACKEND": "use-multilingual"}, log_path=log)
    service.start().wait_serving(timeout=90)
    yield service
    assert service.terminate() == 0, service.log_tail()


def embed(address: str, texts: list[str]) -> np.ndarray:
    with grpc.insecure_channel(address) as channel:
        response = embeddings_pb2_grpc.EmbeddingsServiceStub(channel).Embed(
            embeddings_pb2.EmbedRequest(texts=texts), timeout=30
        )
    return np.array([e.values for e in response.embeddings], dtype=np.float32)


def test_reflection_lists_service_health_and_reflection(embeddings_service: ServiceProcess) -> None:
    with grpc.insecure_channel(embeddings_service.address) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        responses = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        names = {s.name for r in responses for s in r.list_services_response.service}
    assert {
        "recipes.embeddings.v1.EmbeddingsService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    } <= names


def test_default_model_is_multilingual_and_unit_norm(embeddings_service: ServiceProcess) -> None:
    query, salad, cookies = embed(
        embeddings_service.address,
        ["ensalada de pollo y palta", "grilled chicken and avocado salad", "chocolate chip cookies"],
    )
    assert query.shape == (512,)
    assert np.linalg.norm(query) == pytest.approx(1.0, abs=1e-4)
    assert float(query @ salad) > float(query @ cookies) + 0.2


def test_metrics_endpoint_has_per_method_counters_and_histograms(embeddings_service: ServiceProcess) -> None:
    embed(embeddings_service.address, ["caldo de gallina"])
    body = urllib.request.urlopen(f"http://127.0.0.1:{embeddings_service.metrics_port}/metrics").read().decode()
    assert re.search(r'grpc_server_handled_total\{.*grpc_code="OK",grpc_method="Embed".*\} [1-9]', body)
    assert 'grpc_server_handling_seconds_bucket{grpc_method="Embed"' in body
    assert "embedding_batch_size_bucket" in body
    assert 'embedding_cache_requests_total{result="miss"}' in body


def test_bad_configuration_fails_fast_with_the_variable_named(tmp_path: Path) -> None:
    service = ServiceProcess(
        "services.embeddings", env={"EMBEDDINGS_BACKEND": "word2vec"}, log_path=tmp_path / "bad.log"
    ).start()
    assert service.proc is not None
    assert service.proc.wait(30) == 2
    log = service.log_tail()
    assert "EMBEDDINGS_BACKEND" in log and "Traceback" not in log


async def test_sigterm_drains_fifty_in_flight_calls(tmp_path: Path) -> None:
    service = ServiceProcess(
        "tests.support.slow_embeddings", env={"SLOW_SECONDS": "2"}, log_path=tmp_path / "slow.log"
    ).start()
    service.wait_serving(timeout=60)
    async with grpc.aio.insecure_channel(service.address) as channel:
        stub = embeddings_pb2_grpc.EmbeddingsServiceStub(channel)
        health = health_pb2_grpc.HealthStub(channel)
        watch = health.Watch(health_pb2.HealthCheckRequest(service="recipes.embeddings.v1.EmbeddingsService"))
        assert (await watch.read()).status == health_pb2.HealthCheckResponse.SERVING
        calls = [
            asyncio.ensure_future(stub.Embed(embeddings_pb2.EmbedRequest(texts=[f"plato {i}"]), timeout=30))
            for i in range(50)
        ]
        await wait_for_in_flight(service.metrics_port, 50)
        assert service.proc is not None
        service.proc.send_signal(15)
        assert (await watch.read()).status == health_pb2.HealthCheckResponse.NOT_SERVING
        results = await asyncio.gather(*calls, return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    assert not failures, failures[:3]
    assert all(len(r.embeddings) == 1 for r in results)  # type: ignore[union-attr]
    assert service.proc.wait(30) == 0, service.log_tail()


async def wait_for_in_flight(metrics_port: int, expected: int, timeout: float = 10.0) -> None:
    """Poll the in-flight gauge until every call is inside the server."""
    deadline = time.monotonic() + timeout
    pattern = re.compile(r"^grpc_server_in_flight_requests\{[^}]*\} ([0-9.]+)$", re.M)
    while time.monotonic() < deadline:
        body = await asyncio.to_thread(
            lambda: urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics").read().decode()
        )
        match = pattern.search(body)
        if match and float(match.group(1)) >= expected:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"fewer than {expected} calls in flight after {timeout}s")
