"""Document embedders for ``build``: through the embeddings service, or in-process with the same
backend code the service runs (``services.embeddings.backends``).

In-process USE runs in worker *processes*, one BLAS thread each: its tokenizer is pure Python,
so threads would serialise on the GIL, while processes use both cores for tokenizing and for
the matrix work. The service path streams through ``EmbeddingsClient.embed_bulk``.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Protocol

import numpy as np

from services.common.config import load_settings
from services.embeddings.backends import EmbeddingBackend, create_backend
from services.embeddings.backends.base import DOCUMENT
from services.embeddings.config import EmbeddingsSettings

Progress = Callable[[int], None]
CHUNK = 256


class DocumentEmbedder(Protocol):
    """What ``build`` needs: a model name for the cache key, dims, and bulk document embedding."""

    model: str
    backend: str
    dimensions: int

    async def embed(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray: ...

    async def close(self) -> None: ...


class ServiceEmbedder:
    """Bulk embedding over gRPC (EmbedStream), for builds beside a running embeddings service.

    A gRPC aio channel belongs to the event loop that created it, and ``build`` runs separate
    short loops (model info first, embedding later), so each call opens and closes its own
    channel; that costs one connection per call, nothing per text.
    """

    def __init__(self, address: str) -> None:
        self.address = address
        self.model = ""
        self.backend = ""
        self.dimensions = 0

    def _client(self) -> Any:
        from services.embeddings.client import EmbeddingsClient

        return EmbeddingsClient(self.address)

    async def connect(self, timeout: float = 10.0) -> ServiceEmbedder:
        client = self._client()
        try:
            info = await client.info(timeout=timeout)
        finally:
            await client.close()
        self.model, self.backend, self.dimensions = info.model, info.backend, info.dimensions
        return self

    async def embed(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        client = self._client()
        try:
            vectors: np.ndarray = await client.embed_bulk(texts, progress=progress)
            return vectors
        finally:
            await client.close()

    async def close(self) -> None:
        """Nothing is held between calls."""


# --- in-process worker processes -------------------------------------------------------------
_worker_backend: Any = None


def embeddings_settings(backend: str, dimensions: int = 512, **overrides: Any) -> EmbeddingsSettings:
    """The embeddings service's settings (env included, e.g. OPENAI_API_KEY) with these overrides."""
    return load_settings(EmbeddingsSettings, embeddings_backend=backend, embeddings_dimensions=dimensions, **overrides)


def _init_worker(backend_name: str, dimensions: int) -> None:
    global _worker_backend
    _worker_backend = create_backend(embeddings_settings(backend_name, dimensions, threads=1))


def _encode_chunk(texts: list[str]) -> np.ndarray:
    return np.asarray(_worker_backend.encode_sync(texts), dtype=np.float32)


class InProcessEmbedder:
    """The service's backend code without the service: USE across worker processes, the hashing
    backend inline (it is fast), and the OpenAI backend through its own async batching."""

    def __init__(self, settings: EmbeddingsSettings, workers: int = 0) -> None:
        self.settings = settings
        self._backend: EmbeddingBackend = create_backend(settings)
        self.model = self._backend.model
        self.backend = self._backend.name
        self.dimensions = self._backend.dimensions
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    @property
    def uses_processes(self) -> bool:
        return self.backend == "use-multilingual" and self.workers > 1

    async def embed(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        if self.uses_processes:
            return await self._embed_in_processes(list(texts), progress)
        out = np.empty((len(texts), self.dimensions), dtype=np.float32)
        for start in range(0, len(texts), CHUNK):
            batch = texts[start : start + CHUNK]
            out[start : start + len(batch)] = await self._backend.embed(batch, DOCUMENT)
            if progress:
                progress(len(batch))
        return out

    async def _embed_in_processes(self, texts: list[str], progress: Progress | None) -> np.ndarray:
        if self._pool is None:
            # spawn, not fork: the parent may hold gRPC/MLflow threads that fork would copy mid-state
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(self.settings.embeddings_backend, self.settings.embeddings_dimensions),
            )
        loop = asyncio.get_running_loop()
        out = np.empty((len(texts), self.dimensions), dtype=np.float32)

        async def run(start: int) -> None:
            batch = texts[start : start + CHUNK]
            out[start : start + len(batch)] = await loop.run_in_executor(self._pool, _encode_chunk, batch)
            if progress:
                progress(len(batch))

        await asyncio.gather(*(run(s) for s in range(0, len(texts), CHUNK)))
        return out

    async def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        await self._backend.close()


async def create_embedder(
    embeddings_addr: str, backend: str, *, workers: int = 0, dimensions: int = 512
) -> DocumentEmbedder:
    """The service when an address is given, else the in-process backend."""
    if embeddings_addr:
        return await ServiceEmbedder(embeddings_addr).connect()
    return InProcessEmbedder(embeddings_settings(backend, dimensions), workers)
