"""The recommender over in-process grpc.aio: every RPC, error codes, reload, degraded mode."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import REGISTRY

from recipes.common.v1 import common_pb2
from recipes.recommender.v1 import recommender_pb2
from services.common.server import ServiceHost
from services.recommender.client import RecommenderClient
from services.recommender.config import RecommenderSettings
from services.recommender.embedder import InProcessQueryEmbedder
from services.recommender.service import RecommenderService
from tests.support.ports import free_port
from tests.unit.recommender_fixtures import RECIPES, build_bundle, hashing_backend


def settings_for(bundle: Path | str, **overrides: object) -> RecommenderSettings:
    values: dict[str, object] = {
        "recommender_bundle": str(bundle),
        "metrics_port": 0,
        "reload_poll_seconds": 0,
        "log_format": "text",
        "shutdown_grace_seconds": 1,
    }
    values.update(overrides)
    return RecommenderSettings(**values)  # type: ignore[arg-type]


class Running:
    def __init__(self, host: ServiceHost, service: RecommenderService, client: RecommenderClient) -> None:
        self.host, self.service, self.client = host, service, client


async def start(settings: RecommenderSettings, *, embedder: object = "hashing") -> Running:
    injected = InProcessQueryEmbedder(hashing_backend()) if embedder == "hashing" else embedder
    service = RecommenderService(settings, injected, install_signal_handlers=False)  # type: ignore[arg-type]
    host = ServiceHost(service, settings, access_log=False)
    port = await host.start("127.0.0.1:0")
    return Running(host, service, RecommenderClient(f"127.0.0.1:{port}"))


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bundles")
    first = build_bundle(root / "a")
    second = build_bundle(root / "b", [r for r in RECIPES if r["id"] != 107])
    broken = root / "broken" / second.name
    shutil.copytree(second, broken)
    data = bytearray((broken / "catalog.arrow").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (broken / "catalog.arrow").write_bytes(bytes(data))
    return {"first": first, "second": second, "broken": broken}


@pytest.fixture
async def running(bundles: dict[str, Path]) -> AsyncIterator[Running]:
    server = await start(settings_for(bundles["first"]))
    yield server
    await server.client.close()
    await server.host.stop(0)


async def test_recommend_over_grpc(running: Running) -> None:
    response = await running.client.recommend("ensalada de pollo y palta", n=3, language="es")
    assert response.recipes[0].recipe.id == 101
    top = response.recipes[0]
    assert top.recipe.name == "chicken avocado salad"
    assert top.recipe.localized[0].language == common_pb2.LANGUAGE_ES
    assert top.recipe.localized[0].name == "ensalada de pollo y palta"
    assert top.recipe.rating.count == 40 and top.recipe.rating.bayesian_average > 0
    assert 0 < top.score.hybrid <= 1 and top.score.semantic > 0
    assert not response.degraded
    assert response.model_version == running.service.models.engine.model_version


async def test_parsed_filters_come_back(running: Running) -> None:
    response = await running.client.recommend("postre sin huevo", n=5)
    parsed = response.parsed_filters
    assert list(parsed.filters.exclude_ingredients) == ["huevo"]
    assert "desserts" in parsed.filters.tags
    assert parsed.semantic_query == "postre"
    assert list(parsed.matched_phrases) == ["postre", "sin huevo"]
    assert parsed.language == common_pb2.LANGUAGE_ES
    assert response.recipes and not {107, 108, 123} & {r.recipe.id for r in response.recipes}


async def test_pantry_over_grpc(running: Running) -> None:
    response = await running.client.recommend("tengo pollo, arroz y cebolla")
    assert list(response.parsed_filters.pantry) == ["pollo", "arroz", "cebolla"]
    assert response.recipes[0].recipe.id == 105
    assert response.recipes[0].score.pantry_coverage == 1.0
    assert all(r.missing_ingredients for r in response.recipes[1:])


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"query": "flan", "n": 51}, "n"),
        ({"query": ""}, "query"),
        ({"query": "flan", "alpha": 1.01}, "alpha"),
        ({"query": "flan", "alpha": -0.5}, "alpha"),
        ({"query": "flan", "max_minutes": -1}, "filters.max_minutes"),
    ],
)
async def test_invalid_arguments(running: Running, kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await running.client.recommend(**kwargs)  # type: ignore[arg-type]
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (info.value.details() or "").startswith(f"{field}:")


async def test_n_zero_is_the_default_and_alpha_unset_is_default(running: Running) -> None:
    response = await running.client.recommend("chicken", n=0)
    assert len(response.recipes) == 5
    explicit = await running.client.recommend("chicken", n=5, alpha=0.7)
    assert [r.recipe.id for r in response.recipes] == [r.recipe.id for r in explicit.recipes]


async def test_get_batch_similar_and_not_found(running: Running) -> None:
    recipe = await running.client.get_recipe(108)
    assert recipe.name == "flan" and list(recipe.tags) == ["desserts", "mexican"]
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await running.client.get_recipe(12345)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    batch = await running.client.batch_get([101, 12345, 108])
    assert [r.id for r in batch.recipes] == [101, 108] and list(batch.missing_ids) == [12345]
    similar = await running.client.similar(111, n=2)
    assert len(similar.recipes) == 2 and similar.recipes[0].recipe.id == 112
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await running.client.similar(12345)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND


async def test_rerank_over_grpc(running: Running) -> None:
    response = await running.client.rerank(
        "vegan chocolate dessert", recipe_ids=[107, 109], texts=["dark chocolate sorbet with cocoa and water"]
    )
    order = [r.index for r in response.results]
    assert order[-1] == 0 and response.results[-1].excluded  # chocolate cake is not vegan
    assert "not vegan" in response.results[-1].excluded_reason
    assert set(order[:2]) == {1, 2}
    assert response.parsed_filters.filters.tags[:1] == ["vegan"]
    empty = recommender_pb2.RerankRequest(query="flan", candidates=[recommender_pb2.RerankCandidate()])
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await running.client.stub.Rerank(empty)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_model_info(running: Running, bundles: dict[str, Path]) -> None:
    info = await running.client.model_info()
    manifest = json.loads(info.manifest_json)
    assert info.version == manifest["version"] == bundles["first"].name
    assert info.num_recipes == len(RECIPES) and info.dimensions == manifest["dims"]
    assert info.embedding_model == manifest["embedding"]["model"]
    assert info.index_backend == "usearch"
    assert info.vector_bytes == manifest["files"]["vectors.f16.npy"]["bytes"] > 0
    assert info.index_bytes > 0 and info.loaded_at.seconds > 0
    assert info.bundle_uri == str(bundles["first"])


def reloads(result: str, trigger: str) -> float:
    return REGISTRY.get_sample_value("recommender_bundle_reloads_total", {"result": result, "trigger": trigger}) or 0.0


async def test_reload_under_load_loses_no_calls(running: Running, bundles: dict[str, Path]) -> None:
    first, second = bundles["first"].name, bundles["second"].name
    versions: set[str] = set()
    failures: list[BaseException] = []
    stop = asyncio.Event()

    async def caller(query: str) -> int:
        calls = 0
        while not stop.is_set():
            try:
                response = await running.client.recommend(query, n=3)
                versions.add(response.model_version)
                assert response.recipes
            except BaseException as exc:  # every failure is the finding
                failures.append(exc)
            calls += 1
        return calls

    callers = [asyncio.create_task(caller(q)) for q in ("flan", "chicken salad", "tengo arroz", "vegan") * 2]
    loaded_before = reloads("loaded", "rpc")
    for target in (second, first, second, first):
        path = bundles["second"] if target == second else bundles["first"]
        outcome = await running.client.reload(str(path))
        assert outcome.reloaded and outcome.version == target
        await asyncio.sleep(0.05)
    stop.set()
    calls = sum(await asyncio.gather(*callers))
    assert failures == []
    assert calls > 0 and versions == {first, second}
    assert reloads("loaded", "rpc") - loaded_before == 4
    again = await running.client.reload(str(bundles["first"]))
    assert not again.reloaded and "already serving" in again.message


async def test_broken_bundle_is_refused_and_old_one_keeps_serving(running: Running, bundles: dict[str, Path]) -> None:
    before = reloads("refused", "rpc")
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await running.client.reload(str(bundles["broken"]))
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "catalog.arrow does not match its sha256" in (info.value.details() or "")
    assert reloads("refused", "rpc") == before + 1
    assert (await running.client.model_info()).version == bundles["first"].name
    assert (await running.client.recommend("flan")).recipes


async def test_poll_picks_up_a_newer_bundle(bundles: dict[str, Path], tmp_path: Path) -> None:
    root = tmp_path / "bundles"
    shutil.copytree(bundles["first"], root / bundles["first"].name)
    server = await start(settings_for(root, reload_poll_seconds=0.1))
    try:
        assert (await server.client.model_info()).version == bundles["first"].name
        newer = root / "99991231T000000-0000beef"
        shutil.copytree(bundles["second"], newer)
        for _ in range(200):
            if (await server.client.model_info()).version == bundles["second"].name:
                break
            await asyncio.sleep(0.05)
        assert (await server.client.model_info()).version == bundles["second"].name
    finally:
        await server.client.close()
        await server.host.stop(0)


def degraded_count() -> float:
    return sum(
        REGISTRY.get_sample_value("degraded_responses_total", {"service": "recommender", "reason": reason}) or 0.0
        for reason in ("embeddings_timeout", "embeddings_unavailable", "embeddings_circuit_open")
    )


async def test_unreachable_embeddings_gives_degraded_answers(bundles: dict[str, Path]) -> None:
    settings = settings_for(bundles["first"], embeddings_addr=f"127.0.0.1:{free_port()}", embed_timeout_ms=200)
    server = await start(settings, embedder=None)
    try:
        before = degraded_count()
        response = await server.client.recommend("ensalada de pollo y palta", n=3)
        # Nothing listens there: the call waits for a connection until its deadline.
        assert response.degraded and response.degraded_reason in {"embeddings_timeout", "embeddings_unavailable"}
        assert response.recipes[0].recipe.id == 101
        assert degraded_count() == before + 1
        # After repeated failures the circuit opens: still answered, at once, still degraded.
        reasons = [(await server.client.recommend("flan")).degraded_reason for _ in range(5)]
        assert reasons[-1] == "embeddings_circuit_open"
        assert degraded_count() == before + 6
    finally:
        await server.client.close()
        await server.host.stop(0)


async def test_not_serving_until_the_bundle_is_loaded(
    bundles: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.recommender.models import ModelManager

    release = asyncio.Event()
    original = ModelManager.load_initial

    async def slow_load(self: ModelManager):  # type: ignore[no-untyped-def]
        await release.wait()
        return await original(self)

    monkeypatch.setattr(ModelManager, "load_initial", slow_load)
    settings = settings_for(bundles["first"])
    service = RecommenderService(settings, InProcessQueryEmbedder(hashing_backend()), install_signal_handlers=False)
    host = ServiceHost(service, settings, access_log=False)
    starting = asyncio.create_task(host.start(f"127.0.0.1:{free_port()}"))
    while not host.port:
        await asyncio.sleep(0.01)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{host.port}")
    health = health_pb2_grpc.HealthStub(channel)
    name = "recipes.recommender.v1.RecommenderService"
    try:
        status = await health.Check(health_pb2.HealthCheckRequest(service=name))
        assert status.status == health_pb2.HealthCheckResponse.NOT_SERVING
        client = RecommenderClient(f"127.0.0.1:{host.port}")
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await client.recommend("flan", timeout=1)
        assert info.value.code() == grpc.StatusCode.UNAVAILABLE
        await client.close()
        release.set()
        await starting
        status = await health.Check(health_pb2.HealthCheckRequest(service=name))
        assert status.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        release.set()
        await channel.close()
        await host.stop(0)
