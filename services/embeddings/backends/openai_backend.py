"""Any OpenAI-compatible ``/v1/embeddings`` endpoint (OpenAI, vLLM, Ollama, llama.cpp...).

One retry loop with jittered backoff; the SDK's own retries are off so attempts are counted
once. Large inputs are split into batches sent concurrently (bounded).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence

import numpy as np
import openai

from services.common.errors import Unavailable
from services.embeddings.backends.base import EmbeddingBackend, l2_normalize

log = logging.getLogger(__name__)

TRANSIENT_ERRORS = (
    openai.APIConnectionError,  # includes APITimeoutError
    openai.RateLimitError,
    openai.InternalServerError,
)


class OpenAIBackend(EmbeddingBackend):
    name = "openai"
    normalized = True
    max_concurrent_batches = 4

    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: str,
        model: str,
        dimensions: int,
        timeout_seconds: float = 10.0,
        max_attempts: int = 3,
        batch_size: int = 128,
        max_concurrent_batches: int = 4,
    ) -> None:
        self.model = model
        self.dimensions = dimensions
        self.max_attempts = max_attempts
        self.batch_size = batch_size
        self._semaphore = asyncio.Semaphore(max_concurrent_batches)
        self._client = openai.AsyncOpenAI(
            base_url=base_url, api_key=api_key or "unset", timeout=timeout_seconds, max_retries=0
        )

    async def _call(self, batch: Sequence[str]) -> np.ndarray:
        extra = {"dimensions": self.dimensions} if self.model.startswith("text-embedding-3") else {}
        last_error: Exception | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                async with self._semaphore:
                    response = await self._client.embeddings.create(
                        model=self.model,
                        input=list(batch),
                        encoding_format="float",
                        **extra,  # type: ignore[arg-type]
                    )
                rows = sorted(response.data, key=lambda d: d.index)
                vectors = np.asarray([row.embedding for row in rows], dtype=np.float32)
                if vectors.shape != (len(batch), self.dimensions):
                    raise Unavailable(
                        f"embedding backend returned shape {vectors.shape}, expected "
                        f"({len(batch)}, {self.dimensions}); check EMBEDDINGS_DIMENSIONS"
                    )
                return l2_normalize(vectors)
            except TRANSIENT_ERRORS as exc:
                last_error = exc
                if attempt < self.max_attempts:
                    delay = min(2.0, 0.1 * 2 ** (attempt - 1)) * (0.5 + random.random())
                    log.warning("embedding call failed (%s); retry %d in %.2fs", type(exc).__name__, attempt, delay)
                    await asyncio.sleep(delay)
            except openai.APIStatusError as exc:
                raise Unavailable(f"embedding backend refused the request: HTTP {exc.status_code}") from exc
        raise Unavailable(
            f"embedding backend unavailable after {self.max_attempts} attempts: {type(last_error).__name__}"
        )

    async def embed(self, texts: Sequence[str], input_type: int) -> np.ndarray:
        batches = [texts[i : i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        parts = await asyncio.gather(*(self._call(b) for b in batches))
        return np.concatenate(parts, axis=0) if parts else np.zeros((0, self.dimensions), np.float32)

    async def close(self) -> None:
        await self._client.close()
