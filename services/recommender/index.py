"""Vector index backends behind one interface: usearch HNSW (default), exact, Qdrant.

All backends answer ``search(query, k) -> (rows, cosines)`` over catalog *rows* (positions
in the bundle), best first. They never copy the float16 vectors into float32: the exact
backend scans the memory-mapped array with usearch's SIMD kernels, the HNSW index is opened
as a memory-mapped view, so resident memory stays within the 400 MB target at 230k recipes.

* ``usearch``: HNSW (calibrated int8 graph vectors, see :class:`HnswParams` for the
  parameters and why), opened as a memory-mapped view. Keys are recipe ids (row numbers in older bundles).
  Its cosines are approximate; the engine re-scores candidates with the float16 vectors.
* ``exact``: brute force, recall 1.0, ~60 ms per query at 230k on one core. The fallback,
  and the baseline the benchmark compares against.
* ``qdrant``: the predecessor's store. ``QDRANT_URL`` points at a server (production); the
  empty string or ``:memory:`` or a path uses qdrant-client's local mode (tests). The
  collection is named after the bundle version and uploaded when missing.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

log = logging.getLogger(__name__)

INDEX_BACKENDS = ("usearch", "exact", "qdrant")
ANN_FILE = "ann.usearch"


@dataclass(frozen=True)
class HnswParams:
    """HNSW parameters, chosen by measurement (230k USE vectors of synthetic recipes, 2 cores):

    * M=32 with ef_add=64 reaches the recall of M=16/ef_add=128 and builds in half the time
      (ef_add=128 measured no better once the vectors are calibrated, below);
    * int8 vectors in the graph: 173 MB instead of 270 MB (the graph is touched all over by
      searches, so its size is resident memory), because the engine re-scores the whole
      candidate pool with the float16 vectors anyway;
    * ``quantization="calibrated"``: usearch's own float-to-int8 cast multiplies by 127 and
      truncates, which leaves a 512-d unit vector (components ~±0.04) about five levels per
      standard deviation and made the top-10 order noisy (recall@10 0.88 at k=10). The
      build scales by ``127 / max|x|`` over the catalog instead (about 1100 for USE), rounds,
      and hands usearch int8 rows; queries get the same scale. Cosine is scale-invariant, so
      only the rounding error shrinks, ninefold;
    * ef_search=640: recall@10 0.984 at 230k over 500 queries (0.980 at 512, 0.976 at 384,
      0.97 at 256) for about 2.3 ms a query; 512 was too close to the 0.98 target.
    """

    connectivity: int = 32
    expansion_add: int = 64
    expansion_search: int = 640
    dtype: str = "i8"
    metric: str = "cos"
    quantization: str = "calibrated"

    def as_dict(self) -> dict[str, Any]:
        return {
            "connectivity": self.connectivity,
            "expansion_add": self.expansion_add,
            "expansion_search": self.expansion_search,
            "dtype": self.dtype,
            "metric": self.metric,
            "quantization": self.quantization,
        }


def calibrated_scale(vectors: np.ndarray, chunk: int = 65_536) -> float:
    """``127 / max|x|`` over ``vectors``: the int8 scale that uses the whole range without clipping."""
    peak = 0.0
    for start in range(0, len(vectors), chunk):
        block = np.asarray(vectors[start : start + chunk], dtype=np.float32)
        if block.size:
            peak = max(peak, float(np.abs(block).max()))
    return 127.0 / peak if peak > 0 else 127.0


def quantize(vectors: np.ndarray, scale: float) -> np.ndarray:
    """int8 rows ``round(x * scale)``, clipped to ±127 (a query may exceed the catalog's range)."""
    scaled = np.rint(np.asarray(vectors, dtype=np.float32) * np.float32(scale))
    return np.clip(scaled, -127, 127).astype(np.int8)


class VectorIndex(Protocol):
    """What the engine needs from a vector index."""

    name: str

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest rows to a unit ``query`` as (rows int64, cosine float32), best first."""
        ...

    @property
    def nbytes(self) -> int:
        """Bytes of index structures beyond the shared vectors file."""
        ...

    def close(self) -> None: ...


def _threads() -> int:
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class PreviousAnn:
    """A previous bundle's HNSW index, its keys (recipe ids) and float16 vectors, row-aligned."""

    path: Path
    keys: np.ndarray
    vectors: np.ndarray
    manifest_index: dict[str, Any]


# Incremental updates keep the previous graph; past these limits a full rebuild is cheaper
# or keeps the graph healthier (tombstones accumulate with every generation).
MAX_INCREMENTAL_CHURN = 0.2
MAX_INCREMENTAL_GENERATIONS = 8


def _add(
    index: Any,
    keys: np.ndarray,
    vectors: np.ndarray,
    progress: Callable[[int, int], None] | None,
    scale: float | None = None,
) -> None:
    n = len(keys)
    chunk = 16_384
    for start in range(0, n, chunk):
        end = min(n, start + chunk)
        block = np.ascontiguousarray(vectors[start:end], dtype=np.float32)
        if scale is not None:
            block = quantize(block, scale)
        index.add(np.ascontiguousarray(keys[start:end], dtype=np.uint64), block, threads=_threads())
        if progress:
            progress(end, n)


def _unchanged(keys: np.ndarray, halves: np.ndarray, previous: PreviousAnn) -> np.ndarray:
    """Boolean mask over the new rows: same key and bit-identical float16 vector as before."""
    prev_keys = np.asarray(previous.keys, dtype=np.int64)
    order = np.argsort(prev_keys, kind="stable")
    pos = np.searchsorted(prev_keys[order], keys)
    found = (pos < len(prev_keys)) & (prev_keys[order][np.minimum(pos, len(prev_keys) - 1)] == keys)
    same = np.zeros(len(keys), dtype=bool)
    rows = np.flatnonzero(found)
    prev_rows = order[pos[rows]]
    chunk = 32_768
    for start in range(0, len(rows), chunk):
        new_part = np.asarray(halves[rows[start : start + chunk]])
        old_part = np.asarray(previous.vectors[prev_rows[start : start + chunk]])
        same[rows[start : start + chunk]] = (new_part.view(np.uint16) == old_part.view(np.uint16)).all(axis=1)
    return same


def build_hnsw(
    vectors: np.ndarray,
    path: Path,
    params: HnswParams = HnswParams(),
    progress: Callable[[int, int], None] | None = None,
    *,
    keys: np.ndarray | None = None,
    previous: PreviousAnn | None = None,
) -> dict[str, Any]:
    """Build an HNSW index over ``vectors`` keyed by ``keys`` (default: row numbers), save it.

    With ``previous`` (same parameters and dimensions), the old graph is loaded and only the
    changed, added and removed recipes are updated, which is what keeps a weekly retrain
    with 1% changed recipes well under a minute at 230k. Returns what was done, for the
    manifest.
    """
    from usearch.index import Index

    n, dims = vectors.shape
    keys = np.arange(n, dtype=np.int64) if keys is None else np.asarray(keys, dtype=np.int64)
    calibrated = params.dtype == "i8" and params.quantization == "calibrated"
    info: dict[str, Any] = {"mode": "full", "generation": 0}
    if previous is not None and n:
        halves = vectors if vectors.dtype == np.float16 else vectors.astype(np.float16)
        same = _unchanged(keys, halves, previous)
        added = int((~same).sum())
        removed_keys = np.setdiff1d(np.asarray(previous.keys, dtype=np.int64), keys[same])
        generation = int(previous.manifest_index.get("generation", 0)) + 1
        churn = (added + len(removed_keys)) / max(n, 1)
        # ef at search time does not shape the graph: changing it must not force a rebuild.
        shaping = {k: v for k, v in params.as_dict().items() if k != "expansion_search"}
        compatible = all(previous.manifest_index.get(k) == v for k, v in shaping.items())
        compatible = compatible and previous.manifest_index.get("keys") == "recipe_id"
        # The graph's rows were quantized with the previous scale; new rows must share it.
        previous_scale = previous.manifest_index.get("i8_scale")
        compatible = compatible and (not calibrated or isinstance(previous_scale, int | float))
        if compatible and churn <= MAX_INCREMENTAL_CHURN and generation <= MAX_INCREMENTAL_GENERATIONS:
            index = Index.restore(str(previous.path))
            if index is not None and index.ndim == dims:
                scale = float(previous_scale) if calibrated and previous_scale is not None else None
                if len(removed_keys):
                    index.remove(removed_keys.astype(np.uint64))
                changed = np.flatnonzero(~same)
                _add(index, keys[changed], vectors[changed], progress, scale)
                index.save(str(path))
                out: dict[str, Any] = {
                    "mode": "incremental",
                    "generation": generation,
                    "added": added,
                    "removed": len(removed_keys),
                }
                if scale is not None:
                    out["i8_scale"] = scale
                return out
        info["reason_full"] = "incompatible" if not compatible else f"churn {churn:.2f} or generation {generation}"
    index = Index(
        ndim=dims,
        metric=params.metric,
        dtype=params.dtype,
        connectivity=params.connectivity,
        expansion_add=params.expansion_add,
        expansion_search=params.expansion_search,
    )
    scale = calibrated_scale(vectors) if calibrated else None
    if scale is not None:
        info["i8_scale"] = scale
    if n:
        _add(index, keys, vectors, progress, scale)
    index.save(str(path))
    return info


class UsearchIndex:
    """A saved HNSW index opened as a memory-mapped view (no load, no copy).

    Keys are recipe ids (bundles from now on) or row numbers (older bundles); ``ids`` (the
    bundle's row-ordered recipe ids) maps the former back to rows. ``scale`` is the build's
    calibrated int8 scale (manifest ``index.i8_scale``); queries are quantized with it.
    """

    name = "usearch"

    def __init__(
        self,
        path: Path,
        expansion_search: int | None = None,
        ids: np.ndarray | None = None,
        scale: float | None = None,
    ) -> None:
        from usearch.index import Index

        self.path = path
        self.scale = scale
        self._order: np.ndarray | None = None
        self._sorted_ids: np.ndarray | None = None
        if ids is not None:
            ids = np.asarray(ids, dtype=np.int64)
            self._order = np.argsort(ids, kind="stable")
            self._sorted_ids = ids[self._order]
        index = Index.restore(str(path), view=True)
        if index is None:
            raise ValueError(f"{path} is not a usearch index")
        self._index = index
        if expansion_search:
            self._index.expansion_search = expansion_search  # type: ignore[misc]  # setter exists
        self._size = int(os.path.getsize(path))

    def __len__(self) -> int:
        return len(self._index)

    @property
    def expansion_search(self) -> int:
        """The ef used by searches (a restored index forgets the build's; see open_index)."""
        return int(self._index.expansion_search)

    @property
    def ndim(self) -> int:
        return int(self._index.ndim)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = max(1, min(k, len(self._index)))
        probe = quantize(query, self.scale) if self.scale is not None else np.asarray(query, dtype=np.float32)
        matches = self._index.search(probe, k, threads=1)
        keys = np.asarray(matches.keys, dtype=np.int64)
        cosines = 1.0 - np.asarray(matches.distances, dtype=np.float32)
        if self._sorted_ids is None or self._order is None:
            return keys, cosines
        pos = np.minimum(np.searchsorted(self._sorted_ids, keys), len(self._sorted_ids) - 1)
        known = self._sorted_ids[pos] == keys
        return self._order[pos[known]].astype(np.int64), cosines[known]

    @property
    def nbytes(self) -> int:
        return self._size

    def close(self) -> None:
        self._index = None  # type: ignore[assignment]


class ExactIndex:
    """Brute-force inner product over the memory-mapped float16 vectors."""

    name = "exact"

    def __init__(self, vectors: np.ndarray, threads: int = 1) -> None:
        self.vectors = vectors
        self.threads = threads

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        from usearch.index import search

        n = len(self.vectors)
        if n == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        k = max(1, min(k, n))
        matches = search(
            self.vectors, np.asarray(query, dtype=self.vectors.dtype), k, "ip", exact=True, threads=self.threads
        )
        rows = np.asarray(matches.keys, dtype=np.int64)
        return rows, (1.0 - np.asarray(matches.distances, dtype=np.float32))

    @property
    def nbytes(self) -> int:
        return 0

    def close(self) -> None:
        pass


_qdrant_local_lock = threading.Lock()
_qdrant_local_clients: dict[str, Any] = {}


def _qdrant_client(url: str, api_key: str = "") -> Any:
    """A QdrantClient for a server URL, or a shared local-mode client for a path/``:memory:``.

    Local mode locks its storage directory, so one process shares one client per location.
    """
    from qdrant_client import QdrantClient

    if url.startswith(("http://", "https://")):
        return QdrantClient(url=url, api_key=api_key or None, timeout=10)
    location = url or ":memory:"
    with _qdrant_local_lock:
        client = _qdrant_local_clients.get(location)
        if client is None:
            client = QdrantClient(":memory:") if location == ":memory:" else QdrantClient(path=location)
            _qdrant_local_clients[location] = client
        return client


class QdrantIndex:
    """Qdrant collection ``recipes-<version>`` with point id = catalog row."""

    name = "qdrant"
    UPLOAD_BATCH = 1024

    def __init__(self, vectors: np.ndarray, version: str, url: str = "", api_key: str = "") -> None:
        from qdrant_client import models

        self.client = _qdrant_client(url, api_key)
        self.collection = f"recipes-{version}"
        self._models = models
        n, dims = vectors.shape
        if self.client.collection_exists(self.collection):
            count = self.client.count(self.collection, exact=True).count
            if count == n:
                log.info("qdrant collection present", extra={"collection": self.collection, "points": n})
                return
            self.client.delete_collection(self.collection)
        self.client.create_collection(
            self.collection,
            vectors_config=models.VectorParams(size=dims, distance=models.Distance.COSINE, on_disk=True),
        )
        for start in range(0, n, self.UPLOAD_BATCH):
            end = min(n, start + self.UPLOAD_BATCH)
            self.client.upload_collection(
                self.collection,
                vectors=np.asarray(vectors[start:end], dtype=np.float32),
                ids=list(range(start, end)),
                wait=True,
            )
        log.info("qdrant collection uploaded", extra={"collection": self.collection, "points": n})

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        result = self.client.query_points(
            self.collection, query=np.asarray(query, dtype=np.float32).tolist(), limit=max(1, k), with_payload=False
        )
        points = result.points
        rows = np.fromiter((int(p.id) for p in points), dtype=np.int64, count=len(points))
        scores = np.fromiter((float(p.score) for p in points), dtype=np.float32, count=len(points))
        return rows, scores

    @property
    def nbytes(self) -> int:
        return 0

    def close(self) -> None:
        pass


def _manifest_index(bundle_dir: Path) -> dict[str, Any]:
    """The bundle manifest's ``index`` section ({} when unreadable)."""
    try:
        manifest = json.loads((bundle_dir / "manifest.json").read_text())
    except (OSError, ValueError):
        return {}
    section = manifest.get("index", {})
    return section if isinstance(section, dict) else {}


def open_index(
    backend: str,
    *,
    vectors: np.ndarray,
    bundle_dir: Path,
    version: str,
    qdrant_url: str = "",
    qdrant_api_key: str = "",
    expansion_search: int | None = None,
) -> VectorIndex:
    """Open the configured backend over a loaded bundle; usearch falls back to exact if absent."""
    if backend not in INDEX_BACKENDS:
        raise ValueError(f"unknown index backend {backend!r}; expected one of {', '.join(INDEX_BACKENDS)}")
    if backend == "usearch":
        path = bundle_dir / ANN_FILE
        if path.exists():
            section = _manifest_index(bundle_dir)
            ids = None
            # Older bundles keyed the graph by row number.
            if section.get("keys", "row") == "recipe_id":
                ids = np.load(bundle_dir / "features" / "ids.npy", mmap_mode="r")
            scale = section.get("i8_scale")
            # usearch does not save ef in the index file: without this, a restored index
            # searches with its default of 64, far below the recall the build was tuned for.
            ef = expansion_search or int(section.get("expansion_search") or 0) or None
            return UsearchIndex(path, ef, ids, float(scale) if scale is not None else None)
        log.warning("bundle has no HNSW index; using exact search", extra={"bundle": str(bundle_dir)})
        return ExactIndex(vectors)
    if backend == "qdrant":
        return QdrantIndex(vectors, version, qdrant_url, qdrant_api_key)
    return ExactIndex(vectors)
