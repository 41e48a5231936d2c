"""Random access to single recipes and vectors by ``pread``, without mapping whole files.

Serving reads a few hundred vectors and a dozen recipes per call, at random rows. Reading them
through a memory map looks free, but every page fault maps its neighbourhood too (read-ahead
and fault-around: 8 MB read-ahead on this machine's disk), so after a few hundred calls the
whole 235 MB vector file and the 160 MB catalog count in the process's RSS. ``pread`` leaves
the data in the page cache, shared and reclaimable, and out of RSS: that is what keeps a
230k-recipe recommender within 400 MB.

* Recipes: ``recipes.jsonl`` (one compact JSON object per row) plus ``recipe_offsets.npy``
  (int64, N+1 byte offsets). One ``pread`` and one ``json.loads`` per recipe (~20 µs).
* Vectors: rows of the ``.npy`` file, one ``pread`` each after its header.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa

RECORDS = "recipes.jsonl"
OFFSETS = "recipe_offsets.npy"
NAMES = "names.txt"
NAMES_OFFSETS = "name_offsets.npy"


def write_records(table: pa.Table, directory: Path) -> list[str]:
    """Write ``table``'s rows as JSON lines plus their byte offsets; return the file names."""
    offsets = np.zeros(table.num_rows + 1, dtype=np.int64)
    position = 0
    row = 0
    with (directory / RECORDS).open("wb") as out:
        for batch in table.to_batches(max_chunksize=4096):
            for record in batch.to_pylist():
                line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str).encode() + b"\n"
                out.write(line)
                position += len(line)
                row += 1
                offsets[row] = position
    np.save(directory / OFFSETS, offsets)
    return [RECORDS, OFFSETS]


def write_names(table: pa.Table, directory: Path) -> list[str]:
    """Write the recipe names (UTF-8, concatenated) and their byte offsets; near-duplicate
    removal reads a few dozen names per call, without parsing whole recipes."""
    offsets = np.zeros(table.num_rows + 1, dtype=np.int64)
    position = 0
    row = 0
    with (directory / NAMES).open("wb") as out:
        for chunk in table.column("name").chunks:
            for name in chunk.to_pylist():
                data = (name or "").encode()
                out.write(data)
                position += len(data)
                row += 1
                offsets[row] = position
    np.save(directory / NAMES_OFFSETS, offsets)
    return [NAMES, NAMES_OFFSETS]


def npy_layout(path: Path) -> tuple[int, tuple[int, ...], np.dtype[Any]]:
    """(data offset, shape, dtype) of a C-ordered ``.npy`` file."""
    with path.open("rb") as f:
        handle: BinaryIO = f
        major, _ = np.lib.format.read_magic(handle)
        if major == 1:
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(handle)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(handle)
        if fortran:
            raise ValueError(f"{path} is Fortran-ordered")
        return f.tell(), tuple(shape), dtype


class RowReader:
    """pread access to a bundle's recipes (when it has a row store) and vectors."""

    def __init__(self, directory: Path, vectors_file: str) -> None:
        self._vectors_fd: int | None = None
        self._records_fd: int | None = None
        self._names_fd: int | None = None
        self._vectors_fd = os.open(directory / vectors_file, os.O_RDONLY)
        self._vectors_offset, shape, dtype = npy_layout(directory / vectors_file)
        if len(shape) != 2:
            raise ValueError(f"{vectors_file} is not a matrix")
        self.dims = int(shape[1])
        self._dtype = dtype
        self._row_bytes = self.dims * dtype.itemsize
        self._offsets: np.ndarray | None = None
        self._name_offsets: np.ndarray | None = None
        if (directory / RECORDS).exists() and (directory / OFFSETS).exists():
            self._offsets = np.load(directory / OFFSETS)
            self._records_fd = os.open(directory / RECORDS, os.O_RDONLY)
        if (directory / NAMES).exists() and (directory / NAMES_OFFSETS).exists():
            self._name_offsets = np.load(directory / NAMES_OFFSETS)
            self._names_fd = os.open(directory / NAMES, os.O_RDONLY)

    @property
    def has_records(self) -> bool:
        return self._records_fd is not None

    @property
    def num_records(self) -> int:
        return 0 if self._offsets is None else len(self._offsets) - 1

    @property
    def has_names(self) -> bool:
        return self._names_fd is not None

    @property
    def num_names(self) -> int:
        return 0 if self._name_offsets is None else len(self._name_offsets) - 1

    def names(self, rows: Iterable[int]) -> list[str]:
        if self._names_fd is None or self._name_offsets is None:
            raise RuntimeError("this bundle has no names file")
        out = []
        for row in rows:
            start, end = int(self._name_offsets[row]), int(self._name_offsets[row + 1])
            out.append(os.pread(self._names_fd, end - start, start).decode() if end > start else "")
        return out

    def records(self, rows: Iterable[int]) -> list[dict[str, Any]]:
        if self._records_fd is None or self._offsets is None:
            raise RuntimeError("this bundle has no row store")
        out = []
        for row in rows:
            start, end = int(self._offsets[row]), int(self._offsets[row + 1])
            out.append(json.loads(os.pread(self._records_fd, end - start, start)))
        return out

    def vectors(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """float32 rows, in the order given."""
        if self._vectors_fd is None:
            raise RuntimeError("row reader is closed")
        out = np.empty((len(rows), self.dims), dtype=np.float32)
        size = self._row_bytes
        for i, row in enumerate(np.asarray(rows, dtype=np.int64).tolist()):
            data = os.pread(self._vectors_fd, size, self._vectors_offset + row * size)
            out[i] = np.frombuffer(data, dtype=self._dtype)
        return out

    def close(self) -> None:
        """Close the files once (a second close must never hit a reused descriptor)."""
        fds = (self._vectors_fd, self._records_fd, self._names_fd)
        self._vectors_fd = self._records_fd = self._names_fd = None
        for fd in fds:
            if fd is not None:
                os.close(fd)

    def __del__(self) -> None:
        # Runs when the last engine using this bundle is gone (after a reload).
        if any(getattr(self, a, None) is not None for a in ("_vectors_fd", "_records_fd", "_names_fd")):
            self.close()
