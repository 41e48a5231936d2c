"""An embeddings service whose backend takes SLOW_SECONDS per call, for shutdown tests.

Runs through the real bootstrap (``run_service``), so SIGTERM handling is the production path.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence

import numpy as np

from services.common.config import load_settings
from services.common.server import run_service
from services.embeddings.backends.hashing import HashingBackend
from services.embeddings.config import EmbeddingsSettings
from services.embeddings.service import EmbeddingsService


class SlowBackend(HashingBackend):
    max_concurrent_batches = 64  # sleeps, like a remote backend: batches overlap

    async def embed(self, texts: Sequence[str], input_type: int) -> np.ndarray:
        await asyncio.sleep(float(os.environ.get("SLOW_SECONDS", "2")))
        return self.encode_sync(texts)


if __name__ == "__main__":
    settings = load_settings(EmbeddingsSettings, max_batch_size=64, batch_wait_ms=5.0)
    raise SystemExit(run_service(EmbeddingsService(settings, backend=SlowBackend(64)), settings))
