"""The recommender as a real process beside a real embeddings process."""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.recommender.client import RecommenderClient
from tests.support.processes import ServiceProcess
from tests.unit.recommender_fixtures import DIMS, RECIPES, build_bundle

pytestmark = pytest.mark.integration


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[ServiceProcess, ServiceProcess, Path]]:
    root = tmp_path / "bundles"
    build_bundle(root)
    embeddings = ServiceProcess(
        "services.embeddings",
        env={"EMBEDDINGS_BACKEND": "hashing", "EMBEDDINGS_DIMENSIONS": str(DIMS)},
        log_path=tmp_path / "embeddings.log",
    ).start()
    recommender = ServiceProcess(
        "services.recommender",
        env={
            "RECOMMENDER_BUNDLE": str(root),
            "EMBEDDINGS_ADDR": "",  # set below, once the embeddings port is known
            "RELOAD_POLL_SECONDS": "0",
            "EMBED_TIMEOUT_MS": "500",
        },
        log_path=tmp_path / "recommender.log",
    )
    recommender.env["EMBEDDINGS_ADDR"] = embeddings.address
    recommender.start()
    try:
        embeddings.wait_serving()
        recommender.wait_serving()
        yield embeddings, recommender, root
    finally:
        recommender.terminate()
        embeddings.terminate()


def test_kill_embeddings_and_recommend_still_answers(stack: tuple[ServiceProcess, ServiceProcess, Path]) -> None:
    embeddings, recommender, _ = stack

    async def scenario() -> None:
        async with RecommenderClient(recommender.address) as client:
            # The recommender may have started before embeddings was listening; its channel
            # reconnects within a couple of seconds.
            for _ in range(100):
                healthy = await client.recommend("ensalada de pollo y palta", n=3, timeout=5)
                if not healthy.degraded:
                    break
                await asyncio.sleep(0.1)
            assert not healthy.degraded
            assert healthy.recipes[0].recipe.id == 101
            embeddings.kill()
            # A query the recommender has not embedded before (seen ones come from its cache).
            degraded = await client.recommend("ensalada de palta con pollo", n=3, timeout=5)
            assert degraded.degraded
            assert degraded.degraded_reason in {"embeddings_unavailable", "embeddings_timeout"}
            assert degraded.recipes[0].recipe.id == 101
            filtered = await client.recommend("postre sin huevo", timeout=5)
            assert filtered.degraded and filtered.recipes
            assert not {107, 108, 123} & {r.recipe.id for r in filtered.recipes}

    asyncio.run(scenario())
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{recommender.metrics_port}/metrics", timeout=5).read().decode()
    for name in (
        "recommender_recommend_seconds_bucket",
        "recommender_num_recipes_bucket",
        "recommender_model_info{",
        'recommender_bundle_reloads_total{result="loaded",trigger="startup"} 1.0',
        'recommender_stage_seconds_bucket{le="0.001",stage="retrieve"}',
    ):
        assert name in metrics, name
    assert re.search(r'degraded_responses_total\{reason="embeddings_\w+",service="recommender"\} [1-9]', metrics)


def test_sighup_reloads_the_newest_bundle(stack: tuple[ServiceProcess, ServiceProcess, Path]) -> None:
    _, recommender, root = stack
    newer = build_bundle(root.parent / "staging", [r for r in RECIPES if r["id"] != 101])

    async def version() -> str:
        async with RecommenderClient(recommender.address) as client:
            return (await client.model_info()).version

    before = asyncio.run(version())
    target = root / "99991231T235959-00c0ffee"
    shutil.copytree(newer, target)
    assert recommender.proc is not None
    recommender.proc.send_signal(signal.SIGHUP)

    async def wait_for_reload() -> str:
        for _ in range(300):
            current = await version()
            if current != before:
                return current
            await asyncio.sleep(0.05)
        return before

    assert asyncio.run(wait_for_reload()) == newer.name
    assert recommender.proc.poll() is None
