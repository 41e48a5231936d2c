"""A persistent embedding cache keyed by the content hash of (model, text).

A retrain re-embeds only texts it has never seen with that model: a 1%-changed catalog costs
1% of a full embed. Storage is append-only segments of two ``.npy`` files (16-byte keys, float16
vectors), memory-mapped on read so a 230k-entry cache costs page cache, not heap. A segment is
visible once its keys file exists, and that file is renamed into place last, so a build killed
mid-write leaves no half segment. Vectors are stored as float16, the precision bundles use, so a
vector is identical whether it was just computed or read back.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

KEY_BYTES = 16
COMPACT_AFTER_SEGMENTS = 16


def content_key(model: str, text: str) -> bytes:
    return hashlib.blake2b(f"{model}\0{text}".encode(), digest_size=KEY_BYTES).digest()


@dataclass
class _Segment:
    keys: np.ndarray  # (n, 16) uint8
    vectors: np.ndarray  # (n, dims) float16, memory-mapped


class EmbeddingCache:
    """Cache for one embedding model; ``dims`` must match every stored segment."""

    def __init__(self, root: Path, model: str, dims: int) -> None:
        self.model = model
        self.dims = dims
        self.dir = root / re.sub(r"[^A-Za-z0-9_.-]+", "_", model)
        self.dir.mkdir(parents=True, exist_ok=True)
        meta = self.dir / "cache.json"
        if meta.exists():
            stored = json.loads(meta.read_text())
            if stored.get("dims") != dims or stored.get("model") != model:
                raise ValueError(f"embedding cache {self.dir} holds {stored}, not model={model} dims={dims}")
        else:
            meta.write_text(json.dumps({"model": model, "dims": dims}))
        self._segments: list[_Segment] = []
        self._index: dict[bytes, tuple[int, int]] = {}
        self._load()

    def __len__(self) -> int:
        return len(self._index)

    def _load(self) -> None:
        self._segments.clear()
        self._index.clear()
        for keys_path in sorted(self.dir.glob("*.keys.npy")):
            vectors_path = keys_path.with_name(keys_path.name.replace(".keys.npy", ".vecs.npy"))
            keys = np.load(keys_path)
            vectors = np.load(vectors_path, mmap_mode="r")
            if vectors.shape != (len(keys), self.dims):
                continue  # a foreign or damaged segment is ignored, not trusted
            seg = len(self._segments)
            self._segments.append(_Segment(keys, vectors))
            blob = keys.tobytes()
            for row in range(len(keys)):
                self._index[blob[row * KEY_BYTES : (row + 1) * KEY_BYTES]] = (seg, row)

    def key(self, text: str) -> bytes:
        return content_key(self.model, text)

    def missing(self, keys: list[bytes]) -> list[int]:
        """Positions of ``keys`` not in the cache."""
        return [i for i, k in enumerate(keys) if k not in self._index]

    def get(self, keys: list[bytes], dtype: type[np.floating] = np.float32) -> np.ndarray:
        """Vectors for keys that are all present (KeyError otherwise); float16 is what is stored,
        so asking for it halves the memory of a large read at no loss."""
        out = np.empty((len(keys), self.dims), dtype=dtype)
        by_segment: dict[int, tuple[list[int], list[int]]] = {}
        for pos, key in enumerate(keys):
            seg, row = self._index[key]
            positions, rows = by_segment.setdefault(seg, ([], []))
            positions.append(pos)
            rows.append(row)
        for seg, (positions, rows) in by_segment.items():
            order = np.argsort(rows)  # sequential reads from the memory map
            out[np.asarray(positions)[order]] = self._segments[seg].vectors[np.asarray(rows)[order]]
        return out

    def add(self, keys: list[bytes], vectors: np.ndarray) -> None:
        """Append one segment; keys already present are skipped."""
        fresh = [i for i, k in enumerate(keys) if k not in self._index]
        if not fresh:
            return
        key_array = np.frombuffer(b"".join(keys[i] for i in fresh), dtype=np.uint8).reshape(-1, KEY_BYTES)
        vec_array = np.asarray(vectors[fresh], dtype=np.float16)
        if vec_array.shape[1] != self.dims:
            raise ValueError(f"vectors have {vec_array.shape[1]} dims, cache expects {self.dims}")
        self._write_segment(key_array, vec_array)
        self._load()
        if len(self._segments) > COMPACT_AFTER_SEGMENTS:
            self.compact()

    def _write_segment(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        stem = f"{time.time_ns():020d}-{len(keys)}"
        vec_tmp = self.dir / f"{stem}.vecs.tmp.npy"
        key_tmp = self.dir / f"{stem}.keys.tmp.npy"
        np.save(vec_tmp, vectors)
        np.save(key_tmp, keys)
        vec_tmp.replace(self.dir / f"{stem}.vecs.npy")
        key_tmp.replace(self.dir / f"{stem}.keys.npy")

    def compact(self) -> None:
        """Merge every segment into one (bounded file count, one sequential file to map)."""
        self._load()  # merge exactly what is on disk
        old = sorted(self.dir.glob("*.keys.npy"))
        if len(old) <= 1:
            return
        keys = np.concatenate([s.keys for s in self._segments])
        vectors = np.concatenate([np.asarray(s.vectors) for s in self._segments])
        _, first = np.unique(keys, axis=0, return_index=True)
        first.sort()
        self._write_segment(keys[first], vectors[first])
        for path in old:
            path.unlink()
            path.with_name(path.name.replace(".keys.npy", ".vecs.npy")).unlink(missing_ok=True)
        self._load()
