"""Ranking metrics on graded relevance, and small statistics helpers. Pure functions, no I/O."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def dcg(grades: Sequence[float]) -> float:
    """Discounted cumulative gain with exponential gain (2^g - 1), which rewards grade 3 over 1."""
    return sum((2.0**g - 1.0) / math.log2(i + 2) for i, g in enumerate(grades))


def ndcg_at_k(ranked: Sequence[int], relevance: Mapping[int, int], k: int = 10) -> float:
    ideal = dcg(sorted(relevance.values(), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([relevance.get(r, 0) for r in ranked[:k]]) / ideal


def recall_at_k(ranked: Sequence[int], relevance: Mapping[int, int], k: int = 10) -> float:
    relevant = {r for r, g in relevance.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def reciprocal_rank(ranked: Sequence[int], relevance: Mapping[int, int], k: int = 10) -> float:
    """1/rank of the first relevant result within the top k, else 0 (MRR@k when averaged)."""
    for i, r in enumerate(ranked[:k]):
        if relevance.get(r, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def overlap_at_k(a: Sequence[int], b: Sequence[int], k: int = 10) -> float:
    """Share of the top k two rankings have in common (order ignored): 1.0 means the same set."""
    top_a, top_b = set(a[:k]), set(b[:k])
    denom = max(len(top_a), len(top_b))
    return len(top_a & top_b) / denom if denom else 1.0


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else float("nan")
