"""The EmbeddingsService servicer: validation, cache, micro-batching, wire encoding."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence

import grpc
import numpy as np

from recipes.embeddings.v1 import embeddings_pb2, embeddings_pb2_grpc
from services.common.errors import InvalidArgument, require
from services.embeddings.backends import EmbeddingBackend, create_backend
from services.embeddings.batcher import MicroBatcher
from services.embeddings.cache import VectorCache
from services.embeddings.config import EmbeddingsSettings

log = logging.getLogger(__name__)

SERVICE_NAME = embeddings_pb2.DESCRIPTOR.services_by_name["EmbeddingsService"].full_name
MAX_STREAM_BATCHES_IN_FLIGHT = 4


class EmbeddingsServicer(embeddings_pb2_grpc.EmbeddingsServiceServicer):
    """Answers Embed/EmbedStream/Info over a backend it is given (so tests can inject one)."""

    def __init__(self, backend: EmbeddingBackend, settings: EmbeddingsSettings) -> None:
        self.backend = backend
        self.settings = settings
        self.cache = VectorCache(settings.cache_size)
        self.batcher = MicroBatcher(
            backend, settings.max_batch_size, settings.batch_wait_ms / 1000, backend.max_concurrent_batches
        )

    # -- validation -------------------------------------------------------------------
    def validate(self, texts: Sequence[str], model: str, input_type: int) -> None:
        limits = self.settings
        require(len(texts) > 0, "texts", "must contain at least one text")
        require(
            len(texts) <= limits.max_texts_per_request,
            "texts",
            f"{len(texts)} texts exceed the limit of {limits.max_texts_per_request} per request "
            "(max_texts_per_request); split the job or use EmbedStream",
        )
        for i, text in enumerate(texts):
            require(bool(text.strip()), f"texts[{i}]", "must not be empty or blank")
            require(
                len(text) <= limits.max_chars_per_text,
                f"texts[{i}]",
                f"{len(text)} characters exceed the limit of {limits.max_chars_per_text} (max_chars_per_text)",
            )
        if model and model != self.backend.model:
            raise InvalidArgument("model", f"unknown model {model!r}; this service serves {self.backend.model!r}")
        if input_type not in embeddings_pb2.InputType.values():
            raise InvalidArgument("input_type", f"unknown value {input_type}")

    # -- core -------------------------------------------------------------------------
    async def embed_texts(self, texts: Sequence[str], input_type: int) -> tuple[np.ndarray, int]:
        """Vectors for ``texts`` (cached ones from the LRU) and how many were cached."""
        input_type = input_type or embeddings_pb2.INPUT_TYPE_QUERY
        model = self.backend.model
        out = np.empty((len(texts), self.backend.dimensions), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            vector = self.cache.get((model, input_type, text))
            if vector is None:
                missing.setdefault(text, []).append(i)
            else:
                out[i] = vector
        if missing:
            unique = list(missing)
            vectors = await self.batcher.embed(unique, input_type)
            for text, vector in zip(unique, vectors, strict=True):
                self.cache.put((model, input_type, text), vector)
                out[missing[text]] = vector
        cached = len(texts) - sum(len(v) for v in missing.values())
        return out, cached

    @staticmethod
    def encode(vectors: np.ndarray, encoding: int) -> list[embeddings_pb2.Embedding]:
        if encoding == embeddings_pb2.VECTOR_ENCODING_FLOAT16:
            halves = vectors.astype("<f2")
            return [embeddings_pb2.Embedding(float16=row.tobytes()) for row in halves]
        return [embeddings_pb2.Embedding(values=row) for row in vectors]

    # -- RPCs -------------------------------------------------------------------------
    async def Embed(
        self, request: embeddings_pb2.EmbedRequest, context: grpc.aio.ServicerContext
    ) -> embeddings_pb2.EmbedResponse:
        self.validate(request.texts, request.model, request.input_type)
        vectors, cached = await self.embed_texts(list(request.texts), request.input_type)
        return embeddings_pb2.EmbedResponse(
            embeddings=self.encode(vectors, request.encoding),
            model=self.backend.model,
            dimensions=self.backend.dimensions,
            cached_count=cached,
        )

    async def EmbedStream(
        self,
        request_iterator: AsyncIterator[embeddings_pb2.EmbedStreamRequest],
        context: grpc.aio.ServicerContext,
    ) -> AsyncIterator[embeddings_pb2.EmbedStreamResponse]:
        """Pipelines batches: up to a few are embedded while more requests are read."""
        pending: set[asyncio.Task[embeddings_pb2.EmbedStreamResponse]] = set()

        async def one(req: embeddings_pb2.EmbedStreamRequest) -> embeddings_pb2.EmbedStreamResponse:
            vectors, cached = await self.embed_texts(list(req.texts), req.input_type)
            return embeddings_pb2.EmbedStreamResponse(
                sequence=req.sequence,
                embeddings=self.encode(vectors, req.encoding),
                model=self.backend.model,
                dimensions=self.backend.dimensions,
                cached_count=cached,
            )

        try:
            async for req in request_iterator:
                self.validate(req.texts, req.model, req.input_type)
                pending.add(asyncio.create_task(one(req)))
                if len(pending) >= MAX_STREAM_BATCHES_IN_FLIGHT:
                    done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        yield task.result()
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    yield task.result()
        finally:
            for task in pending:
                task.cancel()

    async def Info(
        self, request: embeddings_pb2.InfoRequest, context: grpc.aio.ServicerContext
    ) -> embeddings_pb2.InfoResponse:
        return embeddings_pb2.InfoResponse(
            model=self.backend.model,
            backend=self.backend.name,
            dimensions=self.backend.dimensions,
            normalized=self.backend.normalized,
            max_texts_per_request=self.settings.max_texts_per_request,
            max_chars_per_text=self.settings.max_chars_per_text,
            max_batch_size=self.settings.max_batch_size,
            languages=list(self.backend.languages),
        )


class EmbeddingsService:
    """Lifecycle for the shared ServiceHost: register, load the model, close."""

    service_names = (SERVICE_NAME,)

    def __init__(self, settings: EmbeddingsSettings, backend: EmbeddingBackend | None = None) -> None:
        self.settings = settings
        self.backend = backend or create_backend(settings)
        self.servicer = EmbeddingsServicer(self.backend, settings)

    def register(self, server: grpc.aio.Server) -> None:
        embeddings_pb2_grpc.add_EmbeddingsServiceServicer_to_server(self.servicer, server)

    async def start(self) -> None:
        await self.backend.load()
        self.servicer.batcher.start()
        log.info(
            "embedding backend ready",
            extra={"backend": self.backend.name, "model": self.backend.model, "dimensions": self.backend.dimensions},
        )

    async def stop(self) -> None:
        await self.servicer.batcher.stop()
        await self.backend.close()
