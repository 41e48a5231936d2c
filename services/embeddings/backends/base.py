"""The backend interface and the helpers every backend shares."""

from __future__ import annotations

import abc
from collections.abc import Sequence

import numpy as np

from recipes.embeddings.v1 import embeddings_pb2


class EmbeddingBackend(abc.ABC):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    name: str
    model: str
    dimensions: int
    normalized: bool = True
    # Backend calls the micro-batcher may run at once: 1 for local CPU-bound models.
    max_concurrent_batches: int = 1
    languages: Sequence[str] = ()

    async def load(self) -> None:  # noqa: B027 - optional hook
        """Load weights or check connectivity; the service is NOT_SERVING until it returns."""

    @abc.abstractmethod
    async def embed(self, texts: Sequence[str], input_type: int) -> np.ndarray:
        """Return an array of shape (len(texts), dimensions), dtype float32, unit rows."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release clients and threads."""


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    """Scale rows to unit length; all-zero rows stay zero instead of becoming NaN."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


QUERY = embeddings_pb2.INPUT_TYPE_QUERY
DOCUMENT = embeddings_pb2.INPUT_TYPE_DOCUMENT
