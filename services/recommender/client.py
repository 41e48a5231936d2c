"""Typed client for the recommender, used by the llm service and the gateway.

Every read-only method is idempotent and retried by the channel on UNAVAILABLE and
RESOURCE_EXHAUSTED (within the caller's deadline); ``reload`` is not retried. Methods
return the generated protobuf messages; callers map them to their own schemas.
"""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from recipes.common.v1 import common_pb2
from recipes.recommender.v1 import recommender_pb2, recommender_pb2_grpc
from services.common.clients import create_channel

SERVICE = "recipes.recommender.v1.RecommenderService"
IDEMPOTENT_METHODS = ("Recommend", "GetRecipe", "BatchGetRecipes", "SimilarRecipes", "Rerank", "GetModelInfo")
DEFAULT_TIMEOUT = 2.0

_LANGUAGES = {"es": common_pb2.LANGUAGE_ES, "en": common_pb2.LANGUAGE_EN}


def _language(code: str | None) -> common_pb2.Language:
    return _LANGUAGES.get((code or "").lower()[:2], common_pb2.LANGUAGE_UNSPECIFIED)


class RecommenderClient:
    def __init__(self, address: str, *, channel: grpc.aio.Channel | None = None) -> None:
        self.address = address
        self.channel = channel or create_channel(address, SERVICE, IDEMPOTENT_METHODS)
        self.stub = recommender_pb2_grpc.RecommenderServiceStub(self.channel)

    async def close(self) -> None:
        await self.channel.close()

    async def __aenter__(self) -> RecommenderClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def recommend(
        self,
        query: str,
        *,
        n: int = 0,
        alpha: float | None = None,
        max_minutes: int = 0,
        tags: Sequence[str] = (),
        include_ingredients: Sequence[str] = (),
        exclude_ingredients: Sequence[str] = (),
        pantry: Sequence[str] = (),
        language: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> recommender_pb2.RecommendResponse:
        request = recommender_pb2.RecommendRequest(
            query=query,
            n=n,
            filters=recommender_pb2.Filters(
                max_minutes=max_minutes,
                tags=list(tags),
                include_ingredients=list(include_ingredients),
                exclude_ingredients=list(exclude_ingredients),
            ),
            language=_language(language),
            pantry=list(pantry),
        )
        if alpha is not None:
            request.alpha = alpha
        return await self.stub.Recommend(request, timeout=timeout)

    async def get_recipe(self, recipe_id: int, *, timeout: float = DEFAULT_TIMEOUT) -> common_pb2.Recipe:
        response = await self.stub.GetRecipe(recommender_pb2.GetRecipeRequest(id=recipe_id), timeout=timeout)
        return response.recipe

    async def batch_get(
        self, ids: Sequence[int], *, timeout: float = DEFAULT_TIMEOUT
    ) -> recommender_pb2.BatchGetRecipesResponse:
        return await self.stub.BatchGetRecipes(recommender_pb2.BatchGetRecipesRequest(ids=list(ids)), timeout=timeout)

    async def similar(
        self, recipe_id: int, *, n: int = 0, timeout: float = DEFAULT_TIMEOUT
    ) -> recommender_pb2.SimilarRecipesResponse:
        return await self.stub.SimilarRecipes(recommender_pb2.SimilarRecipesRequest(id=recipe_id, n=n), timeout=timeout)

    async def rerank(
        self,
        query: str,
        *,
        recipe_ids: Sequence[int] = (),
        texts: Sequence[str] = (),
        alpha: float | None = None,
        language: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> recommender_pb2.RerankResponse:
        """Candidates are the ids then the texts; results' ``index`` refers to that order."""
        candidates = [recommender_pb2.RerankCandidate(recipe_id=i) for i in recipe_ids]
        candidates += [recommender_pb2.RerankCandidate(text=t) for t in texts]
        request = recommender_pb2.RerankRequest(query=query, candidates=candidates, language=_language(language))
        if alpha is not None:
            request.alpha = alpha
        return await self.stub.Rerank(request, timeout=timeout)

    async def model_info(self, *, timeout: float = DEFAULT_TIMEOUT) -> recommender_pb2.GetModelInfoResponse:
        return await self.stub.GetModelInfo(recommender_pb2.GetModelInfoRequest(), timeout=timeout)

    async def reload(self, bundle_uri: str = "", *, timeout: float = 120.0) -> recommender_pb2.ReloadModelResponse:
        """Admin: load ``bundle_uri`` (default: re-resolve the configured one) and swap it in."""
        return await self.stub.ReloadModel(recommender_pb2.ReloadModelRequest(bundle_uri=bundle_uri), timeout=timeout)
