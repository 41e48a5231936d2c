"""Typed client for the embeddings service, used by the recommender and the mlops pipeline.

``embed`` is for online queries under a deadline; ``embed_bulk`` streams any number of texts
through EmbedStream, splitting them to the server's limits (asked once via Info).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence

import grpc
import numpy as np

from recipes.embeddings.v1 import embeddings_pb2, embeddings_pb2_grpc
from services.common.clients import create_channel

SERVICE = "recipes.embeddings.v1.EmbeddingsService"
IDEMPOTENT_METHODS = ("Embed", "Info")


def decode(embedding: embeddings_pb2.Embedding) -> np.ndarray:
    if embedding.float16:
        return np.frombuffer(embedding.float16, dtype="<f2").astype(np.float32)
    return np.asarray(embedding.values, dtype=np.float32)


class EmbeddingsClient:
    def __init__(self, address: str, *, channel: grpc.aio.Channel | None = None) -> None:
        self.address = address
        self.channel = channel or create_channel(address, SERVICE, IDEMPOTENT_METHODS)
        self.stub = embeddings_pb2_grpc.EmbeddingsServiceStub(self.channel)
        self._info: embeddings_pb2.InfoResponse | None = None

    async def close(self) -> None:
        await self.channel.close()

    async def info(self, timeout: float = 5.0) -> embeddings_pb2.InfoResponse:
        if self._info is None:
            self._info = await self.stub.Info(embeddings_pb2.InfoRequest(), timeout=timeout)
        return self._info

    async def embed(
        self,
        texts: Sequence[str],
        *,
        input_type: embeddings_pb2.InputType = embeddings_pb2.INPUT_TYPE_QUERY,
        timeout: float = 1.0,
    ) -> np.ndarray:
        """Vectors for a handful of texts, as a (n, dims) float32 array."""
        response = await self.stub.Embed(
            embeddings_pb2.EmbedRequest(texts=list(texts), input_type=input_type), timeout=timeout
        )
        return np.stack([decode(e) for e in response.embeddings])

    async def embed_bulk(
        self,
        texts: Sequence[str],
        *,
        input_type: embeddings_pb2.InputType = embeddings_pb2.INPUT_TYPE_DOCUMENT,
        batch_size: int | None = None,
        timeout: float | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Embed any number of texts over one EmbedStream, in server-sized batches.

        Texts longer than the server's per-text limit are truncated to it (with a warning
        left to the caller), because a document embedding of the first N characters is
        better than failing a whole build.
        """
        info = await self.info()
        size = min(batch_size or info.max_batch_size * 2, info.max_texts_per_request)
        limit = info.max_chars_per_text
        clipped = [t[:limit] if len(t) > limit else t for t in texts]
        batches = [clipped[i : i + size] for i in range(0, len(clipped), size)]
        out = np.empty((len(texts), info.dimensions), dtype=np.float32)

        async def requests() -> AsyncIterator[embeddings_pb2.EmbedStreamRequest]:
            for seq, batch in enumerate(batches):
                yield embeddings_pb2.EmbedStreamRequest(
                    sequence=seq,
                    texts=batch,
                    input_type=input_type,
                    encoding=embeddings_pb2.VECTOR_ENCODING_FLOAT16,
                )
                await asyncio.sleep(0)

        call = self.stub.EmbedStream(requests(), timeout=timeout)
        received = 0
        async for response in call:
            start = int(response.sequence) * size
            for offset, embedding in enumerate(response.embeddings):
                out[start + offset] = decode(embedding)
            received += len(response.embeddings)
            if progress:
                progress(len(response.embeddings))
        if received != len(texts):
            raise RuntimeError(f"EmbedStream returned {received} vectors for {len(texts)} texts")
        return out
