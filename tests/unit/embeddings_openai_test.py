"""The OpenAI embeddings backend against the fake OpenAI-compatible server, via the real client."""

from __future__ import annotations

import numpy as np
import pytest

from services.common.errors import Unavailable
from services.embeddings.backends import create_backend
from services.embeddings.backends.base import QUERY
from services.embeddings.config import EmbeddingsSettings
from tests.support.fake_openai import FakeOpenAI, deterministic_vector


def backend_for(fake: FakeOpenAI, **overrides: object):
    values: dict[str, object] = {
        "embeddings_backend": "openai",
        "openai_base_url": fake.base_url,
        "openai_api_key": "sk-test",
        "embeddings_model": "text-embedding-3-small",
        "embeddings_dimensions": fake.dims,
        "openai_timeout_seconds": 1.0,
        **overrides,
    }
    settings = EmbeddingsSettings(**values)  # type: ignore[arg-type]
    return create_backend(settings)


async def test_vectors_come_back_in_input_order_and_normalised(fake_openai: FakeOpenAI) -> None:
    backend = backend_for(fake_openai)
    vectors = await backend.embed(["uno", "dos", "tres"], QUERY)
    await backend.close()
    assert vectors.shape == (3, 64)
    np.testing.assert_allclose(vectors[1], deterministic_vector("dos", 64), atol=1e-6)
    request = fake_openai.calls("/v1/embeddings")[0]
    assert request["body"]["model"] == "text-embedding-3-small"
    assert request["body"]["dimensions"] == 64
    assert request["headers"]["authorization"] == "Bearer sk-test"


async def test_large_inputs_are_split_into_batches(fake_openai: FakeOpenAI) -> None:
    backend = backend_for(fake_openai, openai_batch_size=10)
    vectors = await backend.embed([f"t{i}" for i in range(25)], QUERY)
    await backend.close()
    assert vectors.shape == (25, 64)
    assert sorted(len(c["body"]["input"]) for c in fake_openai.calls("/v1/embeddings")) == [5, 10, 10]
    np.testing.assert_allclose(vectors[24], deterministic_vector("t24", 64), atol=1e-6)


async def test_transient_errors_are_retried_by_one_loop(fake_openai: FakeOpenAI) -> None:
    fake_openai.inject("500", "429")
    backend = backend_for(fake_openai, openai_max_attempts=3)
    vectors = await backend.embed(["reintento"], QUERY)
    await backend.close()
    assert vectors.shape == (1, 64)
    assert len(fake_openai.calls("/v1/embeddings")) == 3  # no hidden SDK retries on top


async def test_exhausted_retries_and_timeouts_become_unavailable(fake_openai: FakeOpenAI) -> None:
    fake_openai.hang_seconds = 2.0
    fake_openai.inject("timeout", "500")
    backend = backend_for(fake_openai, openai_max_attempts=2)
    with pytest.raises(Unavailable, match="after 2 attempts"):
        await backend.embed(["nunca"], QUERY)
    await backend.close()


async def test_wrong_dimensions_are_reported_clearly(fake_openai: FakeOpenAI) -> None:
    backend = backend_for(fake_openai, embeddings_model="other-model", embeddings_dimensions=32)
    with pytest.raises(Unavailable, match="EMBEDDINGS_DIMENSIONS"):
        await backend.embed(["x"], QUERY)
    await backend.close()
