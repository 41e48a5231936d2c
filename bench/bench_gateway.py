"""Gateway latency and throughput: ``POST /v1/recommendations`` through the gateway, beside
direct gRPC ``Recommend`` on the same recommender in the same run.

Runs (DESIGN.md §9 targets in brackets):

* gateway, 4 in flight, ``lang`` given (served from the catalog's translation memory)
  [p50 <= 10 ms, p99 <= 30 ms];
* gateway, 4 in flight, ``lang`` null (``llm.DetectLanguage`` runs beside ``Recommend``);
* direct gRPC ``Recommend``, 4 in flight and 1 in flight, the baseline [1 in flight: p50 <= 5 ms];
* gateway, 32 in flight, throughput [>= 300 rps, p99 <= 250 ms, no errors].

The load generator is ``wrk`` when installed (``apt-get install wrk``): an httpx client
saturates its own core long before the gateway does (§9a). Without wrk, the 4-in-flight runs
use an asyncio httpx client and say so, and the 32-in-flight run is skipped.

The stack: the real services (embeddings, recommender on a bundle of the bundled catalog,
llm with the local backend) when they exist; otherwise in-process fake servicers, which
measure the gateway's own overhead only. The result says which.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
QUERIES = [
    ("healthy breakfast", "es"),
    ("ensalada de pollo y palta", "es"),
    ("algo vegano con garbanzos en menos de 30 minutos", "en"),
    ("chocolate dessert without eggs", "en"),
    ("sopa de verduras rápida", "es"),
    ("spicy noodles", "es"),
    ("pasta con tomate", "en"),
    ("grilled fish for dinner", "en"),
]

JSON_HEADERS = {"Content-Type": "application/json"}
WRK_SCRIPT = """
local queries = %(queries)s
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i %% #queries + 1
  return wrk.format(nil, "/v1/recommendations", nil, queries[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT {\\"p50_us\\": %%d, \\"p90_us\\": %%d, \\"p99_us\\": %%d, \\"requests\\": %%d, \\"duration_us\\": %%d, " ..
    "\\"socket_errors\\": %%d, \\"non_2xx\\": %%d}\\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99), summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


@dataclass
class Stack:
    kind: str  # "real services" or "fake services"
    gateway_url: str
    recommender_addr: str


def _bodies(with_lang: bool) -> list[str]:
    return [
        json.dumps({"query": q, "n": 5, **({"lang": lang} if with_lang else {})}, ensure_ascii=False)
        for q, lang in QUERIES
    ]


def _wait_http(url: str, timeout: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready after {timeout}s")


def _real_services_exist() -> bool:
    needed = ("services/recommender/__main__.py", "services/llm/__main__.py", "mlops/__main__.py")
    return all((ROOT / p).exists() for p in needed)


def _build_bundle(workdir: Path) -> str:
    """A bundle of the bundled catalog: RECOMMENDER_BUNDLE when set, else a fresh build."""
    if os.environ.get("RECOMMENDER_BUNDLE"):
        return os.environ["RECOMMENDER_BUNDLE"]
    artifacts = workdir / "artifacts"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "EMBEDDINGS_BACKEND": os.environ.get("EMBEDDINGS_BACKEND", "")}
    env = {k: v for k, v in env.items() if v}
    env.pop("MLFLOW_TRACKING_URI", None)  # keep the build's tracking inside the scratch dir
    done = subprocess.run(
        [sys.executable, "-m", "mlops", "--artifacts", str(artifacts), "build", "--no-progress"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"mlops build failed:\n{done.stderr[-3000:]}")
    manifests = sorted(artifacts.glob("bundles/*/manifest.json"))
    if not manifests:
        raise RuntimeError(f"mlops build wrote no bundle under {artifacts}")
    return str(manifests[-1].parent)


def _start_gateway(stack: ExitStack, workdir: Path, recommender_addr: str, llm_addr: str) -> str:
    from tests.support.processes import ServiceProcess

    gateway = ServiceProcess(
        "gateway",
        env={
            "RECOMMENDER_ADDR": recommender_addr,
            "LLM_ADDR": llm_addr,
            "RATE_LIMIT_PER_MINUTE": "0",
            "GATEWAY_API_KEYS": "",
            "REDIS_URL": "",
        },
        log_path=workdir / "gateway.log",
    )
    gateway.env["HTTP_PORT"] = str(gateway.port)
    gateway.start()
    stack.callback(gateway.terminate)
    url = f"http://127.0.0.1:{gateway.port}"
    _wait_http(url + "/readyz")
    return url


@contextmanager
def running_stack(workdir: Path) -> Iterator[Stack]:
    from tests.support.processes import ServiceProcess

    with ExitStack() as stack:
        if _real_services_exist():
            bundle = _build_bundle(workdir)
            embeddings = ServiceProcess("services.embeddings", log_path=workdir / "embeddings.log")
            embeddings.start()
            stack.callback(embeddings.terminate)
            embeddings.wait_serving(120)
            recommender = ServiceProcess(
                "services.recommender",
                env={"EMBEDDINGS_ADDR": embeddings.address, "RECOMMENDER_BUNDLE": bundle},
                log_path=workdir / "recommender.log",
            )
            llm = ServiceProcess(
                "services.llm",
                env={
                    "LLM_BACKEND": "local",
                    "DATABASE_URL": f"sqlite:///{workdir / 'conversations.db'}",
                    "EMBEDDINGS_ADDR": embeddings.address,
                },
                log_path=workdir / "llm.log",
            )
            recommender.start()
            stack.callback(recommender.terminate)
            recommender.wait_serving(120)
            llm.env["RECOMMENDER_ADDR"] = recommender.address
            llm.start()
            stack.callback(llm.terminate)
            llm.wait_serving(120)
            url = _start_gateway(stack, workdir, recommender.address, llm.address)
            yield Stack("real services", url, recommender.address)
        else:
            from tests.support.gateway_fakes import fake_services

            fakes = stack.enter_context(fake_services())
            url = _start_gateway(stack, workdir, fakes.recommender_addr, fakes.llm_addr)
            yield Stack("fake services (gateway overhead only)", url, fakes.recommender_addr)


def _lua_string(text: str) -> str:
    """A Lua string literal of ``text``'s UTF-8 bytes (LuaJIT has no \\u escapes)."""
    safe = (b for b in text.encode())
    return '"' + "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\{b:03d}" for b in safe) + '"'


def _wrk(url: str, connections: int, seconds: float, bodies: list[str], workdir: Path) -> dict[str, float]:
    lua_queries = "{" + ", ".join(_lua_string(b) for b in bodies) + "}"
    script = workdir / f"wrk_{connections}.lua"
    script.write_text(WRK_SCRIPT % {"queries": lua_queries})
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "5s", "-s", str(script), url]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    match = re.search(r"^RESULT (\{.*\})$", done.stdout, re.MULTILINE)
    if not match or done.stderr.strip():  # a broken script makes wrk fall back to plain GETs
        raise RuntimeError(f"wrk failed:\n{done.stdout}\n{done.stderr}")
    raw = json.loads(match.group(1))
    return {
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "requests": raw["requests"],
        "errors": raw["socket_errors"] + raw["non_2xx"],
    }


def _summary(latencies: list[float], errors: int, elapsed: float) -> dict[str, float]:
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000 if ordered else float("nan")

    return {
        "p50_ms": statistics.median(ordered) * 1000 if ordered else float("nan"),
        "p90_ms": pct(90),
        "p99_ms": pct(99),
        "rps": len(ordered) / elapsed,
        "requests": len(ordered),
        "errors": errors,
    }


async def _httpx_run(url: str, in_flight: int, seconds: float, bodies: list[str]) -> dict[str, float]:
    import httpx

    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def worker(offset: int, client: httpx.AsyncClient) -> None:
        nonlocal errors
        i = offset
        while time.perf_counter() < stop:
            body = bodies[i % len(bodies)].encode()
            i += 1
            started = time.perf_counter()
            response = await client.post("/v1/recommendations", content=body, headers=JSON_HEADERS)
            if response.status_code == 200:
                latencies.append(time.perf_counter() - started)
            else:
                errors += 1

    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, timeout=5) as client:
        await asyncio.gather(*(worker(k, client) for k in range(in_flight)))
    return _summary(latencies, errors, time.perf_counter() - started)


async def _grpc_run(address: str, in_flight: int, seconds: float) -> dict[str, float]:
    from gateway.clients import RECOMMENDER_IDEMPOTENT, RECOMMENDER_SERVICE
    from recipes.recommender.v1 import recommender_pb2, recommender_pb2_grpc
    from services.common.clients import create_channel

    latencies: list[float] = []
    errors = 0
    async with create_channel(address, RECOMMENDER_SERVICE, RECOMMENDER_IDEMPOTENT) as channel:
        stub = recommender_pb2_grpc.RecommenderServiceStub(channel)
        requests = [recommender_pb2.RecommendRequest(query=q, n=5, alpha=0.7) for q, _ in QUERIES]
        for request in requests:  # warm-up
            await stub.Recommend(request, timeout=5)
        stop = time.perf_counter() + seconds

        async def worker(offset: int) -> None:
            nonlocal errors
            i = offset
            while time.perf_counter() < stop:
                request = requests[i % len(requests)]
                i += 1
                started = time.perf_counter()
                try:
                    await stub.Recommend(request, timeout=5)
                    latencies.append(time.perf_counter() - started)
                except Exception:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(in_flight)))
    return _summary(latencies, errors, time.perf_counter() - started)


def _row(name: str, r: dict[str, Any]) -> str:
    return (
        f"  {name:<46} p50 {r['p50_ms']:7.2f} ms  p90 {r['p90_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms"
        f"  {r['rps']:8.0f} rps  errors {r['errors']:.0f}"
    )


def main(quick: bool = False) -> dict[str, Any]:
    seconds = 5.0 if quick else 15.0
    wrk = shutil.which("wrk")
    generator = "wrk (1 thread)" if wrk else "asyncio httpx client (wrk not installed; it saturates near 550 rps)"
    results: dict[str, Any] = {"load_generator": generator, "seconds_per_run": seconds}
    with tempfile.TemporaryDirectory(prefix="bench_gateway_") as tmp, running_stack(Path(tmp)) as stack:
        workdir = Path(tmp)
        results["stack"] = stack.kind
        print(f"stack: {stack.kind}\nload generator: {generator}", flush=True)

        def http_run(in_flight: int, with_lang: bool, duration: float) -> dict[str, float]:
            bodies = _bodies(with_lang)
            if wrk:
                return _wrk(stack.gateway_url, in_flight, duration, bodies, workdir)
            return asyncio.run(_httpx_run(stack.gateway_url, in_flight, duration, bodies))

        http_run(4, True, 2)  # warm-up: connections, caches, translations
        http_run(4, False, 2)
        runs = {
            "gateway_4_in_flight_lang_given": http_run(4, True, seconds),
            "gateway_4_in_flight_lang_detected": http_run(4, False, seconds),
            "grpc_recommend_4_in_flight": asyncio.run(_grpc_run(stack.recommender_addr, 4, seconds)),
            "grpc_recommend_1_in_flight": asyncio.run(_grpc_run(stack.recommender_addr, 1, seconds)),
        }
        if wrk:
            runs["gateway_32_in_flight_throughput"] = http_run(32, True, seconds)
        else:
            print("  32-in-flight throughput skipped: needs wrk", flush=True)
        results.update(runs)
    print("results:")
    for name, r in runs.items():
        print(_row(name, r))
    gw, direct = runs["gateway_4_in_flight_lang_given"], runs["grpc_recommend_4_in_flight"]
    results["gateway_overhead_p50_ms"] = gw["p50_ms"] - direct["p50_ms"]
    print(f"  gateway overhead at p50 (4 in flight, over direct gRPC): {results['gateway_overhead_p50_ms']:.2f} ms")
    print("targets: gateway 4 in flight p50 <= 10 ms, p99 <= 30 ms; 32 in flight >= 300 rps, p99 <= 250 ms")
    return results


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    print(json.dumps(main(quick=quick), indent=2))
