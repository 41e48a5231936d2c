"""Where the llm service gets catalog recipes: the recommender service (its public contract).

Calls go one way only (llm -> recommender), always with a deadline. Failures become
``Unavailable`` / ``NotFound`` with a message that names the recommender, so a caller can
tell "the catalog is down" from "that recipe does not exist".
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

import grpc

from recipes.common.v1 import common_pb2
from recipes.recommender.v1 import recommender_pb2, recommender_pb2_grpc
from services.common.clients import create_channel
from services.common.errors import DeadlineExceeded, InvalidArgument, NotFound, Unavailable
from services.llm.languages import Lang, to_pb

SERVICE = "recipes.recommender.v1.RecommenderService"
IDEMPOTENT_METHODS = ("Recommend", "GetRecipe", "BatchGetRecipes")


class RecipeSource(abc.ABC):
    @abc.abstractmethod
    async def get_recipes(self, ids: Sequence[int], *, timeout: float) -> tuple[list[common_pb2.Recipe], list[int]]:
        """The recipes found (in the order asked) and the ids that do not exist."""

    @abc.abstractmethod
    async def recommend(self, query: str, n: int, lang: Lang | None, *, timeout: float) -> list[common_pb2.Recipe]:
        """The best catalog recipes for a free-text request."""

    async def get_recipe(self, recipe_id: int, *, timeout: float) -> common_pb2.Recipe:
        found, missing = await self.get_recipes([recipe_id], timeout=timeout)
        if missing or not found:
            raise NotFound(f"recipe {recipe_id} not found in the catalog")
        return found[0]

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Close channels."""


class RecommenderRecipeSource(RecipeSource):
    def __init__(self, address: str, *, channel: grpc.aio.Channel | None = None) -> None:
        self.address = address
        self.channel = channel or create_channel(address, SERVICE, IDEMPOTENT_METHODS)
        self.stub = recommender_pb2_grpc.RecommenderServiceStub(self.channel)

    def _error(self, exc: grpc.aio.AioRpcError) -> Exception:
        code = exc.code()
        detail = exc.details() or code.name
        if code == grpc.StatusCode.NOT_FOUND:
            return NotFound(detail)
        if code == grpc.StatusCode.INVALID_ARGUMENT:
            return InvalidArgument("recipe_id", detail)
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            return DeadlineExceeded(f"the recommender at {self.address} did not answer in time")
        return Unavailable(f"the recommender at {self.address} is unavailable: {code.name}: {detail}")

    async def get_recipes(self, ids: Sequence[int], *, timeout: float) -> tuple[list[common_pb2.Recipe], list[int]]:
        try:
            response = await self.stub.BatchGetRecipes(
                recommender_pb2.BatchGetRecipesRequest(ids=list(ids)), timeout=timeout
            )
        except grpc.aio.AioRpcError as exc:
            raise self._error(exc) from exc
        return list(response.recipes), list(response.missing_ids)

    async def recommend(self, query: str, n: int, lang: Lang | None, *, timeout: float) -> list[common_pb2.Recipe]:
        request = recommender_pb2.RecommendRequest(query=query, n=n)
        if lang is not None:
            request.language = to_pb(lang)
        try:
            response = await self.stub.Recommend(request, timeout=timeout)
        except grpc.aio.AioRpcError as exc:
            raise self._error(exc) from exc
        return [r.recipe for r in response.recipes]

    async def close(self) -> None:
        await self.channel.close()
