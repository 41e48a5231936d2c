"""The embeddings servicer in-process on grpc.aio: validation, vectors, cache, batching, encoding."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import grpc
import numpy as np
import pytest

from recipes.embeddings.v1 import embeddings_pb2, embeddings_pb2_grpc
from services.common.config import load_settings
from services.common.server import ServiceHost
from services.embeddings.backends.base import EmbeddingBackend
from services.embeddings.backends.hashing import HashingBackend
from services.embeddings.client import EmbeddingsClient
from services.embeddings.config import EmbeddingsSettings
from services.embeddings.service import EmbeddingsService


class CountingBackend(HashingBackend):
    """Hashing vectors, but records every backend call so batching can be observed."""

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__(dimensions=64)
        self.calls: list[int] = []
        self.delay = delay

    async def embed(self, texts: Sequence[str], input_type: int) -> np.ndarray:
        self.calls.append(len(texts))
        if self.delay:
            await asyncio.sleep(self.delay)
        return self.encode_sync(texts)


def settings(**overrides: object) -> EmbeddingsSettings:
    base = {
        "max_texts_per_request": 8,
        "max_chars_per_text": 100,
        "max_batch_size": 16,
        "batch_wait_ms": 20.0,
        "embeddings_backend": "hashing",
    }
    return load_settings(EmbeddingsSettings, **{**base, **overrides})


@pytest.fixture
async def served() -> AsyncIterator[tuple[embeddings_pb2_grpc.EmbeddingsServiceStub, CountingBackend, ServiceHost]]:
    backend = CountingBackend()
    conf = settings()
    host = ServiceHost(EmbeddingsService(conf, backend=backend), conf, access_log=False)
    port = await host.start("127.0.0.1:0")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield embeddings_pb2_grpc.EmbeddingsServiceStub(channel), backend, host
    await host.stop(0)


async def test_embed_returns_unit_vectors_of_model_dims(served) -> None:
    stub, _, _ = served
    response = await stub.Embed(embeddings_pb2.EmbedRequest(texts=["pollo asado", "roast chicken"]))
    assert response.dimensions == 64
    assert len(response.embeddings) == 2
    norms = [np.linalg.norm(np.asarray(e.values)) for e in response.embeddings]
    assert norms == pytest.approx([1.0, 1.0], abs=1e-5)


@pytest.mark.parametrize(
    ("texts", "fragment"),
    [
        ([], "at least one text"),
        (["t"] * 9, "9 texts exceed the limit of 8"),
        (["x" * 101], "101 characters exceed the limit of 100"),
        (["ok", "   "], "texts[1]: must not be empty"),
    ],
)
async def test_bad_input_is_invalid_argument_naming_the_limit(served, texts: list[str], fragment: str) -> None:
    stub, _, _ = served
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.Embed(embeddings_pb2.EmbedRequest(texts=texts))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert fragment in err.value.details()


async def test_unknown_model_is_rejected(served) -> None:
    stub, _, _ = served
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.Embed(embeddings_pb2.EmbedRequest(texts=["a"], model="gpt-9"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "model" in err.value.details()


async def test_cache_answers_repeated_texts_without_the_backend(served) -> None:
    stub, backend, _ = served
    first = await stub.Embed(embeddings_pb2.EmbedRequest(texts=["sopa de lentejas"]))
    calls_after_first = len(backend.calls)
    second = await stub.Embed(embeddings_pb2.EmbedRequest(texts=["sopa de lentejas"]))
    assert first.cached_count == 0 and second.cached_count == 1
    assert len(backend.calls) == calls_after_first
    assert list(first.embeddings[0].values) == list(second.embeddings[0].values)


async def test_cache_key_includes_input_type(served) -> None:
    stub, _, _ = served
    await stub.Embed(embeddings_pb2.EmbedRequest(texts=["flan"], input_type=embeddings_pb2.INPUT_TYPE_QUERY))
    again = await stub.Embed(embeddings_pb2.EmbedRequest(texts=["flan"], input_type=embeddings_pb2.INPUT_TYPE_DOCUMENT))
    assert again.cached_count == 0


async def test_concurrent_requests_are_merged_into_one_backend_call(served) -> None:
    """With a batch wait, requests that arrive within it share a call even on an instant model."""
    stub, backend, _ = served
    backend.calls.clear()
    texts = [f"receta número {i}" for i in range(10)]
    await asyncio.gather(*(stub.Embed(embeddings_pb2.EmbedRequest(texts=[t])) for t in texts))
    assert sum(backend.calls) == 10
    assert len(backend.calls) < 10, f"expected merged batches, got calls of sizes {backend.calls}"


class GatedBackend(CountingBackend):
    """Holds its first call until the test opens the gate: 'the model is busy' without timing."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    async def embed(self, texts: Sequence[str], input_type: int) -> np.ndarray:
        if not self.calls:
            self.calls.append(len(texts))
            await self.gate.wait()
            return self.encode_sync(texts)
        return await super().embed(texts, input_type)


async def _natural_batching_host(backend: CountingBackend) -> tuple[ServiceHost, EmbeddingsService, int]:
    conf = settings(batch_wait_ms=0.0)
    service = EmbeddingsService(conf, backend=backend)
    host = ServiceHost(service, conf, access_log=False)
    return host, service, await host.start("127.0.0.1:0")


async def test_idle_service_embeds_a_lone_query_without_waiting() -> None:
    """No batch wait: an idle model takes a lone request at once, never holding it for company."""
    backend = CountingBackend()
    host, _, port = await _natural_batching_host(backend)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = embeddings_pb2_grpc.EmbeddingsServiceStub(channel)
            for i in range(3):
                await stub.Embed(embeddings_pb2.EmbedRequest(texts=[f"sopa {i}"]))
    finally:
        await host.stop(0)
    assert backend.calls == [1, 1, 1]


async def test_requests_arriving_while_the_model_is_busy_share_its_next_call() -> None:
    """Natural batching: the first request runs alone; the nine that queue up behind the busy
    model leave together in one call as soon as it frees."""
    backend = GatedBackend()
    host, service, port = await _natural_batching_host(backend)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = embeddings_pb2_grpc.EmbeddingsServiceStub(channel)
            first = asyncio.ensure_future(stub.Embed(embeddings_pb2.EmbedRequest(texts=["primera"])))
            while not backend.calls:
                await asyncio.sleep(0.005)
            rest = [
                asyncio.ensure_future(stub.Embed(embeddings_pb2.EmbedRequest(texts=[f"receta {i}"]))) for i in range(9)
            ]
            # The batcher takes the next request off the queue and then waits for the busy slot.
            deadline = asyncio.get_running_loop().time() + 10
            while service.servicer.batcher._queue.qsize() < 8 and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.005)
            backend.gate.set()
            responses = await asyncio.gather(first, *rest)
    finally:
        await host.stop(0)
    assert backend.calls == [1, 9]
    assert all(len(r.embeddings) == 1 for r in responses)


async def test_float16_encoding_round_trips(served) -> None:
    stub, _, _ = served
    f32 = await stub.Embed(embeddings_pb2.EmbedRequest(texts=["ceviche"]))
    f16 = await stub.Embed(
        embeddings_pb2.EmbedRequest(texts=["ceviche"], encoding=embeddings_pb2.VECTOR_ENCODING_FLOAT16)
    )
    half = np.frombuffer(f16.embeddings[0].float16, dtype="<f2").astype(np.float32)
    assert half.shape == (64,)
    np.testing.assert_allclose(half, np.asarray(f32.embeddings[0].values), atol=1e-3)


async def test_info_reports_model_and_limits(served) -> None:
    stub, _, _ = served
    info = await stub.Info(embeddings_pb2.InfoRequest())
    assert (info.backend, info.dimensions, info.normalized) == ("hashing", 64, True)
    assert (info.max_texts_per_request, info.max_chars_per_text) == (8, 100)


async def test_embed_stream_answers_every_batch_by_sequence(served) -> None:
    stub, _, _ = served

    async def requests() -> AsyncIterator[embeddings_pb2.EmbedStreamRequest]:
        for seq in range(5):
            yield embeddings_pb2.EmbedStreamRequest(sequence=seq, texts=[f"a{seq}", f"b{seq}"])

    responses = [r async for r in stub.EmbedStream(requests())]
    assert sorted(r.sequence for r in responses) == [0, 1, 2, 3, 4]
    assert all(len(r.embeddings) == 2 for r in responses)


async def test_embed_stream_rejects_a_bad_batch(served) -> None:
    stub, _, _ = served

    async def requests() -> AsyncIterator[embeddings_pb2.EmbedStreamRequest]:
        yield embeddings_pb2.EmbedStreamRequest(sequence=0, texts=["fine"])
        yield embeddings_pb2.EmbedStreamRequest(sequence=1, texts=["t"] * 20)

    with pytest.raises(grpc.aio.AioRpcError) as err:
        _ = [r async for r in stub.EmbedStream(requests())]
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_client_bulk_splits_to_server_limits(served) -> None:
    _, _, host = served
    client = EmbeddingsClient(f"127.0.0.1:{host.port}")
    try:
        texts = [f"plato {i}" for i in range(50)] + ["z" * 300]  # one text over the per-text limit
        vectors = await client.embed_bulk(texts)
    finally:
        await client.close()
    assert vectors.shape == (51, 64)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-2)


async def test_backend_failure_is_unavailable_not_a_stack_trace() -> None:
    class Broken(EmbeddingBackend):
        name, model, dimensions = "broken", "broken", 8

        async def embed(self, texts: Sequence[str], input_type: int) -> np.ndarray:
            raise RuntimeError("secret internal detail")

    conf = settings()
    host = ServiceHost(EmbeddingsService(conf, backend=Broken()), conf, access_log=False)
    port = await host.start("127.0.0.1:0")
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = embeddings_pb2_grpc.EmbeddingsServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.Embed(embeddings_pb2.EmbedRequest(texts=["x"]))
    finally:
        await host.stop(0)
    assert err.value.code() == grpc.StatusCode.INTERNAL
    assert "secret" not in err.value.details() and "Traceback" not in err.value.details()
    assert "reference" in err.value.details()
