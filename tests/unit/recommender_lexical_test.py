"""The prebuilt lexical index: BM25 normalised to [0, 1], concepts across languages, persistence."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from services.recommender.lexical import LexicalIndex, document_terms, query_terms

DOCS = [
    (["chicken avocado salad"], ["chicken breasts", "avocados", "lettuce"]),
    (["ensalada de palta"], ["paltas", "tomate", "cebolla"]),
    (["chocolate cake"], ["flour", "eggs", "cocoa"]),
    (["beef stew"], ["beef", "potatoes", "carrots"]),
]


@pytest.fixture(scope="module")
def index() -> LexicalIndex:
    docs: list[Counter[str]] = [document_terms(names, lines) for names, lines in DOCS]
    return LexicalIndex.build(docs, len(docs))


def test_scores_are_normalised(index: LexicalIndex) -> None:
    rows = np.arange(len(DOCS))
    for query in ("chicken avocado salad", "aguacate", "cake", "nothing matches here"):
        scores = index.score_docs(query_terms(query), rows)
        assert ((scores >= 0) & (scores <= 1)).all()
    assert index.score_docs(query_terms("nothing matches here"), rows).tolist() == [0, 0, 0, 0]


def test_concepts_match_across_languages(index: LexicalIndex) -> None:
    rows, _ = index.top(query_terms("aguacate"), 5)
    assert set(rows.tolist()) == {0, 1}  # avocados (en) and paltas (es) are the same concept
    rows, _ = index.top(query_terms("pollo"), 5)
    assert rows.tolist() == [0]


def test_top_respects_allowed_and_ranks(index: LexicalIndex) -> None:
    allowed = np.array([False, True, True, True])
    rows, scores = index.top(query_terms("avocado salad"), 5, allowed=allowed)
    assert rows.tolist() == [1]
    rows, scores = index.top(query_terms("chicken avocado salad"), 5)
    assert rows[0] == 0 and list(scores) == sorted(scores, reverse=True)


def test_meal_words_find_their_tag() -> None:
    docs = [document_terms(["flan"], ["eggs"], ["desserts"]), document_terms(["stew"], ["beef"], ["main-dish"])]
    index = LexicalIndex.build(docs, 2)
    rows, _ = index.top(query_terms("postre"), 5)
    assert rows.tolist() == [0]


def test_save_and_load_round_trip(index: LexicalIndex, tmp_path: Path) -> None:
    index.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path)
    rows = np.arange(len(DOCS))
    terms = query_terms("chicken salad with avocado")
    assert loaded.score_docs(terms, rows).tolist() == index.score_docs(terms, rows).tolist()
    (tmp_path / "postings_doc.npy").write_bytes((tmp_path / "postings_doc.npy").read_bytes()[:-4])
    with pytest.raises(ValueError):
        LexicalIndex.load(tmp_path)


def test_free_text_scoring(index: LexicalIndex) -> None:
    terms = query_terms("avocado salad")
    good = index.score_text(terms, document_terms(["avocado salad"], ["avocado"]))
    bad = index.score_text(terms, document_terms(["beef stew"], ["beef"]))
    assert 0 < good <= 1 and bad == 0


def test_forward_index_scores_like_the_postings(index: LexicalIndex) -> None:
    from dataclasses import replace

    postings_only = replace(index, doc_ptr=None, doc_entries=None)
    rows = np.array([3, 0, 2, 1, 0])
    for query in ("chicken avocado salad", "aguacate tomate", "beef", "cake with eggs"):
        terms = query_terms(query)
        assert index.score_docs(terms, rows) == pytest.approx(postings_only.score_docs(terms, rows))


def test_forward_index_read_from_disk(index: LexicalIndex, tmp_path: Path) -> None:
    index.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path)
    assert loaded.doc_entries is None  # read with pread, not loaded
    rows = np.array([2, 0, 1])
    terms = query_terms("chicken avocado salad")
    assert loaded.score_docs(terms, rows).tolist() == index.score_docs(terms, rows).tolist()
