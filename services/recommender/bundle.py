"""Model bundles: the versioned directory ``mlops build`` writes and the recommender serves.

Layout of ``<root>/<version>/`` (``version = YYYYMMDDTHHMMSS-<content_hash[:8]>``):

* ``manifest.json``: format, version, content hash, embedding model, sizes and sha256 of
  every file, index and popularity parameters;
* ``catalog.parquet``: the catalog (``catalog.CATALOG_SCHEMA``) plus ``bayesian_average`` and
  ``popularity``, the interchange copy for tools;
* ``catalog.arrow``: the same table as an uncompressed Arrow IPC file, memory-mapped (zero copy);
* ``vectors.f16.npy``: unit vectors, float16, row-aligned with the catalog (``np.load(mmap_mode="r")``);
* ``ann.usearch``: the HNSW index (``index_backend="usearch"``), opened as a memory-mapped view;
* ``lexical/*.npy``: the prebuilt inverted index (BM25), memory-mapped;
* ``features/*.npy``: ingredient keys, tags and minutes per recipe for filters and pantry mode.

Nothing is parsed or rebuilt at load time, which is what keeps a 230k-recipe recommender
SERVING within 2 s and under 400 MB RSS. A bundle is written to a temporary directory and
renamed into place, so a reader never sees half a bundle; a bundle whose files do not match
the manifest is refused with :class:`BundleError`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from services.common.config import ARTIFACTS_DIR, DEFAULT_MLFLOW_TRACKING_URI
from services.recommender.features import FEATURE_FILES, FEATURES_VERSION, CatalogFeatures
from services.recommender.index import ANN_FILE, INDEX_BACKENDS, HnswParams, PreviousAnn, build_hnsw
from services.recommender.lexical import LEXICAL_FILES, LexicalIndex, document_terms
from services.recommender.popularity import bayesian_average, fit_prior, normalise
from services.recommender.rowstore import RowReader, write_names, write_records

if TYPE_CHECKING:  # pyarrow is needed to write bundles, not to serve them (see Bundle.catalog)
    import pyarrow as pa

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
STAMP = ".verified.json"  # stat stamp of files whose checksums were verified (see _verify_checksums)
CATALOG_PARQUET = "catalog.parquet"
CATALOG_ARROW = "catalog.arrow"
VECTORS = "vectors.f16.npy"
LEXICAL_DIR = "lexical"
FEATURES_DIR = "features"
DEFAULT_BUNDLE_ROOT = Path(ARTIFACTS_DIR) / "bundles"
DEFAULT_CACHE_DIR = Path(ARTIFACTS_DIR) / "cache" / "bundles"
# Where `mlops version` registers models when MLflow is unreachable (mlops/registry.py).
DEFAULT_LOCAL_REGISTRY = Path(ARTIFACTS_DIR) / "registry"
MODELS_SCHEME = "models:/"
# MLflow error codes that mean the registry was reached and said no (an unknown alias is
# INVALID_PARAMETER_VALUE); an unreachable server is INTERNAL_ERROR, or not an MlflowException.
MLFLOW_ANSWERS = frozenset(
    {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "PERMISSION_DENIED", "UNAUTHENTICATED"}
)
UNIT_NORM_TOLERANCE = 1e-2

Progress = Callable[[str, int, int], None]


class BundleError(Exception):
    """A bundle that cannot be served: missing, malformed, or not matching its manifest."""


# -- writing -----------------------------------------------------------------------------------
def _catalog_with_popularity(catalog: pa.Table) -> tuple[pa.Table, dict[str, Any]]:
    import pyarrow as pa

    from services.recommender.catalog import CATALOG_SCHEMA

    table = catalog.select([f.name for f in CATALOG_SCHEMA]).cast(CATALOG_SCHEMA)
    prior = fit_prior(table.column("rating_average"), table.column("rating_count"))
    bayes = bayesian_average(table.column("rating_average"), table.column("rating_count"), prior)
    table = table.append_column("bayesian_average", pa.array(bayes, pa.float64()))
    table = table.append_column("popularity", pa.array(normalise(bayes), pa.float32()))
    return table, prior.as_dict()


def _check_vectors(vectors: np.ndarray, rows: int) -> np.ndarray:
    array = np.asarray(vectors)
    if array.ndim != 2 or array.shape[0] != rows:
        raise ValueError(f"vectors must have shape ({rows}, dims), got {array.shape}")
    if array.shape[1] < 1:
        raise ValueError("vectors must have at least one dimension")
    array = array.astype(np.float32, copy=False)
    if not np.isfinite(array).all():
        raise ValueError("vectors contain NaN or infinite values")
    norms = np.linalg.norm(array, axis=1)
    bad = np.flatnonzero(np.abs(norms - 1.0) > UNIT_NORM_TOLERANCE)
    if len(bad):
        raise ValueError(f"vectors must be unit rows; row {int(bad[0])} has norm {float(norms[bad[0]]):.4f}")
    return array


def content_hash(catalog: pa.Table, vectors_f16: np.ndarray) -> str:
    """sha256 of the catalog (Arrow IPC stream bytes) and the float16 vectors."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    digest = hashlib.sha256()
    sink = pa.BufferOutputStream()
    with ipc.new_stream(sink, catalog.schema) as writer:
        writer.write_table(catalog)
    digest.update(memoryview(sink.getvalue()))
    digest.update(np.ascontiguousarray(vectors_f16).view(np.uint8).data)
    return digest.hexdigest()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(8 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _file_table(directory: Path, names: list[str]) -> dict[str, dict[str, Any]]:
    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        hashes = list(pool.map(lambda n: _sha256_file(directory / n), names))
    return {n: {"bytes": (directory / n).stat().st_size, "sha256": h} for n, h in zip(names, hashes, strict=True)}


def _stat_key(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def _write_stamp(directory: Path, files: dict[str, dict[str, Any]]) -> None:
    """Record that these files, as they are on disk now, matched their checksums.

    Best effort: a read-only bundle simply gets re-hashed on every load.
    """
    stamp = {name: {"stat": _stat_key(directory / name), "sha256": meta["sha256"]} for name, meta in files.items()}
    with contextlib.suppress(OSError):
        (directory / STAMP).write_text(json.dumps(stamp))


def _verify_checksums(directory: Path, files: dict[str, dict[str, Any]]) -> None:
    """Compare each file's sha256 with the manifest, skipping files stamped as verified.

    A file is skipped only when the stamp holds its manifest checksum *and* its size,
    modification time and inode are unchanged since it was verified or written, which is how
    a restart avoids re-hashing ~1 GB at 230k recipes while a replaced or edited file is
    always re-hashed.
    """
    try:
        stamp: dict[str, Any] = json.loads((directory / STAMP).read_text())
    except (OSError, ValueError):
        stamp = {}
    pending = [
        name
        for name, meta in files.items()
        if not (
            isinstance(stamp.get(name), dict)
            and stamp[name].get("sha256") == meta["sha256"]
            and stamp[name].get("stat") == _stat_key(directory / name)
        )
    ]
    if not pending:
        return
    actual = _file_table(directory, pending)
    for name in pending:
        _require(
            actual[name]["sha256"] == files[name]["sha256"], directory, f"{name} does not match its sha256 checksum"
        )
    _write_stamp(directory, files)


def _python_columns(table: pa.Table) -> dict[str, list[Any]]:
    """The text columns as Python lists, converted once for the lexical index and features."""
    return {c: table.column(c).to_pylist() for c in ("name", "ingredients", "tags", "localized")}


def _lexical_documents(columns: dict[str, list[Any]]) -> Iterator[Counter[str]]:
    names, ingredients = columns["name"], columns["ingredients"]
    tags, localized = columns["tags"], columns["localized"]
    for row in range(len(names)):
        row_names = [names[row] or ""]
        lines = list(ingredients[row] or [])
        for loc in localized[row] or []:
            row_names.append(loc.get("name") or "")
            lines.extend(loc.get("ingredients") or [])
        yield document_terms(row_names, lines, tags[row] or [])


def _previous_ann(
    previous: Path | str | None, out_dir: Path, embedding: dict[str, Any], dims: int
) -> PreviousAnn | None:
    """The previous bundle's HNSW inputs when they can seed this build, else None."""
    if previous is None:
        return None
    path = latest_local_bundle(out_dir) if previous == "latest" else Path(previous)
    if path is None:
        return None
    try:
        manifest = json.loads((path / MANIFEST).read_text())
        index = manifest.get("index", {})
        if (
            manifest.get("format_version") != FORMAT_VERSION
            or index.get("backend") != "usearch"
            or int(manifest.get("dims", -1)) != dims
            or manifest.get("embedding", {}).get("model") != str(embedding.get("model", ""))
        ):
            return None
        # The two files an update reads must be intact, or the new bundle inherits the damage.
        for name in (ANN_FILE, VECTORS, f"{FEATURES_DIR}/ids.npy"):
            if _sha256_file(path / name) != manifest["files"][name]["sha256"]:
                log.warning("previous bundle is damaged; building the index from scratch", extra={"bundle": str(path)})
                return None
        return PreviousAnn(
            path=path / ANN_FILE,
            keys=np.load(path / FEATURES_DIR / "ids.npy"),
            vectors=np.load(path / VECTORS, mmap_mode="r"),
            manifest_index=index,
        )
    except (OSError, ValueError, KeyError):
        return None


def write_bundle(
    catalog: pa.Table,
    vectors: np.ndarray,
    out_dir: Path,
    *,
    embedding: dict[str, Any],
    source: dict[str, Any],
    index_backend: str = "usearch",
    progress: Progress | None = None,
    extra_manifest: dict[str, Any] | None = None,
    hnsw: HnswParams = HnswParams(),
    previous: Path | str | None = "latest",
) -> Path:
    """Compute popularity, build the ANN and lexical indexes, write ``out_dir/<version>/``.

    ``catalog`` follows ``CATALOG_SCHEMA`` and is row-aligned with ``vectors`` (float32 unit
    rows). ``embedding`` describes the model ({model, backend, dimensions}); ``source`` where
    the catalog came from. Returns the bundle directory. Writing the same content twice in
    the same second returns the existing bundle.

    ``previous`` is a bundle whose HNSW graph may be updated instead of rebuilt (same
    embedding model and index parameters, at most 20% of recipes changed): "latest" (the
    default) takes the newest bundle in ``out_dir``, None always rebuilds. A full HNSW build
    of 230k recipes takes minutes on 2 cores; updating 1% of it takes seconds.
    """
    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq

    from services.recommender.catalog import validate_catalog

    started = time.perf_counter()
    report: Progress = progress or (lambda step, done, total: None)
    if index_backend not in INDEX_BACKENDS:
        raise ValueError(f"index_backend must be one of {INDEX_BACKENDS}, got {index_backend!r}")
    validate_catalog(catalog)
    n = catalog.num_rows
    array = _check_vectors(vectors, n)
    ids = np.asarray(catalog.column("id").to_numpy(zero_copy_only=False))
    if len(np.unique(ids)) != n:
        raise ValueError("catalog ids must be unique")
    dims = int(array.shape[1])
    if int(embedding.get("dimensions", dims)) != dims:
        raise ValueError(f"embedding.dimensions={embedding.get('dimensions')} but vectors have {dims} columns")

    report("popularity", 0, 1)
    table, prior = _catalog_with_popularity(catalog)
    report("popularity", 1, 1)
    halves = array.astype(np.float16)
    digest = content_hash(table, halves)
    version = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{digest[:8]}"
    out_dir = Path(out_dir)
    final = out_dir / version
    if (final / MANIFEST).exists():
        return final
    tmp = out_dir / f".tmp-{version}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        pq.write_table(table, tmp / CATALOG_PARQUET, compression="zstd")
        with ipc.new_file(str(tmp / CATALOG_ARROW), table.schema) as writer:
            writer.write_table(table, max_chunksize=64 * 1024)
        np.save(tmp / VECTORS, halves)
        files = [CATALOG_PARQUET, CATALOG_ARROW, VECTORS, *write_records(table, tmp), *write_names(table, tmp)]

        index_manifest: dict[str, Any] = {"backend": index_backend}
        if index_backend == "usearch":
            t0 = time.perf_counter()
            keyed_by_id = bool(n) and int(ids.min()) >= 0
            built = build_hnsw(
                array,
                tmp / ANN_FILE,
                hnsw,
                lambda done, total: report("ann-index", done, total),
                keys=ids.astype(np.int64) if keyed_by_id else None,
                previous=_previous_ann(previous, out_dir, embedding, dims) if keyed_by_id else None,
            )
            index_manifest |= {
                "file": ANN_FILE,
                "keys": "recipe_id" if keyed_by_id else "row",
                **hnsw.as_dict(),
                **built,
                "build_seconds": round(time.perf_counter() - t0, 2),
            }
            files.append(ANN_FILE)

        report("lexical-index", 0, n)
        columns = _python_columns(table)
        lexical = LexicalIndex.build(_lexical_documents(columns), n, lambda done: report("lexical-index", done, n))
        files += [f"{LEXICAL_DIR}/{p.name}" for p in lexical.save(tmp / LEXICAL_DIR)]
        report("lexical-index", n, n)

        report("features", 0, n)
        features = CatalogFeatures.build(table, lambda done: report("features", done, n), columns)
        del columns
        files += [f"{FEATURES_DIR}/{p.name}" for p in features.save(tmp / FEATURES_DIR)]
        report("features", n, n)

        report("checksums", 0, len(files))
        manifest: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "version": version,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "content_hash": digest,
            "embedding": {
                "model": str(embedding.get("model", "")),
                "backend": str(embedding.get("backend", "")),
                "dimensions": dims,
                **{k: v for k, v in embedding.items() if k not in ("model", "backend", "dimensions")},
            },
            "num_recipes": n,
            "dims": dims,
            "vector_dtype": "float16",
            "index": index_manifest,
            "lexical": {"num_terms": len(lexical.vocab), "k1": 1.2, "b": 0.75, "avglen": lexical.avglen},
            "features_version": FEATURES_VERSION,
            "popularity": prior,
            "source": source,
            "files": _file_table(tmp, files),
            "build_seconds": round(time.perf_counter() - started, 2),
        }
        manifest |= extra_manifest or {}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str))
        report("checksums", len(files), len(files))
        if final.exists():  # a concurrent writer won with identical content
            shutil.rmtree(tmp)
        else:
            tmp.rename(final)
            _write_stamp(final, manifest["files"])  # we just hashed what we wrote
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("bundle written", extra={"bundle": str(final), "recipes": n, "seconds": manifest["build_seconds"]})
    return final


# -- reading -----------------------------------------------------------------------------------
@dataclass
class Bundle:
    """A loaded bundle. Arrays and the catalog are memory-mapped, never copied."""

    path: Path
    manifest: dict[str, Any]
    vectors: np.ndarray
    lexical: LexicalIndex
    features: CatalogFeatures
    popularity: np.ndarray
    bayesian: np.ndarray
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    uri: str = ""
    reader: RowReader | None = None

    def __post_init__(self) -> None:
        ids = np.asarray(self.features.ids)
        self._id_order = np.argsort(ids, kind="stable")
        self._sorted_ids = ids[self._id_order]
        self._catalog: Any = None
        self._batches: list[Any] = []
        self._batch_starts = np.zeros(1, dtype=np.int64)

    @property
    def catalog(self) -> pa.Table:
        """The catalog as a memory-mapped Arrow table, opened on first use.

        Serving never needs it (recipes, names and vectors are read with pread), so a
        recommender process does not even load pyarrow; tools and older bundles use it.
        """
        if self._catalog is None:
            self._catalog = _open_catalog(self.path)
            # Rows are fetched batch by batch: Table.take over several chunks would first
            # concatenate whole columns (a 1 s, 300 MB copy at 230k recipes).
            self._batches = self._catalog.to_batches()
            self._batch_starts = np.cumsum([0, *(b.num_rows for b in self._batches)])
        return self._catalog

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    @property
    def num_recipes(self) -> int:
        return int(self.manifest["num_recipes"])

    @property
    def dims(self) -> int:
        return int(self.manifest["dims"])

    @property
    def embedding_model(self) -> str:
        return str(self.manifest["embedding"].get("model", ""))

    @property
    def ids(self) -> np.ndarray:
        return self.features.ids

    def row_of(self, recipe_id: int) -> int | None:
        pos = int(np.searchsorted(self._sorted_ids, recipe_id))
        if pos < len(self._sorted_ids) and int(self._sorted_ids[pos]) == recipe_id:
            return int(self._id_order[pos])
        return None

    def recipe(self, row: int) -> dict[str, Any]:
        """One catalog row as a dict."""
        return self.recipes([row])[0]

    def _take(self, rows: Sequence[int] | np.ndarray, column: str | None = None) -> list[Any]:
        """Values of ``rows`` (whole rows as dicts, or one column), in the order given."""
        import pyarrow as pa

        self.catalog  # noqa: B018 - opens the table and its batches
        positions_of = np.asarray(rows, dtype=np.int64)
        out: list[Any] = [None] * len(positions_of)
        if not len(positions_of):
            return out
        which = np.searchsorted(self._batch_starts, positions_of, side="right") - 1
        for b in np.unique(which).tolist():
            positions = np.flatnonzero(which == b)
            batch = self._batches[b]
            source = batch if column is None else batch.column(column)
            local = pa.array(positions_of[positions] - int(self._batch_starts[b]), pa.int64())
            for p, value in zip(positions.tolist(), source.take(local).to_pylist(), strict=True):
                out[p] = value
        return out

    def recipes(self, rows: Sequence[int] | np.ndarray) -> list[dict[str, Any]]:
        """Several catalog rows as dicts, in the order given (pread from the row store when
        the bundle has one, else from the memory-mapped Arrow file)."""
        if self.reader is not None and self.reader.has_records:
            return self.reader.records(np.asarray(rows, dtype=np.int64).tolist())
        return [dict(r) for r in self._take(rows)]

    def names(self, rows: Sequence[int] | np.ndarray) -> list[str]:
        """The ``name`` of several rows, in the order given."""
        if self.reader is not None and self.reader.has_names:
            return self.reader.names(np.asarray(rows, dtype=np.int64).tolist())
        column = self.catalog.column("name")
        return [str(column[int(row)].as_py() or "") for row in np.asarray(rows, dtype=np.int64).tolist()]

    def vector(self, row: int) -> np.ndarray:
        return self.read_vectors([row])[0]

    def read_vectors(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """float32 vectors of ``rows`` in the order given, read without mapping the file."""
        if self.reader is not None:
            return self.reader.vectors(rows)
        positions = np.asarray(rows, dtype=np.int64)
        order = np.argsort(positions, kind="stable")
        out = np.empty((len(positions), self.dims), dtype=np.float32)
        out[order] = np.asarray(self.vectors[positions[order]], dtype=np.float32)
        return out

    def file_bytes(self, *names: str) -> int:
        files = self.manifest.get("files", {})
        return int(sum(int(files.get(n, {}).get("bytes", 0)) for n in names))


def _require(condition: bool, path: Path, message: str) -> None:
    if not condition:
        raise BundleError(f"bundle {path}: {message}")


def load_bundle(path: Path, *, verify_checksums: bool = True) -> Bundle:
    """Open a bundle directory, checking manifest, files, checksums and shapes.

    Raises :class:`BundleError` naming the bundle and the first problem found. With
    ``verify_checksums`` every file's sha256 is compared with the manifest (about 1 s per GB,
    in parallel), except files stamped as verified and unchanged since; without it only
    presence, sizes and shapes are checked.
    """
    path = Path(path)
    _require(path.is_dir(), path, "is not a directory")
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except FileNotFoundError:
        raise BundleError(f"bundle {path}: {MANIFEST} is missing") from None
    except (OSError, ValueError) as exc:
        raise BundleError(f"bundle {path}: {MANIFEST} is unreadable ({exc})") from None
    _require(isinstance(manifest, dict), path, "manifest is not a JSON object")
    for key in ("format_version", "version", "num_recipes", "dims", "files", "embedding"):
        _require(key in manifest, path, f"manifest lacks {key!r}")
    _require(
        manifest["format_version"] == FORMAT_VERSION,
        path,
        f"format_version {manifest['format_version']} is not supported (expected {FORMAT_VERSION})",
    )
    files: dict[str, dict[str, Any]] = manifest["files"]
    required = [CATALOG_ARROW, VECTORS, *(f"{LEXICAL_DIR}/{f}" for f in LEXICAL_FILES)]
    required += [f"{FEATURES_DIR}/{f}" for f in FEATURE_FILES]
    for name in required:
        _require(name in files, path, f"manifest does not list {name}")
    for name, meta in files.items():
        file = path / name
        _require(file.is_file(), path, f"{name} is missing")
        size = file.stat().st_size
        _require(size == int(meta["bytes"]), path, f"{name} has {size} bytes, manifest says {meta['bytes']}")
    if verify_checksums:
        _verify_checksums(path, files)

    n, dims = int(manifest["num_recipes"]), int(manifest["dims"])
    catalog = None
    try:
        vectors = np.asarray(np.load(path / VECTORS, mmap_mode="r"))  # a view of the map, not a copy
        lexical = LexicalIndex.load(path / LEXICAL_DIR)
        if int(manifest.get("features_version", 0)) == FEATURES_VERSION:
            features = CatalogFeatures.load(path / FEATURES_DIR)
        else:
            log.warning(
                "bundle features are from another matcher version; recomputing in memory",
                extra={"bundle": str(path), "features_version": manifest.get("features_version")},
            )
            catalog = _open_catalog(path)
            features = CatalogFeatures.build(catalog)
        reader = RowReader(path, VECTORS)
        if features.popularity is not None and features.bayesian is not None:
            popularity, bayesian = features.popularity, features.bayesian
        else:  # bundles written before popularity lived beside the features
            catalog = catalog if catalog is not None else _open_catalog(path)
            for column in ("popularity", "bayesian_average"):
                _require(column in catalog.column_names, path, f"catalog lacks column {column!r}")
            popularity = catalog.column("popularity").to_numpy()
            bayesian = catalog.column("bayesian_average").to_numpy()
    except BundleError:
        raise
    except Exception as exc:
        raise BundleError(f"bundle {path}: cannot open its files ({type(exc).__name__}: {exc})") from exc
    if catalog is not None:
        _require(catalog.num_rows == n, path, f"catalog has {catalog.num_rows} rows, manifest says {n}")
    _require(vectors.shape == (n, dims), path, f"vectors have shape {vectors.shape}, expected ({n}, {dims})")
    _require(vectors.dtype == np.float16, path, f"vectors are {vectors.dtype}, expected float16")
    _require(lexical.num_docs == n, path, f"lexical index covers {lexical.num_docs} recipes, expected {n}")
    _require(features.num_recipes == n, path, f"features cover {features.num_recipes} recipes, expected {n}")
    _require(len(popularity) == n, path, f"popularity covers {len(popularity)} recipes, expected {n}")
    if reader.has_records:
        _require(reader.num_records == n, path, f"row store has {reader.num_records} recipes, expected {n}")
    if reader.has_names:
        _require(reader.num_names == n, path, f"names cover {reader.num_names} recipes, expected {n}")
    return Bundle(path, manifest, vectors, lexical, features, popularity, bayesian, reader=reader)


def _open_catalog(path: Path) -> pa.Table:
    import pyarrow as pa
    import pyarrow.ipc as ipc

    return ipc.open_file(pa.memory_map(str(path / CATALOG_ARROW), "r")).read_all()


def latest_local_bundle(root: Path = DEFAULT_BUNDLE_ROOT) -> Path | None:
    """The newest complete bundle under ``root`` (versions sort by their timestamp prefix)."""
    root = Path(root)
    if not root.is_dir():
        return None
    candidates = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST).exists()]
    return max(candidates, key=lambda p: p.name) if candidates else None


# -- MLflow registry ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelVersionRef:
    """What an MLflow model URI currently points at."""

    name: str
    version: str
    source: str


def _parse_models_uri(uri: str) -> tuple[str, str | None, str | None]:
    """'models:/name@alias' -> (name, alias, None); 'models:/name/3' -> (name, None, '3')."""
    rest = uri[len(MODELS_SCHEME) :].strip("/")
    if "@" in rest:
        name, alias = rest.split("@", 1)
        if name and alias:
            return name, alias, None
    elif "/" in rest:
        name, version = rest.rsplit("/", 1)
        if name and version:
            return name, None, version
    raise BundleError(f"cannot parse model URI {uri!r}; expected models:/<name>@<alias> or models:/<name>/<version>")


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_MLFLOW_TRACKING_URI


def resolve_model_version(uri: str, *, local_registry: Path = DEFAULT_LOCAL_REGISTRY) -> ModelVersionRef:
    """Ask the MLflow registry which model version (and artifact source) ``uri`` names now.

    When MLflow cannot be reached, the local registry that ``mlops version`` falls back to
    (``artifacts/registry/<name>.json``) is consulted, with a warning, so a recommender beside
    an offline pipeline still starts. An MLflow that answers "no such alias" is authoritative.
    """
    name, alias, version = _parse_models_uri(uri)
    try:
        from mlflow.tracking import MlflowClient

        client = MlflowClient(tracking_uri=tracking_uri(), registry_uri=tracking_uri())
        mv = client.get_model_version_by_alias(name, alias) if alias else client.get_model_version(name, str(version))
    except BundleError:
        raise
    except Exception as exc:
        # MlflowException carries error_code; read it by name so a missing mlflow is handled too.
        answered = getattr(exc, "error_code", None) in MLFLOW_ANSWERS
        local = None if answered else _local_registry_version(local_registry, name, alias, version)
        if local is None:
            raise BundleError(f"MLflow registry at {tracking_uri()} cannot resolve {uri}: {exc}") from exc
        log.warning(
            "MLflow registry unreachable; resolved the model from the local registry",
            extra={"uri": uri, "version": local.version, "registry": str(local_registry), "error": type(exc).__name__},
        )
        return local
    if not mv.source:
        raise BundleError(f"{uri} (version {mv.version}) has no artifact source")
    return ModelVersionRef(name=name, version=str(mv.version), source=str(mv.source))


def _local_registry_version(root: Path, name: str, alias: str | None, version: str | None) -> ModelVersionRef | None:
    """The version ``alias`` (or ``version``) of ``name`` in a local registry file, if any."""
    try:
        data = json.loads((root / f"{name}.json").read_text())
        wanted = str(data.get("aliases", {}).get(alias, "")) if alias else str(version)
        for entry in data.get("versions", []):
            if wanted and str(entry.get("version")) == wanted and entry.get("source"):
                return ModelVersionRef(name=name, version=wanted, source=str(entry["source"]))
    except (OSError, ValueError, AttributeError):
        return None
    return None


def _find_bundle_dir(root: Path) -> Path | None:
    if (root / MANIFEST).exists():
        return root
    for manifest in sorted(root.rglob(MANIFEST)):
        return manifest.parent
    return None


def _local_path(source: str) -> Path | None:
    if source.startswith("file://"):
        return Path(source[len("file://") :])
    if "://" not in source and ":" not in source.split("/", 1)[0]:
        return Path(source)
    return None


def materialise_model_version(ref: ModelVersionRef, cache_dir: Path = DEFAULT_CACHE_DIR) -> Path:
    """A local directory holding the bundle of ``ref``: its source when local, else a download."""
    local = _local_path(ref.source)
    if local is not None and local.is_dir():
        found = _find_bundle_dir(local)
        if found is None:
            raise BundleError(f"model {ref.name} version {ref.version}: {local} holds no {MANIFEST}")
        return found
    target = Path(cache_dir) / ref.name / ref.version
    found = _find_bundle_dir(target) if target.is_dir() else None
    if found is not None:
        return found
    try:
        import mlflow.artifacts

        target.mkdir(parents=True, exist_ok=True)
        downloaded = Path(
            mlflow.artifacts.download_artifacts(
                artifact_uri=ref.source, dst_path=str(target), tracking_uri=tracking_uri()
            )
        )
    except Exception as exc:
        raise BundleError(f"cannot download {ref.source} for {ref.name} version {ref.version}: {exc}") from exc
    found = _find_bundle_dir(downloaded)
    if found is None:
        raise BundleError(f"artifacts of {ref.name} version {ref.version} hold no {MANIFEST}")
    return found


def resolve_bundle_uri(uri: str, *, cache_dir: Path = DEFAULT_CACHE_DIR) -> Path:
    """Turn ``RECOMMENDER_BUNDLE`` into a local bundle directory.

    Accepts a bundle directory, a directory of bundles (the newest is taken), a ``file://``
    URI, ``models:/<name>@<alias>`` or ``models:/<name>/<version>`` (MLflow registry at
    ``MLFLOW_TRACKING_URI``), or the empty string (the newest bundle under
    ``artifacts/bundles``).
    """
    if uri.startswith(MODELS_SCHEME):
        return materialise_model_version(resolve_model_version(uri), cache_dir)
    if not uri:
        latest = latest_local_bundle()
        if latest is None:
            raise BundleError(
                f"no bundle under {DEFAULT_BUNDLE_ROOT}; run `python -m mlops build` or set RECOMMENDER_BUNDLE"
            )
        return latest
    path = _local_path(uri)
    if path is None:
        raise BundleError(f"unsupported bundle URI {uri!r}; use a path or models:/<name>@<alias>")
    if (path / MANIFEST).exists():
        return path
    latest = latest_local_bundle(path)
    if latest is None:
        raise BundleError(f"{path} is neither a bundle nor a directory of bundles")
    return latest
