"""Recommender benchmark on a synthetic catalog: HNSW (usearch) beside exact search, same run.

What it measures (DESIGN §9 targets in brackets):
* direct gRPC ``Recommend`` p50 / p99 at 1 call in flight, through a real embeddings process
  [p50 <= 5 ms], for plain queries and for queries with constraints or a pantry;
* ANN recall@10 against exact search over the same float16 vectors [>= 0.98], both with
  ann-benchmarks' definition (a hit is any result whose true distance is within 1e-3 of the
  true 10th) and by ids, at k=10 and at the served candidate pool (k=100);
* RSS of the recommender process after the run [<= 400 MB];
* time from process start to grpc health SERVING [<= 2 s].

The catalog comes from ``mlops synth`` (names, ingredients, tags and ratings shaped like
Food.com). Vectors are the production model's: USE multilingual embeddings of the same
document texts ``mlops build`` embeds, computed once and cached by position under
``artifacts/bench/recommender`` (the first 230k run embeds for ~20 min on 2 cores; quick
mode's 20k take a couple of minutes once). Queries go through a real USE embeddings process.
``--vectors hashing`` uses the hashing backend instead: instant, but hashed bag-of-words
vectors are a much harder case for HNSW than sentence embeddings (recall drops to ~0.9), so
it is not the default. ``--bundle`` benchmarks an existing bundle. Built bundles are cached
too, so a second run skips the build.

Run: ``python -m bench.bench_recommender [--quick] [--n N] [--bundle PATH]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import grpc
import numpy as np
from grpc_health.v1 import health_pb2, health_pb2_grpc

from recipes.recommender.v1 import recommender_pb2, recommender_pb2_grpc

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "artifacts" / "bench" / "recommender"
FULL_N = 230_000
QUICK_N = 20_000
SEED = 0

CONSTRAINT_QUERIES = [
    "postre sin huevo",
    "vegan curry",
    "algo vegano con garbanzos en menos de 30 minutos",
    "quick chicken tacos",
    "desayuno rápido sin lácteos",
    "gluten-free pasta",
    "sopa sin carne",
    "cake without eggs or nuts",
    "tengo pollo, arroz y cebolla",
    "what can I make with eggs and spinach",
    "dinner under 20 minutes",
    "ensalada vegetariana",
]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MiB, from /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def _rss_breakdown(pid: int, top: int = 8) -> dict[str, float]:
    """Resident MiB per mapping (file name, or [anon]/[heap]), largest first."""
    sizes: dict[str, int] = {}
    current = "[anon]"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        parts = line.split()
        if parts and "-" in parts[0] and not parts[0].endswith(":"):
            current = Path(parts[5]).name if len(parts) >= 6 else "[anon]"
        elif parts and parts[0] == "Rss:":
            sizes[current] = sizes.get(current, 0) + int(parts[1])
    ranked = sorted(sizes.items(), key=lambda kv: -kv[1])[:top]
    return {name: round(kb / 1024, 1) for name, kb in ranked}


# -- catalog and bundle ---------------------------------------------------------------------------
def _synthetic_catalog(n: int, workdir: Path) -> Any:
    import pyarrow.parquet as pq

    from mlops.synth import synthesize

    synthesize(n, workdir, seed=SEED, fmt="parquet")
    return pq.read_table(workdir / "catalog.parquet")


def _documents(table: Any) -> list[str]:
    from mlops.documents import documents

    rows = table.select(["name", "cuisine", "tags", "ingredients", "localized"]).to_pylist()
    return [documents(r)[0] for r in rows]


def use_vectors(texts: list[str], progress_every: int = 10_000) -> np.ndarray:
    """USE embeddings of ``texts``, cached on disk by position (the synthetic catalog is
    deterministic: the first n documents of any size are the same), so the 230k embedding
    (about 20 min on 2 cores) is paid once and resumed if interrupted."""
    import asyncio

    from services.embeddings.backends.use_multilingual import UseMultilingualBackend

    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"use-vectors-seed{SEED}.npy"
    cached = np.load(path) if path.exists() else np.zeros((0, 512), dtype=np.float16)
    if len(cached) >= len(texts):
        out = np.asarray(cached[: len(texts)], dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)
    backend = UseMultilingualBackend()

    async def embed() -> np.ndarray:
        await backend.load()
        parts = [cached]
        done = checkpoint = len(cached)
        started = time.perf_counter()
        for start in range(done, len(texts), 512):
            block = await backend.embed(texts[start : start + 512], 2)
            parts.append(block.astype(np.float16))
            done = start + len(block)
            if done - checkpoint >= progress_every or done == len(texts):
                checkpoint = done
                np.save(path, np.concatenate(parts))
                rate = (done - len(cached)) / (time.perf_counter() - started)
                print(f"  USE embeddings: {done}/{len(texts)} ({rate:.0f} texts/s)", flush=True)
        await backend.close()
        return np.concatenate(parts)

    vectors = asyncio.run(embed())
    np.save(path, vectors)
    out = np.asarray(vectors[: len(texts)], dtype=np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def _hashing_vectors(texts: list[str]) -> np.ndarray:
    from services.embeddings.backends.hashing import HashingBackend

    backend = HashingBackend(dimensions=512)
    return np.concatenate([backend.encode_sync(texts[i : i + 20_000]) for i in range(0, len(texts), 20_000)])


def embed_texts(texts: list[str], kind: str) -> np.ndarray:
    return use_vectors(texts) if kind == "use" else _hashing_vectors(texts)


def embed_queries(texts: list[str], kind: str) -> np.ndarray:
    if kind == "hashing":
        return _hashing_vectors(texts)
    import asyncio

    from services.embeddings.backends.use_multilingual import UseMultilingualBackend

    backend = UseMultilingualBackend()

    async def run() -> np.ndarray:
        await backend.load()
        vectors = await backend.embed(texts, 1)
        await backend.close()
        return np.asarray(vectors, dtype=np.float32)

    return asyncio.run(run())


MODELS = {"use": ("use-multilingual-v3", "use-multilingual"), "hashing": ("hashing-tf-512", "hashing")}


def prepare_bundle(n: int, kind: str) -> tuple[Path, dict[str, Any]]:
    """Build (or reuse from the cache) a synthetic bundle of ``n`` recipes."""
    from services.recommender.bundle import latest_local_bundle, write_bundle
    from services.recommender.features import FEATURES_VERSION
    from services.recommender.index import HnswParams

    root = CACHE / f"synth-n{n}-seed{SEED}-{kind}"
    existing = latest_local_bundle(root)
    if existing is not None:
        manifest = json.loads((existing / "manifest.json").read_text())
        index = manifest.get("index", {})
        current = all(index.get(k) == v for k, v in HnswParams().as_dict().items())
        if (
            current
            and manifest.get("features_version") == FEATURES_VERSION
            and "lexical/doc_entries.npy" in manifest["files"]
        ):
            return existing, {"built": False}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        table = _synthetic_catalog(n, Path(tmp))
    synth_s = time.perf_counter() - started
    t0 = time.perf_counter()
    vectors = embed_texts(_documents(table), kind)
    embed_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    steps: dict[str, float] = {}
    last = [time.perf_counter(), ""]

    def progress(step: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if step != last[1]:
            if last[1]:
                steps[str(last[1])] = round(now - float(last[0]), 1)
            last[:] = [now, step]
            print(f"  bundle: {step} ...", flush=True)

    path = write_bundle(
        table,
        vectors,
        root,
        embedding={"model": MODELS[kind][0], "backend": MODELS[kind][1], "dimensions": 512},
        source={"kind": "bench-synthetic", "n": n, "seed": SEED, "vectors": kind},
        progress=progress,
        previous=None,
    )
    info = {
        "built": True,
        "synth_seconds": round(synth_s, 1),
        "embed_seconds": round(embed_s, 1),
        "write_bundle_seconds": round(time.perf_counter() - t0, 1),
        "steps_seconds": steps,
    }
    return path, info


# -- queries ---------------------------------------------------------------------------------------
def plain_queries(bundle_path: Path, count: int) -> list[str]:
    """Queries a person might type: a recipe's dish words plus one of its ingredients."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    table = ipc.open_file(pa.memory_map(str(bundle_path / "catalog.arrow"))).read_all()
    rng = random.Random(SEED)
    rows = rng.sample(range(table.num_rows), min(count, table.num_rows))
    names = table.column("name")
    ingredients = table.column("ingredients")
    out = []
    for row in rows:
        words = str(names[row].as_py()).split()
        items = ingredients[row].as_py() or []
        query = " ".join(words[-2:]) if len(words) > 2 else " ".join(words)
        if items:
            query += f" with {rng.choice(items)}"
        out.append(query)
    return out


# -- ANN recall ------------------------------------------------------------------------------------
def measure_recall(bundle_path: Path, queries: list[str]) -> dict[str, Any]:
    """HNSW against exact search, in-process, on the bundle's float16 vectors."""
    from services.recommender.bundle import load_bundle
    from services.recommender.index import ExactIndex, open_index

    bundle = load_bundle(bundle_path, verify_checksums=False)
    kind = "hashing" if bundle.manifest["embedding"]["backend"] == "hashing" else "use"
    qvecs = embed_queries(queries, kind)
    ann = open_index("usearch", vectors=bundle.vectors, bundle_dir=bundle_path, version=bundle.version)
    exact = ExactIndex(bundle.vectors)
    out: dict[str, Any] = {}
    exact_ms: list[float] = []
    for k in (10, 100):
        ann_ms: list[float] = []
        id_hits = eps_hits = 0
        for q in qvecs:
            t0 = time.perf_counter()
            e_rows, e_cos = exact.search(q, 10)
            if k == 10:
                exact_ms.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            a_rows, _ = ann.search(q, k)
            ann_ms.append((time.perf_counter() - t0) * 1000)
            # The served path re-scores the pool exactly and keeps the best 10.
            true_cos = np.asarray(bundle.vectors[np.sort(a_rows)], dtype=np.float32) @ q
            top = np.sort(a_rows)[np.argsort(-true_cos)[:10]]
            top_cos = np.sort(true_cos)[::-1][:10]
            id_hits += len(set(top.tolist()) & set(e_rows.tolist()))
            eps_hits += int((top_cos >= e_cos[-1] - 1e-3).sum())
        n = len(qvecs) * 10
        out[f"k{k}"] = {
            "recall_at_10": round(eps_hits / n, 4),
            "recall_at_10_by_id": round(id_hits / n, 4),
            "search_p50_ms": round(float(np.percentile(ann_ms, 50)), 3),
        }
    out["exact_search_p50_ms"] = round(float(np.percentile(exact_ms, 50)), 2)
    out["queries"] = len(qvecs)
    out["served_top10_agreement"] = _served_agreement(bundle, ann, exact, queries, qvecs)
    out["hnsw"] = {
        k: bundle.manifest["index"].get(k)
        for k in ("connectivity", "expansion_add", "expansion_search", "quantization", "i8_scale")
    }
    return out


def _served_agreement(bundle: Any, ann: Any, exact: Any, queries: list[str], qvecs: np.ndarray) -> float:
    """Overlap of the ten recipes Recommend returns with the HNSW index and with exact search.

    Raw ANN recall ignores that the engine re-scores a pool of 100, adds lexical candidates and
    blends popularity; this is the agreement a user would see.
    """
    import asyncio

    from services.recommender.engine import RecommenderEngine, RecommendQuery

    vectors = dict(zip(queries, qvecs, strict=True))

    class Known:
        model = ""

        async def embed_query(self, text: str) -> np.ndarray:
            return vectors[text]

        async def embed_documents(self, texts: list[str]) -> np.ndarray:
            return np.stack([vectors[t] for t in texts])

    async def agree() -> float:
        with_ann = RecommenderEngine(bundle, Known(), index=ann)
        with_exact = RecommenderEngine(bundle, Known(), index=exact)
        total = 0
        for query in queries:
            a = [r.id for r in (await with_ann.recommend(RecommendQuery(query, n=10))).recipes]
            b = [r.id for r in (await with_exact.recommend(RecommendQuery(query, n=10))).recipes]
            total += len(set(a) & set(b))
        return round(total / (10 * len(queries)), 4)

    return asyncio.run(agree())


# -- processes -------------------------------------------------------------------------------------
def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING", "LOG_FORMAT": "text", **extra}
    env.pop("PORT", None)
    return env


def _wait_serving(address: str, proc: subprocess.Popen[bytes], timeout: float = 180) -> float:
    started = time.perf_counter()
    # Short reconnect backoff: the default (1 s) would add up to a second to the measurement.
    options = [("grpc.initial_reconnect_backoff_ms", 20), ("grpc.max_reconnect_backoff_ms", 50)]
    with grpc.insecure_channel(address, options=options) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.perf_counter() - started < timeout:
            if proc.poll() is not None:
                raise RuntimeError(f"process exited with {proc.returncode}")
            try:
                status = stub.Check(health_pb2.HealthCheckRequest(), timeout=0.5).status
                if status == health_pb2.HealthCheckResponse.SERVING:
                    return time.perf_counter() - started
            except grpc.RpcError:
                pass
            time.sleep(0.01)
    raise TimeoutError(f"{address} not SERVING after {timeout}s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _latency(stub: Any, queries: list[str], n: int = 10) -> dict[str, Any]:
    times: list[float] = []
    degraded = 0
    for query in queries:
        t0 = time.perf_counter()
        response = stub.Recommend(recommender_pb2.RecommendRequest(query=query, n=n), timeout=10)
        times.append((time.perf_counter() - t0) * 1000)
        degraded += int(response.degraded)
    return {
        "p50_ms": round(float(np.percentile(times, 50)), 2),
        "p99_ms": round(float(np.percentile(times, 99)), 2),
        "mean_ms": round(float(np.mean(times)), 2),
        "calls": len(times),
        "degraded": degraded,
    }


def _start(bundle_path: Path, backend: str, embeddings_addr: str) -> tuple[subprocess.Popen[bytes], str, float]:
    """Start a recommender process; return it, its address and the seconds to SERVING."""
    port, metrics = _free_port(), _free_port()
    env = _env(
        {
            "RECOMMENDER_BUNDLE": str(bundle_path),
            "INDEX_BACKEND": backend,
            "EMBEDDINGS_ADDR": embeddings_addr,
            "GRPC_PORT": str(port),
            "METRICS_PORT": str(metrics),
            "RELOAD_POLL_SECONDS": "0",
            "EMBED_TIMEOUT_MS": "1000",
        }
    )
    proc = subprocess.Popen([sys.executable, "-m", "services.recommender"], cwd=ROOT, env=env)
    address = f"127.0.0.1:{port}"
    try:
        return proc, address, _wait_serving(address, proc)
    except BaseException:
        _stop(proc)
        raise


def _embed_latency(address: str, queries: list[str]) -> float:
    """p50 of one Embed call at 1 in flight (distinct texts, so the service cache misses)."""
    from recipes.embeddings.v1 import embeddings_pb2, embeddings_pb2_grpc

    times = []
    with grpc.insecure_channel(address) as channel:
        stub = embeddings_pb2_grpc.EmbeddingsServiceStub(channel)
        for i, query in enumerate(queries[:150]):
            t0 = time.perf_counter()
            stub.Embed(embeddings_pb2.EmbedRequest(texts=[f"{query} #{i}"]), timeout=10)
            times.append((time.perf_counter() - t0) * 1000)
    return round(float(np.percentile(times[20:], 50)), 2)


def run_recommender(
    bundle_path: Path, backend: str, embeddings_addr: str, plain: list[str], constrained: list[str]
) -> dict[str, Any]:
    # First start without the verification stamp: every file is sha256-checked, as on the
    # first start after a download. The second start is the usual restart.
    (bundle_path / ".verified.json").unlink(missing_ok=True)
    proc, _, cold_s = _start(bundle_path, backend, embeddings_addr)
    _stop(proc)
    proc, address, serving_s = _start(bundle_path, backend, embeddings_addr)
    try:
        rss_serving, _ = _rss_mb(proc.pid)
        with grpc.insecure_channel(address) as channel:
            stub = recommender_pb2_grpc.RecommenderServiceStub(channel)
            _latency(stub, plain[:30])  # warm-up: connections, caches, page faults
            plain_stats = _latency(stub, plain)
            constrained_stats = _latency(stub, constrained * max(1, 60 // len(constrained)))
            repeated_stats = _latency(stub, plain[:100])  # the same queries again: cached vectors
        rss, hwm = _rss_mb(proc.pid)
        breakdown = _rss_breakdown(proc.pid)
        return {
            "time_to_serving_s": round(serving_s, 2),
            "time_to_serving_full_verify_s": round(cold_s, 2),
            "rss_after_start_mb": round(rss_serving, 1),
            "rss_mb": round(rss, 1),
            "peak_rss_mb": round(hwm, 1),
            "plain": plain_stats,
            "constrained": constrained_stats,
            "repeated": repeated_stats,
            "rss_breakdown_mb": breakdown,
        }
    finally:
        _stop(proc)


def run(n: int, bundle: Path | None, queries: int, kind: str) -> dict[str, Any]:
    results: dict[str, Any] = {"vectors": kind}
    if bundle is None:
        print(f"preparing a synthetic bundle of {n} recipes, {kind} vectors (cached under {CACHE}) ...", flush=True)
        bundle, info = prepare_bundle(n, kind)
        results["bundle_build"] = info
    results["bundle"] = str(bundle)
    manifest = json.loads((bundle / "manifest.json").read_text())
    results["num_recipes"] = manifest["num_recipes"]
    results["bundle_mb"] = round(sum(f["bytes"] for f in manifest["files"].values()) / 2**20, 1)
    plain = plain_queries(bundle, queries)
    print(f"ANN recall on {len(plain)} queries ...", flush=True)
    results["recall"] = measure_recall(bundle, plain)

    emb_port = _free_port()
    dims = str(manifest["dims"])
    emb_env = _env(
        {
            "EMBEDDINGS_BACKEND": manifest["embedding"]["backend"],
            "EMBEDDINGS_DIMENSIONS": dims,
            "GRPC_PORT": str(emb_port),
            "METRICS_PORT": "0",
        }
    )
    emb = subprocess.Popen([sys.executable, "-m", "services.embeddings"], cwd=ROOT, env=emb_env)
    try:
        _wait_serving(f"127.0.0.1:{emb_port}", emb)
        results["embed_p50_ms"] = _embed_latency(f"127.0.0.1:{emb_port}", plain)
        for backend in ("usearch", "exact"):
            print(f"recommender with INDEX_BACKEND={backend} ...", flush=True)
            results[backend] = run_recommender(bundle, backend, f"127.0.0.1:{emb_port}", plain, CONSTRAINT_QUERIES)
    finally:
        _stop(emb)
    _print(results)
    return results


def _print(r: dict[str, Any]) -> None:
    print(
        f"\nrecommender benchmark: {r['num_recipes']} recipes, {r['vectors']} vectors, "
        f"bundle {r['bundle_mb']} MB ({r['bundle']})"
    )
    if r.get("bundle_build", {}).get("built"):
        print(f"  bundle build: {r['bundle_build']}")
    rec = r["recall"]
    if "skipped" not in rec:
        print(
            f"  ANN recall@10 vs exact: {rec['k10']['recall_at_10']:.4f} at k=10 "
            f"({rec['k10']['recall_at_10_by_id']:.4f} by id), {rec['k100']['recall_at_10']:.4f} at the served pool "
            f"k=100 ({rec['k100']['recall_at_10_by_id']:.4f} by id); search p50 {rec['k10']['search_p50_ms']} ms "
            f"(k=10) / {rec['k100']['search_p50_ms']} ms (k=100) vs exact {rec['exact_search_p50_ms']} ms"
        )
        print(f"  Recommend top-10 agreement, HNSW vs exact index: {rec['served_top10_agreement']:.4f}")
    header = f"  {'':28}{'usearch HNSW':>16}{'exact (baseline)':>18}   target"
    print(header)
    rows = [
        ("Recommend p50 (plain) ms", ("plain", "p50_ms"), "<= 5"),
        ("Recommend p99 (plain) ms", ("plain", "p99_ms"), ""),
        ("Recommend p50 (constraints)", ("constrained", "p50_ms"), ""),
        ("Recommend p99 (constraints)", ("constrained", "p99_ms"), ""),
        ("Recommend p50 (repeated)", ("repeated", "p50_ms"), ""),
        ("RSS after run MB", ("rss_mb",), "<= 400"),
        ("peak RSS MB", ("peak_rss_mb",), ""),
        ("time to SERVING s", ("time_to_serving_s",), "<= 2"),
        ("  first start (sha256 all)", ("time_to_serving_full_verify_s",), ""),
    ]
    for label, path, target in rows:
        values = []
        for backend in ("usearch", "exact"):
            value: Any = r[backend]
            for key in path:
                value = value[key]
            values.append(value)
        print(f"  {label:28}{values[0]:>16}{values[1]:>18}   {target}")
    degraded = r["usearch"]["plain"]["degraded"] + r["exact"]["plain"]["degraded"]
    print(f"  degraded answers during the run: {degraded} (must be 0)")
    print(f"  usearch process RSS by mapping (MB): {r['usearch']['rss_breakdown_mb']}")
    if "embed_p50_ms" in r:
        print(f"  embeddings service alone, Embed p50: {r['embed_p50_ms']} ms (the hop inside every Recommend)")


def main(quick: bool = False) -> dict[str, Any]:
    return run(QUICK_N if quick else FULL_N, None, 200 if quick else 500, "use")


def _cli() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_recommender")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_N} recipes instead of {FULL_N}")
    parser.add_argument("--n", type=int, default=0, help="catalog size (overrides --quick)")
    parser.add_argument("--bundle", type=Path, help="benchmark this bundle instead of a synthetic one")
    parser.add_argument("--queries", type=int, default=0, help="plain queries to time (default 200 quick, 500 full)")
    parser.add_argument(
        "--vectors", choices=["use", "hashing"], default="use", help="embeddings of the synthetic catalog"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    n = args.n or (QUICK_N if args.quick else FULL_N)
    results = run(n, args.bundle, args.queries or (200 if args.quick else 500), args.vectors)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(_cli())
