"""The service embedder: deadline errors become degraded reasons, a cache, a circuit breaker."""

from __future__ import annotations

from typing import Any

import grpc
import numpy as np
import pytest

from recipes.embeddings.v1 import embeddings_pb2
from services.recommender.embedder import EmbeddingUnavailable, ServiceQueryEmbedder


class FakeError(grpc.aio.AioRpcError):
    def __init__(self, code: grpc.StatusCode) -> None:
        super().__init__(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details="fake")


class FakeStub:
    def __init__(self) -> None:
        self.calls = 0
        self.fail_with: grpc.StatusCode | None = None
        self.vector = np.ones(4, dtype=np.float32) / 2

    async def Embed(self, request: embeddings_pb2.EmbedRequest, **kwargs: Any) -> embeddings_pb2.EmbedResponse:
        self.calls += 1
        assert kwargs["wait_for_ready"] is True and kwargs["timeout"] == 0.3
        if self.fail_with is not None:
            raise FakeError(self.fail_with)
        return embeddings_pb2.EmbedResponse(
            embeddings=[embeddings_pb2.Embedding(values=self.vector) for _ in request.texts]
        )


class FakeClient:
    def __init__(self) -> None:
        self.stub = FakeStub()


def embedder(**kwargs: Any) -> tuple[ServiceQueryEmbedder, FakeStub]:
    client = FakeClient()
    return ServiceQueryEmbedder(client, timeout=0.3, **kwargs), client.stub  # type: ignore[arg-type]


async def test_query_vectors_are_cached() -> None:
    service, stub = embedder(cache_size=2)
    first = await service.embed_query("flan")
    assert (await service.embed_query("flan")).tolist() == first.tolist()
    assert stub.calls == 1
    await service.embed_query("churros")
    await service.embed_query("tarta")  # evicts "flan" (least recently used)
    await service.embed_query("flan")
    assert stub.calls == 4


async def test_cached_and_fresh_answers_are_identical_and_cached_as_float16() -> None:
    """The cache keeps 1 KB per query (float16); a miss is rounded the same way, so the first
    and the repeated call of a query rank identically."""
    service, stub = embedder(cache_size=10)
    stub.vector = np.array([0.1234567, -0.7654321, 0.3333333, 0.0001234], dtype=np.float32)
    first = await service.embed_query("flan")
    again = await service.embed_query("flan")
    assert first.dtype == again.dtype == np.float32
    assert first.tolist() == again.tolist()
    assert first.tolist() == stub.vector.astype(np.float16).astype(np.float32).tolist()
    assert service._cache["flan"].dtype == np.float16


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (grpc.StatusCode.DEADLINE_EXCEEDED, "embeddings_timeout"),
        (grpc.StatusCode.UNAVAILABLE, "embeddings_unavailable"),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, "embeddings_overloaded"),
        (grpc.StatusCode.INTERNAL, "embeddings_error"),
    ],
)
async def test_failures_become_reasons(code: grpc.StatusCode, reason: str) -> None:
    service, stub = embedder()
    stub.fail_with = code
    with pytest.raises(EmbeddingUnavailable) as info:
        await service.embed_query("flan")
    assert info.value.reason == reason


async def test_circuit_opens_after_repeated_failures_and_probes_again() -> None:
    service, stub = embedder(failure_threshold=2, cooldown=0.0)
    stub.fail_with = grpc.StatusCode.UNAVAILABLE
    for text in ("a", "b"):
        with pytest.raises(EmbeddingUnavailable):
            await service.embed_query(text)
    assert stub.calls == 2
    # Cooldown 0: the next call probes the service again, and success closes the circuit.
    stub.fail_with = None
    await service.embed_query("c")
    assert stub.calls == 3 and not service.circuit_open


async def test_open_circuit_answers_without_calling() -> None:
    service, stub = embedder(failure_threshold=1, cooldown=60.0)
    stub.fail_with = grpc.StatusCode.UNAVAILABLE
    with pytest.raises(EmbeddingUnavailable):
        await service.embed_query("a")
    with pytest.raises(EmbeddingUnavailable) as info:
        await service.embed_query("b")
    assert info.value.reason == "embeddings_circuit_open" and stub.calls == 1
