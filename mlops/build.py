"""``mlops build``: embed the catalog (through the cache), then hand catalog + vectors to the
recommender's ``write_bundle``, which computes popularity, the ANN and lexical indexes and the
manifest. The bundle format and the ranking belong to ``services.recommender``; this module only
feeds it.

A build whose inputs did not change (same catalog content, embedding model, document version and
index backend) reuses the existing bundle instead of writing an identical one, which is what lets
a second ``retrain`` with no change say so.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from mlops.config import MlopsSettings
from mlops.documents import DOCUMENT_VERSION, documents
from mlops.embed_cache import EmbeddingCache
from mlops.embedding import DocumentEmbedder, create_embedder
from mlops.tracking import Tracker, announce
from services.recommender.catalog import validate_catalog

log = logging.getLogger(__name__)


@dataclass
class BuildResult:
    bundle_dir: Path
    reused: bool
    fingerprint: str
    manifest: dict[str, Any]
    stats: dict[str, float] = field(default_factory=dict)


def table_hash(table: pa.Table) -> str:
    """Content hash of a table, independent of how its parquet file was encoded."""
    digest = hashlib.sha256()
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table.combine_chunks())
    digest.update(sink.getvalue().to_pybytes())
    return digest.hexdigest()


def peak_rss_mb() -> tuple[float, float]:
    """Peak RSS (MiB) of this process, and of the largest finished child (embedding workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return own / 1024, children / 1024


def _manifest(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((path / "manifest.json").read_text())
        return data
    except (OSError, ValueError):
        return {}


def find_bundle_by_fingerprint(bundles: Path, fingerprint: str) -> Path | None:
    if not bundles.is_dir():
        return None
    for candidate in sorted(bundles.iterdir(), reverse=True):
        manifest = _manifest(candidate)
        if manifest.get("build", {}).get("fingerprint") == fingerprint:
            return candidate
    return None


def embed_catalog(
    table: pa.Table, embedder: DocumentEmbedder, cache: EmbeddingCache, *, show_progress: bool = True
) -> tuple[np.ndarray, dict[str, float]]:
    """One unit vector per recipe: the normalised mean of its documents' vectors (one per language)."""
    started = time.perf_counter()
    owners: list[int] = []
    texts: list[str] = []
    for i, recipe in enumerate(table.select(["name", "ingredients", "tags", "cuisine", "localized"]).to_pylist()):
        for text in documents(recipe):
            owners.append(i)
            texts.append(text)
    unique = list(dict.fromkeys(texts))
    keys = [cache.key(t) for t in unique]
    missing = cache.missing(keys)
    stats = {
        "recipes": float(table.num_rows),
        "texts": float(len(texts)),
        "unique_texts": float(len(unique)),
        "cache_hits": float(len(unique) - len(missing)),
        "embedded": float(len(missing)),
        "documents_seconds": time.perf_counter() - started,
    }
    log.info(
        "%d recipes -> %d texts (%d unique); cache has %d, embedding %d",
        table.num_rows,
        len(texts),
        len(unique),
        len(unique) - len(missing),
        len(missing),
    )
    started = time.perf_counter()
    if missing:
        todo = [unique[i] for i in missing]
        with tqdm(total=len(todo), desc="embed", unit="text", disable=not show_progress, file=sys.stderr) as bar:
            vectors = asyncio.run(_embed(embedder, todo, bar.update))
        cache.add([keys[i] for i in missing], vectors)
    stats["embed_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    vectors = _recipe_vectors(cache.get(keys, np.float16), _positions(unique, texts), owners)
    stats["assemble_seconds"] = time.perf_counter() - started
    return vectors, stats


def _positions(unique: list[str], texts: list[str]) -> list[int]:
    index = {t: i for i, t in enumerate(unique)}
    return [index[t] for t in texts]


def _recipe_vectors(unique_vectors: np.ndarray, doc_positions: list[int], owners: list[int]) -> np.ndarray:
    """Per recipe, the normalised sum of its documents' vectors, built in one float32 array
    (at 230k x 512 every extra float32 copy is ~470 MB). Every recipe has at least one document
    and its documents are consecutive, so the first of each run gives the recipe's row."""
    positions = np.asarray(doc_positions, dtype=np.int64)
    owner = np.asarray(owners, dtype=np.int64)
    first = np.r_[True, owner[1:] != owner[:-1]]  # documents arrive grouped by recipe, own language first
    out = unique_vectors[positions[first]].astype(np.float32)
    extra = np.flatnonzero(~first)
    for start in range(0, len(extra), 65_536):
        block = extra[start : start + 65_536]
        np.add.at(out, owner[block], unique_vectors[positions[block]].astype(np.float32))
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out /= norms
    return out


async def _embed(embedder: DocumentEmbedder, texts: list[str], progress: Any) -> np.ndarray:
    try:
        return await embedder.embed(texts, progress)
    finally:
        await embedder.close()


def load_catalog(path: Path) -> pa.Table:
    table = pq.read_table(path)
    validate_catalog(table)
    return table


def build(
    settings: MlopsSettings,
    catalog_path: Path,
    *,
    force: bool = False,
    index_backend: str = "usearch",
    show_progress: bool = True,
    parent_run_id: str | None = None,
    extra_manifest: dict[str, Any] | None = None,
) -> BuildResult:
    """Build (or reuse) the bundle for ``catalog_path``; logs a run either way."""
    from services.recommender.bundle import FORMAT_VERSION, write_bundle
    from services.recommender.features import FEATURES_VERSION
    from services.recommender.text import TEXT_VERSION

    total_started = time.perf_counter()
    table = load_catalog(catalog_path)
    catalog_hash = table_hash(table)
    embedder = asyncio.run(
        create_embedder(settings.embeddings_addr, settings.embeddings_backend, workers=settings.build_workers)
    )
    # Everything that shapes the bundle: same fingerprint, same bundle, so it is reused.
    recipe = [
        catalog_hash,
        embedder.model,
        embedder.dimensions,
        DOCUMENT_VERSION,
        index_backend,
        FORMAT_VERSION,
        FEATURES_VERSION,
        TEXT_VERSION,
    ]
    fingerprint = hashlib.sha256(json.dumps(recipe).encode()).hexdigest()
    params = {
        "catalog": str(catalog_path),
        "catalog_hash": catalog_hash,
        "embedding_model": embedder.model,
        "embedding_backend": embedder.backend,
        "embedding_via": settings.embeddings_addr or "in-process",
        "document_version": DOCUMENT_VERSION,
        "index_backend": index_backend,
        "fingerprint": fingerprint,
    }
    with Tracker(settings, "build", parent_run_id=parent_run_id) as run:
        run.log_params(params)
        existing = None if force else find_bundle_by_fingerprint(settings.paths.bundles, fingerprint)
        if existing is not None:
            asyncio.run(embedder.close())
            print(f"bundle unchanged (same catalog, model, documents and index): reusing {existing}", file=sys.stderr)
            run.set_tags({"bundle_dir": str(existing), "reused": "true"})
            run.log_metrics({"reused": 1, "total_seconds": time.perf_counter() - total_started})
            return BuildResult(existing, True, fingerprint, _manifest(existing))
        cache = EmbeddingCache(settings.paths.embed_cache, embedder.model, embedder.dimensions)
        vectors, stats = embed_catalog(table, embedder, cache, show_progress=show_progress)
        del cache  # its key index is ~100 MB at 230k; write_bundle needs the room
        started = time.perf_counter()
        with tqdm(desc="bundle", disable=not show_progress, file=sys.stderr) as bar:
            bundle_dir = write_bundle(
                table,
                vectors,
                settings.paths.bundles,
                embedding={
                    "model": embedder.model,
                    "backend": embedder.backend,
                    "dimensions": embedder.dimensions,
                    "document_version": DOCUMENT_VERSION,
                },
                source={"catalog": str(catalog_path), "catalog_hash": catalog_hash},
                index_backend=index_backend,
                progress=_bundle_progress(bar),
                extra_manifest={
                    "build": {"fingerprint": fingerprint, **{k: round(v, 3) for k, v in stats.items()}},
                    **(extra_manifest or {}),
                },
            )
        stats["bundle_seconds"] = time.perf_counter() - started
        stats["total_seconds"] = time.perf_counter() - total_started
        stats["peak_rss_mb"], stats["worker_peak_rss_mb"] = peak_rss_mb()
        manifest = _manifest(bundle_dir)
        run.log_metrics({**stats, "reused": 0})
        run.set_tags(
            {"bundle_dir": str(bundle_dir), "content_hash": manifest.get("content_hash", ""), "reused": "false"}
        )
        run.log_artifact(bundle_dir / "manifest.json", "bundle")
    if stats["embedded"] == 0 and stats["texts"]:
        log.info("every text came from the embedding cache")
    if not manifest:
        announce(f"bundle {bundle_dir} has no readable manifest.json")
    return BuildResult(Path(bundle_dir), False, fingerprint, manifest, stats)


def _bundle_progress(bar: Any) -> Callable[[str, int, int], None]:
    """write_bundle reports (step, done, total); show it as one bar that restarts per step."""
    current = {"step": ""}

    def report(step: str, done: int, total: int) -> None:
        if step != current["step"]:
            current["step"] = step
            bar.reset(total=max(total, 1))
            bar.set_description(f"bundle: {step}")
        bar.n = min(done, max(total, 1))
        bar.refresh()

    return report
