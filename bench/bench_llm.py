"""llm service: response-cache hit rate and fallback latency, beside same-run baselines.

Runs the real servicer in-process (grpc.aio) with the openai backend pointed at the fake
OpenAI-compatible server from tests/support, and a fake recommender. No network, no cost.

- cache: a Zipf-like stream of Translate requests (5 English-only recipes each, drawn from a
  pool); hit rate = items served from the cache / items needing a backend; HTTP calls counted.
  Baseline: the same stream with the cache off.
- fallback: AnswerQuestion latency when the provider returns 500s, when it hangs past the
  attempt timeout, and while it is in cooldown. Baselines: a healthy provider, local only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from recipes.common.v1 import common_pb2
from recipes.llm.v1 import llm_pb2
from tests.support.fake_openai import FakeOpenAI
from tests.unit.llm_support import TORTILLA, FakeRecommender, fake_recommender, llm_settings, recipe, served_llm

ES = common_pb2.LANGUAGE_ES


def responder(body: dict[str, Any]) -> str:
    payload = json.loads(body["messages"][-1]["content"])
    if "items" in payload:
        return json.dumps({"translations": [{"id": i["id"], "text": f"[es] {i['text']}"} for i in payload["items"]]})
    return json.dumps({"answer": "Tarda 45 minutos."})


def pool(size: int) -> list[common_pb2.Recipe]:
    return [
        recipe(
            300000 + i,
            f"dish number {i}",
            description=f"A family recipe number {i}.",
            ingredients=[f"{i % 7 + 1} cups of rice", "salt", f"{i} g of butter"],
            steps=[f"cook for {i} minutes", "serve hot"],
            minutes=10 + i,
        )
        for i in range(size)
    ]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def cache_run(requests: int, pool_size: int, cache_size: int, seed: int = 7) -> dict[str, float]:
    rng = random.Random(seed)
    recipes = pool(pool_size)
    weights = [1 / (rank + 1) for rank in range(pool_size)]  # Zipf(1): a few popular recipes
    with FakeOpenAI(chat_responder=responder) as fake, tempfile.TemporaryDirectory() as tmp:
        async with fake_recommender() as (address, _):
            settings = llm_settings(
                Path(tmp),
                address,
                llm_backend="openai",
                openai_base_url=fake.base_url,
                openai_api_key="bench",
                llm_cache_size=cache_size,
            )
            async with served_llm(settings) as (stub, _):
                cached = total = 0
                latencies = []
                for _ in range(requests):
                    chosen = rng.choices(recipes, weights=weights, k=5)
                    started = time.perf_counter()
                    response = await stub.Translate(llm_pb2.TranslateRequest(target_language=ES, recipes=chosen))
                    latencies.append(time.perf_counter() - started)
                    cached += response.cached_count
                    total += sum(2 + len(r.ingredients) + len(r.steps) for r in chosen)
                return {
                    "requests": requests,
                    "http_calls": len(fake.calls("/v1/chat/completions")),
                    "item_hit_rate": round(cached / total, 3),
                    "p50_ms": round(1000 * statistics.median(latencies), 2),
                }


async def fallback_run(samples: int) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    with FakeOpenAI(chat_responder=responder, hang_seconds=2.0) as fake, tempfile.TemporaryDirectory() as tmp:
        async with fake_recommender(FakeRecommender(recipes=[TORTILLA])) as (address, _):
            common = {
                "openai_base_url": fake.base_url,
                "openai_api_key": "bench",
                "llm_cache_size": 0,
                "llm_attempt_timeout_seconds": 0.5,
                "llm_max_attempts": 2,
            }
            scenarios: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
                ("baseline_local_only", {"llm_backend": "local"}, ()),
                ("baseline_healthy_provider", {"llm_backend": "openai", **common}, ()),
                (
                    "fallback_after_2x_500",
                    {"llm_backend": "openai", "llm_cooldown_seconds": 0, **common},
                    ("500", "500"),
                ),
                (
                    "fallback_after_2x_timeout",
                    {"llm_backend": "openai", "llm_cooldown_seconds": 0, **common},
                    ("timeout", "timeout"),
                ),
                ("fallback_in_cooldown", {"llm_backend": "openai", "llm_cooldown_failures": 1, **common}, ()),
            ]
            for name, overrides, faults in scenarios:
                settings = llm_settings(Path(tmp), address, **overrides)
                async with served_llm(settings) as (stub, _):
                    request = llm_pb2.AnswerQuestionRequest(recipe_id=TORTILLA.id, question="¿cuánto tarda?")
                    if name == "fallback_in_cooldown":
                        fake.inject("500", "500")
                        await stub.AnswerQuestion(request)  # trips the cooldown
                    latencies = []
                    backends = set()
                    n = samples if not faults or faults[0] != "timeout" else max(3, samples // 10)
                    for _ in range(n):
                        fake.inject(*faults)
                        started = time.perf_counter()
                        response = await stub.AnswerQuestion(request)
                        latencies.append(time.perf_counter() - started)
                        backends.add(response.backend)
                    fake.faults.clear()
                    out[name] = {
                        "samples": n,
                        "p50_ms": round(1000 * statistics.median(latencies), 2),
                        "p95_ms": round(1000 * percentile(latencies, 0.95), 2),
                        "backend": ",".join(sorted(backends)),  # type: ignore[dict-item]
                    }
    return out


def main(quick: bool = True) -> dict[str, Any]:
    requests = 200 if quick else 2000
    results: dict[str, Any] = {
        "cache": asyncio.run(cache_run(requests, pool_size=60, cache_size=20_000)),
        "cache_baseline_off": asyncio.run(cache_run(requests, pool_size=60, cache_size=0)),
        "fallback": asyncio.run(fallback_run(30 if quick else 200)),
    }
    c, b = results["cache"], results["cache_baseline_off"]
    print(f"Translate, 5 recipes/request, Zipf over 60 recipes, {requests} requests:")
    print(f"  cache on : item hit rate {c['item_hit_rate']:.1%}, {c['http_calls']} HTTP calls, p50 {c['p50_ms']} ms")
    print(f"  cache off: item hit rate {b['item_hit_rate']:.1%}, {b['http_calls']} HTTP calls, p50 {b['p50_ms']} ms")
    print("AnswerQuestion latency (attempt timeout 0.5 s, 2 attempts):")
    for name, figures in results["fallback"].items():
        print(
            f"  {name:28s} p50 {figures['p50_ms']:8.2f} ms  p95 {figures['p95_ms']:8.2f} ms  via {figures['backend']}"
        )
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    main(quick=parser.parse_args().quick)
