"""Shared helpers for the llm service tests: fixture recipes, a fake recommender, a served LlmService.

The fake recommender implements the recommender's public contract (recipes.recommender.v1)
on grpc.aio, so these tests do not depend on the recommender's code.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from recipes.common.v1 import common_pb2
from recipes.llm.v1 import llm_pb2_grpc
from recipes.recommender.v1 import recommender_pb2, recommender_pb2_grpc
from services.common.config import load_settings
from services.common.server import ServiceHost
from services.llm.config import LlmSettings
from services.llm.service import LlmService

ES, EN = common_pb2.LANGUAGE_ES, common_pb2.LANGUAGE_EN
GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden" / "llm"
UPDATE_GOLDEN = os.environ.get("UPDATE_GOLDEN") == "1"


def recipe(
    rid: int,
    name: str,
    *,
    ingredients: Sequence[str],
    steps: Sequence[str],
    minutes: int,
    servings: int = 4,
    description: str = "",
    tags: Sequence[str] = (),
    kcal: float = 0.0,
    protein: float = 0.0,
    es: dict[str, Any] | None = None,
    rating: float = 4.5,
    count: int = 20,
) -> common_pb2.Recipe:
    out = common_pb2.Recipe(
        id=rid,
        name=name,
        description=description,
        ingredients=list(ingredients),
        steps=list(steps),
        minutes=minutes,
        servings=servings,
        tags=list(tags),
        language=EN,
        rating=common_pb2.Rating(average=rating, count=count, bayesian_average=rating - 0.2),
    )
    if kcal:
        out.nutrition.CopyFrom(
            common_pb2.Nutrition(calories_kcal=kcal, protein_g=protein, fat_g=12, carbohydrates_g=30, sodium_mg=400)
        )
    if es:
        out.localized.append(common_pb2.RecipeText(language=ES, **es))
    return out


TORTILLA = recipe(
    102001,
    "spanish potato omelette",
    description="The classic tortilla de patatas, thick and juicy.",
    ingredients=["potatoes", "eggs", "onion", "olive oil", "salt"],
    steps=["peel and slice the potatoes", "fry the potatoes and onion in olive oil", "mix with beaten eggs and cook"],
    minutes=45,
    servings=6,
    tags=["vegetarian", "spanish", "gluten-free"],
    kcal=320.0,
    protein=11.0,
    es={
        "name": "Tortilla de patatas",
        "description": "La clásica tortilla de patatas, gruesa y jugosa.",
        "ingredients": ["patatas", "huevos", "cebolla", "aceite de oliva", "sal"],
        "steps": [
            "Pela y corta las patatas.",
            "Fríe las patatas y la cebolla en aceite de oliva.",
            "Mezcla con los huevos batidos y cuaja.",
        ],
    },
)  # fmt: skip
CHICKPEA_CURRY = recipe(
    103010,
    "chickpea and spinach curry",
    description="A quick vegan curry.",
    ingredients=["chickpeas", "spinach", "coconut milk", "onion", "garlic", "curry powder"],
    steps=["cook the onion and garlic", "add curry powder, chickpeas and coconut milk", "stir in the spinach"],
    minutes=25,
    servings=4,
    tags=["vegan", "30-minutes-or-less"],
    kcal=410.0,
    protein=14.0,
    es={
        "name": "Curry de garbanzos y espinaca",
        "description": "Un curry vegano rápido.",
        "ingredients": ["garbanzos", "espinaca", "leche de coco", "cebolla", "ajo", "curry en polvo"],
        "steps": [
            "Cocina la cebolla y el ajo.",
            "Agrega el curry, los garbanzos y la leche de coco.",
            "Incorpora la espinaca.",
        ],
    },
)  # fmt: skip
BUTTER_COOKIES = recipe(
    104020,
    "butter cookies",
    description="Crisp cookies for tea time.",
    ingredients=["1 cup butter", "2 cups flour", "1/2 cup sugar", "1 egg", "1 tsp vanilla"],
    steps=["cream the butter and sugar", "add the egg, vanilla and flour", "bake 12 minutes at 180 C"],
    minutes=30,
    servings=24,
    tags=["dessert"],
    kcal=120.0,
    protein=1.5,
)
# English-only recipes (no stored Spanish): translating them needs a backend.
PLAIN = [
    recipe(
        200000 + i,
        name,
        description=f"An easy {name} for busy days.",
        ingredients=ingredients,
        steps=["wash and chop the vegetables", f"cook the {name} for {10 + i} minutes", "serve hot"],
        minutes=15 + 5 * i,
        servings=2 + i,
    )
    for i, (name, ingredients) in enumerate(
        [
            ("tomato soup", ["4 tomatoes", "1 onion", "2 cups water", "salt"]),
            ("garlic rice", ["1 cup rice", "3 cloves garlic", "2 tbsp butter", "salt"]),
            ("lentil stew", ["1 cup lentils", "2 carrots", "1 onion", "salt"]),
            ("green salad", ["lettuce", "cucumber", "olive oil", "lemon juice", "salt"]),
            ("mushroom pasta", ["200 g pasta", "250 g mushrooms", "2 cloves garlic", "olive oil", "salt"]),
        ]
    )
]
CATALOG = [TORTILLA, CHICKPEA_CURRY, BUTTER_COOKIES, *PLAIN]


@dataclass
class FakeRecommender(recommender_pb2_grpc.RecommenderServiceServicer):
    """The recommender's contract over a fixed list of recipes; records every request."""

    recipes: list[common_pb2.Recipe] = field(default_factory=lambda: list(CATALOG))
    requests: list[Any] = field(default_factory=list)
    fail_with: grpc.StatusCode | None = None

    async def _maybe_fail(self, context: grpc.aio.ServicerContext) -> None:
        if self.fail_with is not None:
            await context.abort(self.fail_with, "injected failure")

    async def Recommend(
        self, request: recommender_pb2.RecommendRequest, context: grpc.aio.ServicerContext
    ) -> recommender_pb2.RecommendResponse:
        self.requests.append(request)
        await self._maybe_fail(context)
        words = {w.strip("¿?,.!").lower() for w in request.query.split()}

        def score(r: common_pb2.Recipe) -> int:
            text = " ".join([r.name, *r.ingredients, *(t for loc in r.localized for t in [loc.name, *loc.ingredients])])
            return sum(1 for w in words if len(w) > 3 and w in text.lower())

        ranked = sorted(self.recipes, key=lambda r: (-score(r), r.id))[: request.n or 5]
        return recommender_pb2.RecommendResponse(
            recipes=[recommender_pb2.RecommendedRecipe(recipe=r) for r in ranked], model_version="fake"
        )

    async def BatchGetRecipes(
        self, request: recommender_pb2.BatchGetRecipesRequest, context: grpc.aio.ServicerContext
    ) -> recommender_pb2.BatchGetRecipesResponse:
        self.requests.append(request)
        await self._maybe_fail(context)
        by_id = {r.id: r for r in self.recipes}
        return recommender_pb2.BatchGetRecipesResponse(
            recipes=[by_id[i] for i in request.ids if i in by_id],
            missing_ids=[i for i in request.ids if i not in by_id],
            model_version="fake",
        )

    async def GetRecipe(
        self, request: recommender_pb2.GetRecipeRequest, context: grpc.aio.ServicerContext
    ) -> recommender_pb2.GetRecipeResponse:
        await self._maybe_fail(context)
        for r in self.recipes:
            if r.id == request.id:
                return recommender_pb2.GetRecipeResponse(recipe=r)
        await context.abort(grpc.StatusCode.NOT_FOUND, f"recipe {request.id} not found")
        raise AssertionError("unreachable")


@asynccontextmanager
async def fake_recommender(servicer: FakeRecommender | None = None) -> AsyncIterator[tuple[str, FakeRecommender]]:
    servicer = servicer or FakeRecommender()
    server = grpc.aio.server()
    recommender_pb2_grpc.add_RecommenderServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield f"127.0.0.1:{port}", servicer
    finally:
        await server.stop(0)


def llm_settings(tmp_path: Path, recommender_addr: str, **overrides: Any) -> LlmSettings:
    base: dict[str, Any] = {
        "llm_backend": "local",
        "database_url": f"sqlite:///{tmp_path}/conversations.db",
        "recommender_addr": recommender_addr,
        "metrics_port": 0,
        "llm_cooldown_seconds": 30.0,
    }
    return load_settings(LlmSettings, **{**base, **overrides})


@asynccontextmanager
async def served_llm(
    settings: LlmSettings, **deps: Any
) -> AsyncIterator[tuple[llm_pb2_grpc.LlmServiceStub, LlmService]]:
    service = LlmService(settings, **deps)
    host = ServiceHost(service, settings, access_log=False)
    port = await host.start("127.0.0.1:0")
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield llm_pb2_grpc.LlmServiceStub(channel), service
    finally:
        await channel.close()
        await host.stop(0)


def check_golden(name: str, payload: Any) -> None:
    """Compare ``payload`` with tests/golden/llm/<name>.json; UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN_DIR / f"{name}.json"
    rendered = json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
        return
    assert path.exists(), f"golden file {path} is missing; run the test with UPDATE_GOLDEN=1 and review it"
    expected = path.read_text(encoding="utf-8")
    assert rendered == expected, f"{name} differs from its golden file {path}; rerun with UPDATE_GOLDEN=1 if intended"
