"""``mlops evaluate-embeddings``: does the embedding model do what ranking relies on?

- Cross-lingual retrieval: each recipe's Spanish name must retrieve its English name among all
  English names (and the reverse); accuracy@1 and @5. Pairs come from the catalog's localized
  text, so the test grows with the catalog and needs no extra labels.
- Paraphrase gap: mean cosine of paraphrase pairs (``resources/paraphrases.tsv``, es and en)
  minus the mean cosine of random pairs drawn from the same texts. A small gap means similarity
  scores barely separate meaning from noise, which makes the semantic part of the blend weak.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from mlops.config import MlopsSettings
from mlops.reports import write_report
from mlops.tracking import Tracker
from services.embeddings.backends.base import QUERY

PARAPHRASES = Path(__file__).parent / "resources" / "paraphrases.tsv"


@dataclass
class TextEncoder:
    """Embeds short texts as queries, in-process or through the service."""

    settings: MlopsSettings
    model: str = ""
    _backend: Any = None
    _client: Any = None

    async def __aenter__(self) -> TextEncoder:
        if self.settings.embeddings_addr:
            from services.embeddings.client import EmbeddingsClient

            self._client = EmbeddingsClient(self.settings.embeddings_addr)
            self.model = (await self._client.info()).model
        else:
            from mlops.embedding import embeddings_settings
            from services.embeddings.backends import create_backend

            self._backend = create_backend(embeddings_settings(self.settings.embeddings_backend))
            await self._backend.load()
            self.model = self._backend.model
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.close()
        if self._backend is not None:
            await self._backend.close()

    async def encode(self, texts: list[str]) -> np.ndarray:
        if self._client is not None:
            return await self._client.embed_bulk(texts, input_type=QUERY)
        out = [await self._backend.embed(texts[i : i + 256], QUERY) for i in range(0, len(texts), 256)]
        return np.concatenate(out) if out else np.zeros((0, 1), np.float32)


def load_paraphrases(path: Path = PARAPHRASES) -> list[tuple[str, str, str]]:
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            lang, a, b = line.split("\t")
            pairs.append((lang, a, b))
    return pairs


def translation_pairs(catalog: Path) -> list[tuple[str, str]]:
    rows = pq.read_table(catalog, columns=["name", "localized"]).to_pylist()
    pairs = []
    for row in rows:
        es = next((loc for loc in row["localized"] or [] if loc["language"] == "es" and loc["name"]), None)
        if es and row["name"]:
            pairs.append((row["name"], es["name"]))
    return pairs


def retrieval_accuracy(queries: np.ndarray, targets: np.ndarray, ks: tuple[int, ...] = (1, 5)) -> dict[int, float]:
    """Share of rows i whose own target i ranks within the top k of ``queries[i] @ targets.T``."""
    scores = queries @ targets.T
    own = np.diag(scores)
    rank = (scores > own[:, None]).sum(axis=1)  # 0 = best
    return {k: float((rank < k).mean()) for k in ks}


async def _evaluate(settings: MlopsSettings, catalog: Path, seed: int) -> dict[str, Any]:
    result: dict[str, Any] = {"catalog": str(catalog)}
    async with TextEncoder(settings) as encoder:
        result["model"] = encoder.model
        pairs = translation_pairs(catalog)
        result["translation_pairs"] = len(pairs)
        if pairs:
            en = await encoder.encode([p[0] for p in pairs])
            es = await encoder.encode([p[1] for p in pairs])
            es_to_en = retrieval_accuracy(es, en)
            en_to_es = retrieval_accuracy(en, es)
            result["crosslingual"] = {
                "es_to_en_acc@1": es_to_en[1],
                "es_to_en_acc@5": es_to_en[5],
                "en_to_es_acc@1": en_to_es[1],
                "en_to_es_acc@5": en_to_es[5],
                "translation_cosine_mean": float(np.mean(np.sum(en * es, axis=1))),
            }
        paraphrases = load_paraphrases()
        a = await encoder.encode([p[1] for p in paraphrases])
        b = await encoder.encode([p[2] for p in paraphrases])
        para = np.sum(a * b, axis=1)
        rng = random.Random(seed)
        order = list(range(len(paraphrases)))
        random_pairs = [(i, j) for i in order for j in [rng.choice([x for x in order if x != i])]]
        rand = np.asarray([float(a[i] @ b[j]) for i, j in random_pairs])
        result["paraphrase"] = {
            "pairs": len(paraphrases),
            "paraphrase_cosine_mean": float(para.mean()),
            "random_cosine_mean": float(rand.mean()),
            "gap": float(para.mean() - rand.mean()),
            # share of paraphrase pairs scoring above every random pair: the separation a threshold gets
            "separable_share": float((para > rand.max()).mean()),
        }
    return result


def evaluate_embeddings(settings: MlopsSettings, catalog: Path, *, seed: int = 0) -> tuple[dict[str, Any], Path]:
    with Tracker(settings, "evaluate-embeddings") as run:
        run.log_params({"catalog": str(catalog), "embeddings": settings.embeddings_addr or settings.embeddings_backend})
        result = asyncio.run(_evaluate(settings, catalog, seed))
        flat = {**result.get("crosslingual", {}), **{f"paraphrase_{k}": v for k, v in result["paraphrase"].items()}}
        run.log_metrics(flat)
        lines = [
            f"# Embedding evaluation ({result['model']})",
            "",
            f"Catalog: {catalog} ({result['translation_pairs']} Spanish/English name pairs)",
            "",
            "| metric | value |",
            "|---|---|",
        ]
        lines += [f"| {k} | {v:.3f} |" for k, v in flat.items()]
        json_path = write_report(settings.paths.reports, "evaluate-embeddings", result, "\n".join(lines) + "\n")
        run.log_artifact(json_path, "report")
        run.log_artifact(json_path.with_suffix(".md"), "report")
    return result, json_path
