"""How the engine gets query vectors: through the embeddings service, or in-process.

The engine only needs :class:`QueryEmbedder`. The service uses :class:`ServiceQueryEmbedder`
(gRPC, under a short deadline, so a slow or dead embeddings service turns into degraded
mode instead of a slow answer). ``mlops evaluate`` ranks queries through the same engine
with :class:`InProcessQueryEmbedder` wrapping the embeddings backend directly, no gRPC.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import grpc
import numpy as np

from recipes.embeddings.v1 import embeddings_pb2
from services.embeddings.backends.base import EmbeddingBackend
from services.embeddings.client import EmbeddingsClient, decode
from services.recommender.metrics import QUERY_CACHE

log = logging.getLogger(__name__)


class EmbeddingUnavailable(Exception):
    """The embedder could not answer (down, too slow, or an error); the reason is metric-safe."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@runtime_checkable
class QueryEmbedder(Protocol):
    """Unit float32 vectors for queries (and, for Rerank, free-text candidates)."""

    @property
    def model(self) -> str:
        """Model name, compared with the bundle's to refuse mismatched vector spaces."""
        ...

    async def embed_query(self, text: str) -> np.ndarray:
        """One query -> (dims,) float32 unit vector. Raises EmbeddingUnavailable."""
        ...

    async def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Several documents -> (n, dims) float32 unit rows. Raises EmbeddingUnavailable."""
        ...


_CODE_REASONS = {
    grpc.StatusCode.DEADLINE_EXCEEDED: "embeddings_timeout",
    grpc.StatusCode.UNAVAILABLE: "embeddings_unavailable",
    grpc.StatusCode.RESOURCE_EXHAUSTED: "embeddings_overloaded",
}


class ServiceQueryEmbedder:
    """Calls the embeddings service with a per-call deadline, behind a small circuit breaker.

    After ``failure_threshold`` consecutive failures the breaker opens for ``cooldown``
    seconds: calls fail at once (degraded mode without paying the deadline on every
    request while embeddings hangs), then one call probes the service again.
    """

    def __init__(
        self,
        client: EmbeddingsClient,
        timeout: float = 0.3,
        model: str = "",
        *,
        failure_threshold: int = 3,
        cooldown: float = 2.0,
        cache_size: int = 10_000,
    ) -> None:
        self.client = client
        self.timeout = timeout
        self._model = model
        self.failure_threshold = failure_threshold
        self.cooldown = cooldown
        self._failures = 0
        self._open_until = 0.0
        # Popular queries repeat; a hit skips the embeddings hop (~4-6 ms) entirely. Entries are
        # float16 (1 KB at 512-d, so 10 MB when full, inside the RSS budget) and every answer,
        # hit or miss, goes through that rounding, so a repeated query ranks exactly as before.
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self.cache_size = cache_size

    @property
    def model(self) -> str:
        return self._model

    def set_model(self, model: str) -> None:
        """Record the model the service reports (Info), for the bundle-mismatch check."""
        self._model = model

    @property
    def circuit_open(self) -> bool:
        return time.monotonic() < self._open_until

    def _failed(self) -> None:
        self._failures += 1
        if self._failures >= self.failure_threshold:
            self._open_until = time.monotonic() + self.cooldown

    async def _embed(self, texts: Sequence[str], input_type: embeddings_pb2.InputType) -> np.ndarray:
        if self.circuit_open:
            raise EmbeddingUnavailable("embeddings_circuit_open")
        try:
            # wait_for_ready: a channel between reconnect attempts (the peer restarted, or
            # started after us) gets the whole deadline to connect instead of failing at once.
            response = await self.client.stub.Embed(
                embeddings_pb2.EmbedRequest(texts=list(texts), input_type=input_type),
                timeout=self.timeout,
                wait_for_ready=True,
            )
            vectors = np.stack([decode(e) for e in response.embeddings])
        except grpc.aio.AioRpcError as exc:
            self._failed()
            raise EmbeddingUnavailable(_CODE_REASONS.get(exc.code(), "embeddings_error"), exc.code().name) from exc
        except (TimeoutError, OSError) as exc:
            self._failed()
            raise EmbeddingUnavailable("embeddings_timeout", type(exc).__name__) from exc
        except Exception as exc:  # a bug or a malformed answer must not fail the call either
            self._failed()
            log.exception("query embedding failed unexpectedly")
            raise EmbeddingUnavailable("embeddings_error", type(exc).__name__) from exc
        self._failures = 0
        self._open_until = 0.0
        return vectors

    async def embed_query(self, text: str) -> np.ndarray:
        cached = self._cache.get(text)
        if cached is not None:
            self._cache.move_to_end(text)
            QUERY_CACHE.labels("hit").inc()
            return cached.astype(np.float32)
        QUERY_CACHE.labels("miss").inc()
        half = (await self._embed([text], embeddings_pb2.INPUT_TYPE_QUERY))[0].astype(np.float16)
        if self.cache_size:
            self._cache[text] = half
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return half.astype(np.float32)

    async def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return await self._embed(texts, embeddings_pb2.INPUT_TYPE_DOCUMENT)

    async def close(self) -> None:
        await self.client.close()


class InProcessQueryEmbedder:
    """Wraps a loaded embeddings backend (``create_backend(settings)`` + ``await load()``)."""

    def __init__(self, backend: EmbeddingBackend) -> None:
        self.backend = backend

    @property
    def model(self) -> str:
        return self.backend.model

    async def embed_query(self, text: str) -> np.ndarray:
        try:
            return np.asarray((await self.backend.embed([text], embeddings_pb2.INPUT_TYPE_QUERY))[0], dtype=np.float32)
        except Exception as exc:
            raise EmbeddingUnavailable("embeddings_error", type(exc).__name__) from exc

    async def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        try:
            return np.asarray(await self.backend.embed(list(texts), embeddings_pb2.INPUT_TYPE_DOCUMENT), np.float32)
        except Exception as exc:
            raise EmbeddingUnavailable("embeddings_error", type(exc).__name__) from exc
