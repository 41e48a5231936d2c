"""The RecommenderService servicer and its lifecycle on the shared server runtime."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from collections.abc import Coroutine
from typing import Any

import grpc

from recipes.recommender.v1 import recommender_pb2, recommender_pb2_grpc
from services.common.errors import InvalidArgument
from services.embeddings.client import EmbeddingsClient
from services.recommender.config import RecommenderSettings
from services.recommender.convert import (
    filters_from_proto,
    language_from_proto,
    parsed_to_proto,
    ranked_to_proto,
    recipe_to_proto,
    rerank_item_to_proto,
)
from services.recommender.embedder import QueryEmbedder, ServiceQueryEmbedder
from services.recommender.engine import RecommendQuery, RerankCandidate
from services.recommender.index import ANN_FILE
from services.recommender.models import ModelManager

log = logging.getLogger(__name__)

SERVICE_NAME = recommender_pb2.DESCRIPTOR.services_by_name["RecommenderService"].full_name
EMBEDDINGS_INFO_RETRY_SECONDS = 5.0


class RecommenderServicer(recommender_pb2_grpc.RecommenderServiceServicer):
    """Translates protos to engine calls. Every call reads the current engine once, so a
    reload in the middle of a call never mixes two bundles."""

    def __init__(self, models: ModelManager) -> None:
        self.models = models

    async def Recommend(
        self, request: recommender_pb2.RecommendRequest, context: grpc.aio.ServicerContext
    ) -> recommender_pb2.RecommendResponse:
        engine = self.models.engine
        result = await engine.recommend(
            RecommendQuery(
                query=request.query,
                n=request.n,
                alpha=request.alpha if request.HasField("alpha") else None,
                filters=filters_from_proto(request.filters),
                pantry=list(request.pantry),
                language=language_from_proto(request.language),
            )
        )
        return recommender_pb2.RecommendResponse(
            recipes=[ranked_to_proto(r) for r in result.recipes],
            parsed_filters=parsed_to_proto(result.parsed),
            degraded=result.degraded,
            degraded_reason=result.degraded_reason,
            model_version=result.model_version,
        )

    async def GetRecipe(
        self, request: recommender_pb2.GetRecipeRequest, context: grpc.aio.ServicerContext
    ) -> recommender_pb2.GetRecipeResponse:
        engine = self.models.engine
        recipe = engine.get_recipe(request.id)
        return recommender_pb2.GetRecipeResponse(recipe=recipe_to_proto(recipe), model_version=engine.model_version)

    async def BatchGetRecipes(
        self, request: recommender_pb2.BatchGetRecipesRequest, context: grpc.aio.ServicerContext
    ) -> recommender_pb2.BatchGetRecipesResponse:
        engine = self.models.engine
        found, missing = engine.batch_get(list(request.ids))
        return recommender_pb2.BatchGetRecipesResponse(
            recipes=[recipe_to_proto(r) for r in found], missing_ids=missing, model_version=engine.model_version
        )

    async def SimilarRecipes(
        self, request: recommender_pb2.SimilarRecipesRequest, context: grpc.aio.ServicerContext
    ) -> recommender_pb2.SimilarRecipesResponse:
        engine = self.models.engine
        ranked = await engine.similar(request.id, request.n)
        return recommender_pb2.SimilarRecipesResponse(
            recipes=[ranked_to_proto(r) for r in ranked], model_version=engine.model_version
        )

    async def Rerank(
        self, request: recommender_pb2.RerankRequest, context: grpc.aio.ServicerContext
    ) -> recommender_pb2.RerankResponse:
        engine = self.models.engine
        candidates = []
        for i, c in enumerate(request.candidates):
            kind = c.WhichOneof("candidate")
            if kind is None:
                raise InvalidArgument(f"candidates[{i}]", "set recipe_id or text")
            candidates.append(
                RerankCandidate(recipe_id=c.recipe_id) if kind == "recipe_id" else RerankCandidate(text=c.text)
            )
        result = await engine.rerank(
            request.query,
            candidates,
            alpha=request.alpha if request.HasField("alpha") else None,
            language=language_from_proto(request.language),
        )
        return recommender_pb2.RerankResponse(
            results=[rerank_item_to_proto(r) for r in result.results],
            parsed_filters=parsed_to_proto(result.parsed),
            degraded=result.degraded,
            model_version=result.model_version,
        )

    async def GetModelInfo(
        self, request: recommender_pb2.GetModelInfoRequest, context: grpc.aio.ServicerContext
    ) -> recommender_pb2.GetModelInfoResponse:
        model = self.models.current
        bundle = model.engine.bundle
        response = recommender_pb2.GetModelInfoResponse(
            version=bundle.version,
            bundle_uri=model.uri or str(bundle.path),
            manifest_json=json.dumps(bundle.manifest, ensure_ascii=False, sort_keys=True),
            num_recipes=bundle.num_recipes,
            dimensions=bundle.dims,
            embedding_model=bundle.embedding_model,
            index_backend=model.index_backend,
            vector_bytes=bundle.file_bytes("vectors.f16.npy"),
            index_bytes=bundle.file_bytes(ANN_FILE) + bundle.lexical.nbytes,
        )
        response.loaded_at.FromDatetime(bundle.loaded_at)
        return response

    async def ReloadModel(
        self, request: recommender_pb2.ReloadModelRequest, context: grpc.aio.ServicerContext
    ) -> recommender_pb2.ReloadModelResponse:
        outcome = await self.models.reload(request.bundle_uri, trigger="rpc")
        return recommender_pb2.ReloadModelResponse(
            reloaded=outcome.reloaded,
            version=outcome.version,
            previous_version=outcome.previous_version,
            message=outcome.message,
        )


class RecommenderService:
    """Lifecycle for the shared ServiceHost: load the bundle, watch for reloads, clean up."""

    service_names = (SERVICE_NAME,)

    def __init__(
        self,
        settings: RecommenderSettings,
        embedder: QueryEmbedder | None = None,
        *,
        install_signal_handlers: bool = True,
    ) -> None:
        self.settings = settings
        self._embeddings_client: EmbeddingsClient | None = None
        self.embedder = embedder
        self.models = ModelManager(settings, embedder)
        self.servicer = RecommenderServicer(self.models)
        self.install_signal_handlers = install_signal_handlers
        self._tasks: set[asyncio.Task[object]] = set()

    def register(self, server: grpc.aio.Server) -> None:
        recommender_pb2_grpc.add_RecommenderServiceServicer_to_server(self.servicer, server)

    def _spawn(self, coro: Coroutine[Any, Any, object]) -> None:
        task: asyncio.Task[object] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start(self) -> None:
        if self.embedder is None:
            # Built here, inside the serving event loop: a grpc.aio channel is bound to the
            # loop it was created in.
            self._embeddings_client = EmbeddingsClient(self.settings.embeddings_addr)
            self.embedder = ServiceQueryEmbedder(
                self._embeddings_client,
                timeout=self.settings.embed_timeout_ms / 1000,
                failure_threshold=self.settings.embed_breaker_failures,
                cooldown=self.settings.embed_breaker_cooldown_seconds,
                cache_size=self.settings.embed_cache_size,
            )
            self.models.embedder = self.embedder
        await self.models.load_initial()
        if self._embeddings_client is not None:
            self._spawn(self._learn_embedding_model())
        if self.install_signal_handlers:
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGHUP, lambda: self._spawn(self.models.reload(trigger="signal")))
        if self.settings.reload_poll_seconds > 0:
            self._spawn(self.models.poll_forever(self.settings.reload_poll_seconds))

    async def _learn_embedding_model(self) -> None:
        """Ask the embeddings service which model it serves, to detect a mismatched bundle."""
        assert self._embeddings_client is not None
        while True:
            try:
                info = await self._embeddings_client.info(timeout=2.0)
            except grpc.aio.AioRpcError:
                await asyncio.sleep(EMBEDDINGS_INFO_RETRY_SECONDS)
                continue
            if isinstance(self.embedder, ServiceQueryEmbedder):
                self.embedder.set_model(info.model)
            built = self.models.current.engine.bundle.embedding_model
            if built and info.model != built:
                log.error(
                    "embeddings service model differs from the bundle's; serving lexical + popularity only",
                    extra={"embeddings_model": info.model, "bundle_model": built},
                )
            return

    async def stop(self) -> None:
        if self.install_signal_handlers:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._embeddings_client is not None:
            await self._embeddings_client.close()
