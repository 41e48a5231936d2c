"""Embedding backends behind one interface, chosen by EMBEDDINGS_BACKEND."""

from __future__ import annotations

from services.embeddings.backends.base import EmbeddingBackend
from services.embeddings.config import EmbeddingsSettings


def create_backend(settings: EmbeddingsSettings) -> EmbeddingBackend:
    """Build the configured backend. Imports are local so each image needs only its own deps."""
    if settings.embeddings_backend == "use-multilingual":
        from services.embeddings.backends.use_multilingual import UseMultilingualBackend

        return UseMultilingualBackend(threads=settings.threads)
    if settings.embeddings_backend == "hashing":
        from services.embeddings.backends.hashing import HashingBackend

        return HashingBackend(dimensions=settings.embeddings_dimensions)
    from services.embeddings.backends.openai_backend import OpenAIBackend

    return OpenAIBackend(
        base_url=settings.openai_base_url or None,
        api_key=settings.openai_api_key,
        model=settings.embeddings_model,
        dimensions=settings.embeddings_dimensions,
        timeout_seconds=settings.openai_timeout_seconds,
        max_attempts=settings.openai_max_attempts,
        batch_size=settings.openai_batch_size,
    )


__all__ = ["EmbeddingBackend", "create_backend"]
