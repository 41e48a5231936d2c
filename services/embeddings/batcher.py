"""Micro-batcher: merges texts from concurrent requests into one backend call.

Batching is *natural* (as in continuous batching): a batch is formed when a backend slot is
free, from everything queued by then. An idle service therefore answers a lone query at once,
with no timer wait on the critical path, while under load the requests that arrive during a
backend call ride together in the next one. ``max_wait`` (default 0) optionally holds a batch
a little longer for company once a slot is free; a batch never exceeds ``max_batch_size``
texts. ``max_concurrent_batches`` backend calls run at once: 1 for CPU-bound models (more would
only fight over the cores), more for remote backends whose calls mostly wait on the network.
A failing batch fails exactly the requests that were in it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from prometheus_client import Histogram

from services.embeddings.backends.base import EmbeddingBackend

BATCH_SIZE = Histogram(
    "embedding_batch_size",
    "Texts per backend call after micro-batching.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
)
BACKEND_SECONDS = Histogram(
    "embedding_backend_seconds",
    "Time of one backend call.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


@dataclass
class _Pending:
    texts: Sequence[str]
    input_type: int
    future: asyncio.Future[np.ndarray] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class MicroBatcher:
    def __init__(
        self,
        backend: EmbeddingBackend,
        max_batch_size: int,
        max_wait_seconds: float,
        max_concurrent_batches: int = 1,
    ) -> None:
        self.backend = backend
        self._slots = asyncio.Semaphore(max_concurrent_batches)
        self._running: set[asyncio.Task[None]] = set()
        self.max_batch_size = max_batch_size
        self.max_wait = max_wait_seconds
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._carry: _Pending | None = None

    def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.create_task(self._run(), name="embedding-batcher")

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        for task in list(self._running):
            task.cancel()

    async def embed(self, texts: Sequence[str], input_type: int) -> np.ndarray:
        """Embed ``texts``; large inputs bypass batching and are chunked directly."""
        if len(texts) >= self.max_batch_size:
            parts = []
            for i in range(0, len(texts), self.max_batch_size):
                parts.append(await self._call(texts[i : i + self.max_batch_size], input_type))
            return np.concatenate(parts, axis=0)
        self.start()
        pending = _Pending(texts, input_type)
        await self._queue.put(pending)
        return await pending.future

    async def _call(self, texts: Sequence[str], input_type: int) -> np.ndarray:
        BATCH_SIZE.observe(len(texts))
        with BACKEND_SECONDS.time():
            return await self.backend.embed(texts, input_type)

    async def _collect(self, first: _Pending) -> list[_Pending]:
        batch, size = [first], len(first.texts)
        deadline = asyncio.get_running_loop().time() + self.max_wait
        while size < self.max_batch_size:
            timeout = deadline - asyncio.get_running_loop().time()
            try:
                item = self._queue.get_nowait() if timeout <= 0 else await asyncio.wait_for(self._queue.get(), timeout)
            except (asyncio.QueueEmpty, TimeoutError):
                break
            if size + len(item.texts) > self.max_batch_size:
                self._carry = item  # does not fit: it opens the next batch
                break
            batch.append(item)
            size += len(item.texts)
        return batch

    async def _run(self) -> None:
        while True:
            first, self._carry = self._carry or await self._queue.get(), None
            # Wait for a free slot *before* collecting: while every slot is busy, new requests
            # queue up, and all of them leave together as soon as one frees.
            await self._slots.acquire()
            try:
                batch = await self._collect(first)
            except BaseException:
                self._slots.release()
                raise
            by_type: dict[int, list[_Pending]] = {}
            for item in batch:
                by_type.setdefault(item.input_type, []).append(item)
            for i, group in enumerate(by_type.values()):
                if i:
                    await self._slots.acquire()
                task = asyncio.create_task(self._run_batch(group))
                self._running.add(task)
                task.add_done_callback(self._batch_done)

    def _batch_done(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._slots.release()

    async def _run_batch(self, group: list[_Pending]) -> None:
        live = [p for p in group if not p.future.done()]
        if not live:
            return
        texts = [t for p in live for t in p.texts]
        try:
            vectors = await self._call(texts, live[0].input_type)
        except Exception as exc:
            for p in live:
                if not p.future.done():
                    p.future.set_exception(exc)
            return
        offset = 0
        for p in live:
            n = len(p.texts)
            if not p.future.done():
                p.future.set_result(vectors[offset : offset + n])
            offset += n
