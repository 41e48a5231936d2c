"""``mlops evaluate``: ranking quality of a bundle on the labelled queries, beside plain
semantic search, with latency and data-quality gates.

Two systems are measured on the same bundle and the same queries:

- ``recommender``: the serving engine (``services.recommender.engine.RecommenderEngine``) with
  its ANN index, query understanding, hybrid blend and filters, called in-process exactly as the
  service calls it (the query embedder wraps the same backend code).
- ``semantic``: the baseline the recommender must not fall below: the query's embedding against
  every recipe vector (exact search), top 10 by cosine, no popularity, no lexical score, no
  query understanding (alpha = 1).

Metrics: nDCG@10 (exponential gain on grades 1..3), recall@10, MRR@10, Spanish/English top-10
overlap on paired queries, and ranking latency p50/p95 (one query at a time, after a warm-up).
Gates: the catalog's data-quality report passed, and every labelled id exists in the bundle.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mlops.config import MlopsSettings
from mlops.datasets import EvalQuery, load_queries, query_pairs
from mlops.metrics import mean, ndcg_at_k, overlap_at_k, percentile, recall_at_k, reciprocal_rank
from mlops.reports import write_report
from mlops.tracking import Tracker

K = 10
HEADLINE = ("ndcg@10", "recall@10", "mrr@10", "crosslingual_overlap@10")


@dataclass
class SystemRun:
    """Rankings and latencies of one system over every query."""

    rankings: dict[str, list[int]] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    degraded: int = 0


def score(queries: list[EvalQuery], run: SystemRun) -> dict[str, Any]:
    """Headline metrics, plus breakdowns by language and by tag."""
    per_query = {
        q.id: {
            "ndcg@10": ndcg_at_k(run.rankings[q.id], q.relevance, K),
            "recall@10": recall_at_k(run.rankings[q.id], q.relevance, K),
            "mrr@10": reciprocal_rank(run.rankings[q.id], q.relevance, K),
        }
        for q in queries
    }
    pairs = query_pairs(queries)
    overlaps = [overlap_at_k(run.rankings[a.id], run.rankings[b.id], K) for a, b in pairs]

    def agg(ids: list[str]) -> dict[str, float]:
        return {m: mean([per_query[i][m] for i in ids]) for m in ("ndcg@10", "recall@10", "mrr@10")}

    metrics: dict[str, Any] = {
        **agg([q.id for q in queries]),
        "crosslingual_overlap@10": mean(overlaps) if overlaps else float("nan"),
        "pairs": len(pairs),
        "queries": len(queries),
        "latency_p50_ms": percentile(run.latencies_ms, 50),
        "latency_p95_ms": percentile(run.latencies_ms, 95),
        "degraded_responses": run.degraded,
    }
    by_lang = {lang: agg([q.id for q in queries if q.lang == lang]) for lang in ("es", "en")}
    tags = sorted({t for q in queries for t in q.tags})
    by_tag = {
        t: {**agg([q.id for q in queries if t in q.tags]), "queries": sum(t in q.tags for q in queries)} for t in tags
    }
    return {"metrics": metrics, "by_lang": by_lang, "by_tag": by_tag, "per_query": per_query}


class _Harness:
    """The bundle, the engine and the baseline, built once per evaluation."""

    def __init__(self, settings: MlopsSettings, bundle_dir: Path) -> None:
        from services.recommender.bundle import load_bundle

        self.settings = settings
        self.bundle = load_bundle(bundle_dir)
        self.backend: Any = None
        self.engine: Any = None
        self._vectors: np.ndarray | None = None

    async def __aenter__(self) -> _Harness:
        from mlops.embedding import embeddings_settings
        from services.embeddings.backends import create_backend
        from services.recommender.embedder import InProcessQueryEmbedder
        from services.recommender.engine import RecommenderEngine
        from services.recommender.index import open_index

        manifest = self.bundle.manifest
        backend_name = manifest["embedding"].get("backend") or self.settings.embeddings_backend
        dims = int(manifest["dims"])
        # One BLAS thread: a single short query gains nothing from more, and on a busy 2-core box
        # extra threads spin against other processes (DESIGN §9a), which would be measured as latency.
        self.backend = create_backend(embeddings_settings(str(backend_name), dims, threads=1))
        await self.backend.load()
        if self.backend.model != self.bundle.embedding_model:
            raise ValueError(
                f"bundle {self.bundle.path} was embedded with {self.bundle.embedding_model!r}; "
                f"backend {backend_name!r} gives {self.backend.model!r}"
            )
        index = open_index(
            manifest.get("index", {}).get("backend", "usearch"),
            vectors=self.bundle.vectors,
            bundle_dir=self.bundle.path,
            version=self.bundle.version,
        )
        self.engine = RecommenderEngine(self.bundle, InProcessQueryEmbedder(self.backend), index=index)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.engine is not None:
            self.engine.index.close()
        await self.backend.close()

    def _all_vectors(self) -> np.ndarray:
        if self._vectors is None:
            self._vectors = np.asarray(self.bundle.vectors, dtype=np.float32)
        return self._vectors

    async def recommender(self, query: EvalQuery) -> tuple[list[int], bool]:
        from services.recommender.engine import RecommendQuery

        result = await self.engine.recommend(RecommendQuery(query=query.query, n=K, language=query.lang))
        return [int(r.id) for r in result.recipes], bool(result.degraded)

    async def semantic(self, query: EvalQuery) -> list[int]:
        from services.embeddings.backends.base import QUERY

        vector = (await self.backend.embed([query.query], QUERY))[0]
        scores = self._all_vectors() @ np.asarray(vector, dtype=np.float32)
        top = np.argpartition(-scores, min(K, len(scores) - 1))[:K]
        top = top[np.argsort(-scores[top], kind="stable")]
        ids = np.asarray(self.bundle.ids)
        return [int(ids[i]) for i in top]


async def _run(settings: MlopsSettings, bundle_dir: Path, queries: list[EvalQuery]) -> dict[str, Any]:
    async with _Harness(settings, bundle_dir) as h:
        known = set(np.asarray(h.bundle.ids).tolist())
        missing = sorted({rid for q in queries for rid in q.relevance if rid not in known})
        for q in queries[:3]:  # warm-up: first calls pay lazy loading, not ranking
            await h.recommender(q)
            await h.semantic(q)
        rec, sem = SystemRun(), SystemRun()
        for q in queries:
            started = time.perf_counter()
            rec.rankings[q.id], degraded = await h.recommender(q)
            rec.latencies_ms.append((time.perf_counter() - started) * 1000)
            rec.degraded += degraded
            started = time.perf_counter()
            sem.rankings[q.id] = await h.semantic(q)
            sem.latencies_ms.append((time.perf_counter() - started) * 1000)
        return {
            "bundle": str(h.bundle.path),
            "bundle_version": h.bundle.version,
            "content_hash": h.bundle.manifest.get("content_hash", ""),
            "embedding_model": h.bundle.embedding_model,
            "num_recipes": h.bundle.num_recipes,
            "missing_labelled_ids": missing,
            "recommender": score(queries, rec),
            "semantic": score(queries, sem),
            "rankings": {"recommender": rec.rankings, "semantic": sem.rankings},
        }


def quality_gates(result: dict[str, Any], quality_report: Path | None) -> list[dict[str, Any]]:
    gates = []
    status = "missing"
    if quality_report is not None and quality_report.exists():
        status = json.loads(quality_report.read_text()).get("status", "missing")
    gates.append(
        {"gate": "data_quality", "passed": status in ("pass", "warn"), "detail": f"{quality_report}: {status}"}
    )
    missing = result["missing_labelled_ids"]
    gates.append(
        {
            "gate": "labels_in_catalog",
            "passed": not missing,
            "detail": f"{len(missing)} labelled ids absent from the bundle" + (f": {missing[:10]}" if missing else ""),
        }
    )
    degraded = result["recommender"]["metrics"]["degraded_responses"]
    gates.append(
        {
            "gate": "no_degraded_answers",
            "passed": degraded == 0,
            "detail": f"{degraded} answers were degraded (semantic signal missing)",
        }
    )
    return gates


def markdown(result: dict[str, Any]) -> str:
    rec, sem = result["recommender"]["metrics"], result["semantic"]["metrics"]
    lines = [
        f"# Evaluation of bundle {result['bundle_version']}",
        "",
        f"{rec['queries']} labelled queries ({rec['pairs']} es/en pairs), {result['num_recipes']} recipes, "
        f"embeddings {result['embedding_model']}.",
        "",
        "| metric | recommender | plain semantic (alpha=1) | delta |",
        "|---|---|---|---|",
    ]
    for m in (*HEADLINE, "latency_p50_ms", "latency_p95_ms"):
        lines.append(f"| {m} | {rec[m]:.3f} | {sem[m]:.3f} | {rec[m] - sem[m]:+.3f} |")
    lines += [
        "",
        "## By language",
        "",
        "| lang | nDCG@10 rec | nDCG@10 sem | recall@10 rec | recall@10 sem |",
        "|---|---|---|---|---|",
    ]
    for lang, values in result["recommender"]["by_lang"].items():
        base = result["semantic"]["by_lang"][lang]
        lines.append(
            f"| {lang} | {values['ndcg@10']:.3f} | {base['ndcg@10']:.3f} | "
            f"{values['recall@10']:.3f} | {base['recall@10']:.3f} |"
        )
    lines += ["", "## By query tag", "", "| tag | queries | nDCG@10 rec | nDCG@10 sem |", "|---|---|---|---|"]
    for tag, values in result["recommender"]["by_tag"].items():
        base = result["semantic"]["by_tag"][tag]
        lines.append(f"| {tag} | {values['queries']} | {values['ndcg@10']:.3f} | {base['ndcg@10']:.3f} |")
    lines += ["", "## Gates", ""]
    lines += [f"- {'PASS' if g['passed'] else 'FAIL'} {g['gate']}: {g['detail']}" for g in result["gates"]]
    return "\n".join(lines) + "\n"


def evaluate(
    settings: MlopsSettings,
    bundle_dir: Path,
    queries_path: Path,
    *,
    quality_report: Path | None = None,
    parent_run_id: str | None = None,
) -> tuple[dict[str, Any], Path]:
    """Evaluate ``bundle_dir``; returns the result (with ``gates``) and the JSON report path."""
    queries = load_queries(queries_path)
    with Tracker(settings, "evaluate", parent_run_id=parent_run_id) as run:
        run.log_params({"bundle": str(bundle_dir), "queries": str(queries_path), "k": K})
        result = asyncio.run(_run(settings, bundle_dir, queries))
        result["gates"] = quality_gates(result, quality_report)
        result["passed"] = all(g["passed"] for g in result["gates"])
        result["metrics"] = result["recommender"]["metrics"]
        run.log_metrics(result["recommender"]["metrics"])
        run.log_metrics({f"semantic_{k}": v for k, v in result["semantic"]["metrics"].items()})
        run.log_metrics(
            {f"{lang}_{k}": v for lang, vals in result["recommender"]["by_lang"].items() for k, v in vals.items()}
        )
        run.set_tags(
            {
                "bundle_version": result["bundle_version"],
                "content_hash": result["content_hash"],
                "gates": "pass" if result["passed"] else "fail",
            }
        )
        json_path = write_report(settings.paths.reports, "evaluate", result, markdown(result))
        run.log_artifact(json_path, "report")
        run.log_artifact(json_path.with_suffix(".md"), "report")
    return result, json_path
