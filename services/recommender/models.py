"""The serving model and its hot reload: resolve a bundle URI, load it, swap it in atomically.

A reload builds a complete new engine (bundle, index, warm-up) off the event loop while the
old engine keeps answering; then one reference assignment swaps them. Calls already running
hold their own reference to the old engine and finish on it, so no call fails or sees half
a model. A bundle that fails to load is refused: the old engine stays, an error is logged
and ``recommender_bundle_reloads_total{result="refused"}`` counts it.

Triggers: ``SIGHUP``, the ``ReloadModel`` RPC, and polling of the configured URI (an MLflow
alias that moved, or a newer bundle in a directory of bundles).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from services.common.errors import FailedPrecondition, Unavailable
from services.recommender import metrics
from services.recommender.bundle import (
    MODELS_SCHEME,
    BundleError,
    load_bundle,
    materialise_model_version,
    resolve_bundle_uri,
    resolve_model_version,
)
from services.recommender.config import RecommenderSettings
from services.recommender.embedder import QueryEmbedder
from services.recommender.engine import RankingWeights, RecommenderEngine
from services.recommender.index import open_index

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedModel:
    engine: RecommenderEngine
    uri: str  # as configured or requested
    pointer: str  # what the URI resolved to: "models:/name/version" or a bundle path
    index_backend: str


@dataclass(frozen=True)
class ReloadOutcome:
    reloaded: bool
    version: str
    previous_version: str
    message: str


class ModelManager:
    """Owns the serving :class:`LoadedModel` and every way of replacing it."""

    def __init__(self, settings: RecommenderSettings, embedder: QueryEmbedder | None) -> None:
        self.settings = settings
        self.embedder = embedder
        self._current: LoadedModel | None = None
        self._lock = asyncio.Lock()

    @property
    def current(self) -> LoadedModel:
        if self._current is None:
            raise Unavailable("the model bundle is not loaded yet")
        return self._current

    @property
    def engine(self) -> RecommenderEngine:
        return self.current.engine

    # -- resolution ---------------------------------------------------------------------------
    def _pointer(self, uri: str) -> str:
        """Cheap answer to "what does this URI name now?" (no download, no load)."""
        if uri.startswith(MODELS_SCHEME):
            ref = resolve_model_version(uri)
            return f"{MODELS_SCHEME}{ref.name}/{ref.version}"
        return str(resolve_bundle_uri(uri).resolve())

    def _load_sync(self, uri: str) -> LoadedModel:
        started = time.perf_counter()
        cache = Path(self.settings.bundle_cache_dir)
        if uri.startswith(MODELS_SCHEME):
            ref = resolve_model_version(uri)
            pointer = f"{MODELS_SCHEME}{ref.name}/{ref.version}"
            path = materialise_model_version(ref, cache)
        else:
            path = resolve_bundle_uri(uri, cache_dir=cache).resolve()
            pointer = str(path)
        bundle = load_bundle(path, verify_checksums=self.settings.bundle_verify == "full")
        bundle.uri = uri
        try:
            index = open_index(
                self.settings.index_backend,
                vectors=bundle.vectors,
                bundle_dir=bundle.path,
                version=bundle.version,
                qdrant_url=self.settings.qdrant_url,
                qdrant_api_key=self.settings.qdrant_api_key,
                expansion_search=self.settings.ann_expansion_search or None,
            )
        except Exception as exc:
            raise BundleError(f"bundle {path}: cannot open the {self.settings.index_backend} index ({exc})") from exc
        engine = RecommenderEngine(
            bundle,
            self.embedder,
            index=index,
            weights=RankingWeights(lexical=self.settings.lexical_weight, pantry=self.settings.pantry_weight),
        )
        if bundle.num_recipes:
            # Touch the index and the lexical arrays now, not on the first user call.
            probe = np.zeros(bundle.dims, dtype=np.float32)
            probe[0] = 1.0
            index.search(probe, 10)
        log.info(
            "bundle loaded",
            extra={
                "bundle_version": bundle.version,
                "bundle_path": str(bundle.path),
                "recipes": bundle.num_recipes,
                "index_backend": index.name,
                "seconds": round(time.perf_counter() - started, 3),
            },
        )
        return LoadedModel(engine=engine, uri=uri, pointer=pointer, index_backend=index.name)

    def _publish(self, model: LoadedModel) -> None:
        bundle = model.engine.bundle
        metrics.MODEL_INFO.info(
            {
                "version": bundle.version,
                "embedding_model": bundle.embedding_model,
                "index_backend": model.index_backend,
                "source": model.pointer if model.pointer.startswith(MODELS_SCHEME) else "path",
            }
        )
        metrics.BUNDLE_RECIPES.set(bundle.num_recipes)
        metrics.BUNDLE_LOADED_TIMESTAMP.set(time.time())

    # -- loading ------------------------------------------------------------------------------
    async def load_initial(self) -> LoadedModel:
        """Load the configured bundle at start; failure stops the service from starting."""
        try:
            model = await asyncio.to_thread(self._load_sync, self.settings.recommender_bundle)
        except BundleError:
            metrics.RELOADS.labels("refused", "startup").inc()
            raise
        self._current = model
        self._publish(model)
        metrics.RELOADS.labels("loaded", "startup").inc()
        return model

    async def reload(self, uri: str = "", *, trigger: str = "rpc") -> ReloadOutcome:
        """Load ``uri`` (default: the configured URI) and swap it in; refuse a broken bundle.

        Raises FailedPrecondition (RPC trigger) when the bundle is refused; other triggers
        only log, since nobody is waiting for an answer.
        """
        target = uri or self.settings.recommender_bundle
        async with self._lock:
            previous = self._current
            previous_version = previous.engine.model_version if previous else ""
            try:
                pointer = await asyncio.to_thread(self._pointer, target)
                if previous is not None and pointer == previous.pointer:
                    metrics.RELOADS.labels("unchanged", trigger).inc()
                    return ReloadOutcome(False, previous_version, previous_version, f"already serving {pointer}")
                model = await asyncio.to_thread(self._load_sync, target)
            except (BundleError, OSError, ValueError) as exc:
                metrics.RELOADS.labels("refused", trigger).inc()
                log.error(
                    "bundle refused; the current model keeps serving",
                    extra={"bundle_uri": target, "error": str(exc), "serving_version": previous_version},
                )
                message = f"bundle refused, still serving {previous_version or 'nothing'}: {exc}"
                if trigger == "rpc":
                    raise FailedPrecondition(message) from exc
                return ReloadOutcome(False, previous_version, previous_version, message)
            if previous is not None and model.engine.model_version == previous_version:
                self._current = model  # same content from another location; adopt its pointer
                metrics.RELOADS.labels("unchanged", trigger).inc()
                return ReloadOutcome(False, previous_version, previous_version, f"already serving {previous_version}")
            self._current = model
            self._publish(model)
            metrics.RELOADS.labels("loaded", trigger).inc()
            log.info(
                "bundle swapped in",
                extra={"bundle_version": model.engine.model_version, "previous_version": previous_version},
            )
            return ReloadOutcome(True, model.engine.model_version, previous_version, f"serving {model.pointer}")

    async def poll_forever(self, interval: float) -> None:
        """Re-resolve the configured URI every ``interval`` seconds; reload when it moved."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.reload(trigger="poll")
            except Exception:  # polling must survive anything; reload already logged
                log.exception("bundle poll failed")
