"""Ranking metrics, the labelled-query loader and pairing."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from mlops.datasets import DatasetError, load_queries, query_pairs
from mlops.metrics import ndcg_at_k, overlap_at_k, percentile, recall_at_k, reciprocal_rank


def test_ndcg_rewards_the_best_grade_first() -> None:
    relevance = {1: 3, 2: 1}
    assert ndcg_at_k([1, 2, 9], relevance) == pytest.approx(1.0)
    swapped = ndcg_at_k([2, 1, 9], relevance)
    expected = (1 + 7 / math.log2(3)) / (7 + 1 / math.log2(3))
    assert swapped == pytest.approx(expected)
    assert ndcg_at_k([9, 8], relevance) == 0.0
    assert ndcg_at_k([1], {}) == 0.0


def test_recall_and_mrr_at_k() -> None:
    relevance = {1: 2, 2: 1, 3: 1}
    assert recall_at_k([5, 1, 2], relevance) == pytest.approx(2 / 3)
    assert recall_at_k([5, 1, 2], relevance, k=2) == pytest.approx(1 / 3)
    assert reciprocal_rank([5, 6, 3], relevance) == pytest.approx(1 / 3)
    assert reciprocal_rank([5, 6, 3], relevance, k=2) == 0.0


def test_overlap_ignores_order() -> None:
    assert overlap_at_k([1, 2, 3], [3, 2, 1], k=3) == 1.0
    assert overlap_at_k([1, 2, 3, 4], [1, 2, 7, 8], k=4) == 0.5
    assert overlap_at_k([], [], k=10) == 1.0


def test_percentile_interpolates() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == pytest.approx(2.5)
    assert percentile([5.0], 95) == 5.0
    assert math.isnan(percentile([], 95))


def _write(path: Path, lines: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return path


def test_pairs_by_group_id_or_by_query_id(tmp_path: Path) -> None:
    lines = [
        {"id": "a", "lang": "es", "query": "sopa", "pair_id": "g1", "relevance": {"1": 3}},
        {"id": "b", "lang": "en", "query": "soup", "pair_id": "g1", "relevance": {"1": 3}},
        {"id": "c", "lang": "es", "query": "postre", "pair_id": "d", "relevance": {"2": 2}},
        {"id": "d", "lang": "en", "query": "dessert", "pair_id": None, "relevance": {"2": 2}},
        {"id": "e", "lang": "en", "query": "alone", "relevance": {"3": 1}},
    ]
    queries = load_queries(_write(tmp_path / "q.jsonl", lines))
    pairs = {(a.id, b.id) for a, b in query_pairs(queries)}
    assert pairs == {("a", "b"), ("c", "d")}


def test_bad_query_line_names_line_and_field(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "q.jsonl",
        [
            {"id": "a", "lang": "es", "query": "sopa", "relevance": {"1": 3}},
            {"id": "b", "lang": "fr", "query": "soupe", "relevance": {"1": 3}},
        ],
    )
    with pytest.raises(DatasetError, match=r"line 2, field 'lang'"):
        load_queries(path)
    _write(path, [{"id": "a", "lang": "es", "query": "sopa", "relevance": {"1": 7}}])
    with pytest.raises(DatasetError, match=r"line 1, field 'relevance'"):
        load_queries(path)
