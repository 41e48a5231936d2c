"""LRU cache of vectors keyed by (model, input_type, text), with hit/miss metrics."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from prometheus_client import Counter, Gauge

CACHE_REQUESTS = Counter("embedding_cache_requests_total", "Embedding cache lookups by result.", ["result"])
CACHE_ENTRIES = Gauge("embedding_cache_entries", "Vectors held in the embedding cache.")

CacheKey = tuple[str, int, str]


class VectorCache:
    """A bounded LRU. Not thread-safe: used from the event loop only."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[CacheKey, np.ndarray] = OrderedDict()
        self._hits = CACHE_REQUESTS.labels("hit")
        self._misses = CACHE_REQUESTS.labels("miss")

    def get(self, key: CacheKey) -> np.ndarray | None:
        if not self.capacity:
            return None
        vector = self._items.get(key)
        if vector is None:
            self._misses.inc()
            return None
        self._items.move_to_end(key)
        self._hits.inc()
        return vector

    def put(self, key: CacheKey, vector: np.ndarray) -> None:
        if not self.capacity:
            return
        self._items[key] = vector
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
        CACHE_ENTRIES.set(len(self._items))

    def __len__(self) -> int:
        return len(self._items)
