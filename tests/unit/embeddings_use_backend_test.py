"""The offline USE backend: unit vectors, and BLAS threads that follow the batch size."""

from __future__ import annotations

import numpy as np
import pytest

from services.embeddings.backends.use_multilingual import UseMultilingualBackend


@pytest.fixture(scope="module")
def backend() -> UseMultilingualBackend:
    backend = UseMultilingualBackend(threads=2)
    backend._load_sync()
    return backend


def test_small_batches_run_on_one_blas_thread_and_large_ones_on_all(backend: UseMultilingualBackend) -> None:
    forward = backend._model._model
    backend.encode_sync(["ensalada de pollo y palta"])
    assert forward.threads == 1
    backend.encode_sync([f"receta {i}" for i in range(backend.SINGLE_THREAD_MAX_TEXTS + 1)])
    assert forward.threads == 2
    assert backend.threads_for(backend.SINGLE_THREAD_MAX_TEXTS) == 1


def test_thread_count_does_not_change_the_vectors(backend: UseMultilingualBackend) -> None:
    """The same text alone (one thread) and inside a large batch (two) embeds the same."""
    texts = ["chicken avocado salad", *[f"sopa número {i}" for i in range(7)]]
    alone = backend.encode_sync(texts[:1])[0]
    batched = backend.encode_sync(texts)[0]
    assert np.linalg.norm(alone) == pytest.approx(1.0, abs=1e-5)
    assert float(alone @ batched) == pytest.approx(1.0, abs=1e-5)
