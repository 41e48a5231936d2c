"""A prebuilt lexical index over recipe names, ingredients and tags, in both languages.

It serves two purposes: a lexical signal blended with the semantic one, and the whole
ranking when the embeddings service is down (degraded mode). It is built once by
``write_bundle`` and stored as plain ``.npy`` arrays so that loading it is a memory map,
not a rebuild (the recommender must be SERVING within 2 s at 230k recipes).

Scoring is BM25 with an absolute normalisation, so the score is comparable across queries
and lies in [0, 1]:

    lexical(q, d) = sum_{t in q ∩ d} idf(t) * sat(t, d) / sum_{t in q} idf(t)
    sat(t, d)     = tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avglen)) / (k1 + 1)

1.0 means every query term occurs, with a high term frequency, in a short document.
Terms are stems (see ``text.py``) plus ingredient concepts (``c:chicken``), so "pollo"
finds a recipe written in English that uses chicken. Name words count double. (The index
format is unchanged by the concept rules; the features version in the manifest tracks them.)
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from services.recommender.ingredients import kinds_in, scan
from services.recommender.query import TAG_ALIASES
from services.recommender.text import content_stems, fold

K1 = 1.2
B = 0.75
NAME_WEIGHT = 2
MAX_POSTINGS_FOR_RETRIEVAL = 2_000_000

_FILES = ("term_ptr.npy", "postings_doc.npy", "postings_sat.npy", "idf.npy", "vocab.json")


@lru_cache(maxsize=500_000)
def text_terms(text: str) -> tuple[str, ...]:
    """Terms of one name or ingredient line: content stems and concepts (with is-a ancestors).

    Cached: ingredient lines repeat across a catalog ("salt", "2 eggs"), so a 230k-recipe
    build parses each distinct line once.
    """
    return (*content_stems(text), *(f"c:{c}" for c in sorted(kinds_in(text))))


@lru_cache(maxsize=10_000)
def _tag_terms(tag: str) -> tuple[str, ...]:
    return tuple(content_stems(tag.replace("-", " ")))


def document_terms(names: Sequence[str], ingredient_lines: Sequence[str], tags: Sequence[str] = ()) -> Counter[str]:
    """Term frequencies of one recipe: name stems (weighted), ingredient stems and concepts."""
    terms: list[str] = []
    for name in names:
        terms.extend(text_terms(name) * NAME_WEIGHT)
    for line in ingredient_lines:
        terms.extend(text_terms(line))
    for tag in tags:
        terms.extend(_tag_terms(tag))
    return Counter(terms)


def query_terms(text: str) -> list[str]:
    """Distinct terms of a query: its stems, the concepts it names, and the catalog tag a meal
    or diet word stands for ("postre" also looks for the tag "desserts").

    Documents carry each concept with its is-a ancestors, queries only the concepts named:
    "carne" finds beef and chicken, "pollo" finds chicken but not beef."""
    terms = dict.fromkeys(content_stems(text))
    concepts, _ = scan(text)
    for concept in sorted(concepts):
        terms[f"c:{concept}"] = None
    for word in fold(text).split():
        tag = TAG_ALIASES.get(word)
        if tag:
            terms.update(dict.fromkeys(content_stems(tag.replace("-", " "))))
    return list(terms)


@dataclass
class LexicalIndex:
    """Inverted index: for term t, docs ``postings_doc[term_ptr[t]:term_ptr[t+1]]`` (ascending)."""

    vocab: dict[str, int]
    term_ptr: np.ndarray  # int64, len V+1
    postings_doc: np.ndarray  # int32, ascending within a term
    postings_sat: np.ndarray  # float16, sat(t, d) in [0, 1]
    idf: np.ndarray  # float32, len V
    num_docs: int
    avglen: float = 1.0
    # Forward index (doc -> its (term, sat) entries), for scoring a candidate pool: one pread
    # per candidate, where the postings of common terms would be read whole, and a memory
    # map read at random ends up wholly resident (read-ahead and fault-around).
    doc_ptr: np.ndarray | None = None  # int64, len N+1, in entries
    doc_entries: np.ndarray | None = None  # DOC_ENTRY records, in memory after a build
    _doc_file: _EntryFile | None = None  # the same records on disk, read with pread

    # -- build ------------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        documents: Iterable[Counter[str]],
        num_docs: int,
        progress: Callable[[int], None] | None = None,
    ) -> LexicalIndex:
        vocab: dict[str, int] = {}
        flat_terms: list[str] = []
        flat_tf: list[int] = []
        per_doc = np.zeros(num_docs, dtype=np.int64)
        lengths = np.zeros(num_docs, dtype=np.float32)
        for doc, counts in enumerate(documents):
            flat_terms.extend(counts.keys())
            flat_tf.extend(counts.values())
            per_doc[doc] = len(counts)
            lengths[doc] = float(sum(counts.values()))
            if progress and doc % 1000 == 0:
                progress(doc)
        get = vocab.setdefault
        all_terms = np.fromiter((get(t, len(vocab)) for t in flat_terms), dtype=np.int32, count=len(flat_terms))
        del flat_terms
        all_tf = np.asarray(flat_tf, dtype=np.float32)
        all_docs = np.repeat(np.arange(num_docs, dtype=np.int32), per_doc)
        order = np.lexsort((all_docs, all_terms))
        all_terms, all_docs, all_tf = all_terms[order], all_docs[order], all_tf[order]
        num_terms = len(vocab)
        df = np.bincount(all_terms, minlength=num_terms).astype(np.float64)
        term_ptr = np.zeros(num_terms + 1, dtype=np.int64)
        term_ptr[1:] = np.cumsum(df.astype(np.int64))
        idf = np.log1p((num_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        avglen = float(lengths[lengths > 0].mean()) if (lengths > 0).any() else 1.0
        norm = K1 * (1 - B + B * lengths[all_docs] / avglen)
        sat = (all_tf * (K1 + 1) / (all_tf + norm) / (K1 + 1)).astype(np.float16)
        by_doc = np.lexsort((all_terms, all_docs))
        doc_ptr = np.zeros(num_docs + 1, dtype=np.int64)
        doc_ptr[1:] = np.cumsum(np.bincount(all_docs, minlength=num_docs))
        entries = np.empty(len(by_doc), dtype=DOC_ENTRY)
        entries["term"] = all_terms[by_doc]
        entries["sat"] = sat[by_doc]
        return cls(vocab, term_ptr, all_docs.astype(np.int32), sat, idf, num_docs, avglen, doc_ptr, entries)

    # -- persistence ------------------------------------------------------------------------
    def save(self, directory: Path) -> list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / "term_ptr.npy", self.term_ptr)
        np.save(directory / "postings_doc.npy", self.postings_doc)
        np.save(directory / "postings_sat.npy", self.postings_sat)
        np.save(directory / "idf.npy", self.idf)
        terms = sorted(self.vocab, key=self.vocab.__getitem__)
        meta = {"num_docs": self.num_docs, "avglen": self.avglen, "terms": terms}
        (directory / "vocab.json").write_text(json.dumps(meta))
        written = [directory / f for f in _FILES]
        if self.doc_ptr is not None and self.doc_entries is not None:
            np.save(directory / "doc_ptr.npy", self.doc_ptr)
            np.save(directory / "doc_entries.npy", self.doc_entries)
            written += [directory / "doc_ptr.npy", directory / "doc_entries.npy"]
        return written

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        meta: dict[str, Any] = json.loads((directory / "vocab.json").read_text())
        terms: list[str] = meta["terms"]
        index = cls(
            vocab={t: i for i, t in enumerate(terms)},
            term_ptr=np.asarray(np.load(directory / "term_ptr.npy", mmap_mode="r")),
            postings_doc=np.asarray(np.load(directory / "postings_doc.npy", mmap_mode="r")),
            postings_sat=np.asarray(np.load(directory / "postings_sat.npy", mmap_mode="r")),
            idf=np.load(directory / "idf.npy"),
            num_docs=int(meta["num_docs"]),
            avglen=float(meta.get("avglen", 1.0)),
        )
        if (directory / "doc_ptr.npy").exists() and (directory / "doc_entries.npy").exists():
            index.doc_ptr = np.load(directory / "doc_ptr.npy")
            index._doc_file = _EntryFile(directory / "doc_entries.npy")
        index.check()
        return index

    def check(self) -> None:
        """Raise ValueError when the arrays are inconsistent (a truncated or mixed-up index)."""
        if len(self.term_ptr) != len(self.vocab) + 1 or len(self.idf) != len(self.vocab):
            raise ValueError("lexical index: vocabulary and term pointers disagree")
        if len(self.postings_doc) != len(self.postings_sat) or int(self.term_ptr[-1]) != len(self.postings_doc):
            raise ValueError("lexical index: postings length disagrees with term pointers")
        forward = self._doc_file.length if self._doc_file is not None else None
        if forward is None and self.doc_entries is not None:
            forward = len(self.doc_entries)
        if self.doc_ptr is not None and forward is not None:
            if len(self.doc_ptr) != self.num_docs + 1 or int(self.doc_ptr[-1]) != forward:
                raise ValueError("lexical index: forward index disagrees with the document count")
            if forward != len(self.postings_doc):
                raise ValueError("lexical index: forward index disagrees with the postings")

    # -- scoring ----------------------------------------------------------------------------
    def _known(self, terms: Sequence[str]) -> tuple[list[int], float]:
        ids = [self.vocab[t] for t in terms if t in self.vocab]
        # Unknown terms still count in the denominator with the highest idf: a query word
        # the catalog has never seen makes every match partial.
        unknown = sum(1 for t in terms if t not in self.vocab)
        max_idf = float(np.log1p((self.num_docs + 0.5) / 0.5))
        total = float(self.idf[ids].sum()) + unknown * max_idf
        return ids, total

    def score_docs(self, terms: Sequence[str], docs: np.ndarray) -> np.ndarray:
        """Lexical score in [0, 1] of each row in ``docs`` (any order) for the query terms."""
        scores = np.zeros(len(docs), dtype=np.float32)
        ids, total = self._known(terms)
        if not ids or total <= 0 or len(docs) == 0:
            return scores
        if self.doc_ptr is not None and (self._doc_file is not None or self.doc_entries is not None):
            positions = np.asarray(docs, dtype=np.int64)
            starts, ends = self.doc_ptr[positions], self.doc_ptr[positions + 1]
            if self._doc_file is not None:
                parts = [self._doc_file.read(int(s), int(e)) for s, e in zip(starts, ends, strict=True)]
            else:
                assert self.doc_entries is not None
                parts = [self.doc_entries[int(s) : int(e)] for s, e in zip(starts, ends, strict=True)]
            entries = np.concatenate(parts) if parts else np.zeros(0, dtype=DOC_ENTRY)
            owner = np.repeat(np.arange(len(positions)), ends - starts)
            hit = np.isin(entries["term"], np.asarray(ids, dtype=np.int32))
            weights = self.idf[entries["term"][hit]] * entries["sat"][hit].astype(np.float32)
            scores = np.bincount(owner[hit], weights=weights, minlength=len(positions)).astype(np.float32)
            return scores / total
        docs = np.asarray(docs, dtype=np.int32)
        for t in ids:
            start, end = int(self.term_ptr[t]), int(self.term_ptr[t + 1])
            posting = self.postings_doc[start:end]
            pos = np.searchsorted(posting, docs)
            pos_clipped = np.minimum(pos, max(len(posting) - 1, 0))
            hit = (pos < len(posting)) & (posting[pos_clipped] == docs) if len(posting) else np.zeros(len(docs), bool)
            if hit.any():
                sat = np.asarray(self.postings_sat[start:end][pos_clipped[hit]], dtype=np.float32)
                scores[hit] += self.idf[t] * sat
        return scores / total

    def top(
        self,
        terms: Sequence[str],
        k: int,
        allowed: np.ndarray | None = None,
        max_df: float = 1.0,
        min_df_limit: int = 5_000,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best rows for the query over the whole catalog, as (rows, scores).

        ``allowed`` (a boolean mask over rows) restricts the result, e.g. to rows that pass
        the filters. Rows with a zero score are never returned. ``max_df`` skips terms found
        in more than that share of the catalog (but never below ``min_df_limit`` recipes):
        when lexical matches only complement a semantic pool, common words ("chicken",
        "flour") add nothing but cost, and on a small catalog they cost nothing.
        """
        ids, total = self._known(terms)
        if max_df < 1.0:
            limit = max(max_df * self.num_docs, min_df_limit)
            ids = [t for t in ids if int(self.term_ptr[t + 1]) - int(self.term_ptr[t]) <= limit]
        if not ids or total <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        budget = MAX_POSTINGS_FOR_RETRIEVAL
        doc_parts: list[np.ndarray] = []
        weight_parts: list[np.ndarray] = []
        # Rare terms first: when a query is made of very common terms, the budget keeps the
        # cost bounded at the price of ignoring the least informative postings.
        for t in sorted(ids, key=lambda i: -float(self.idf[i])):
            start, end = int(self.term_ptr[t]), int(self.term_ptr[t + 1])
            if end - start > budget:
                end = start + budget
            budget -= end - start
            doc_parts.append(self.postings_doc[start:end])
            weight_parts.append(self.idf[t] * self.postings_sat[start:end].astype(np.float32))
            if budget <= 0:
                break
        docs = np.concatenate(doc_parts)
        weights = np.concatenate(weight_parts)
        if allowed is not None:
            keep = allowed[docs]
            docs, weights = docs[keep], weights[keep]
        if len(docs) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if 8 * len(docs) < self.num_docs:
            # Few postings: accumulate over the matching documents only.
            unique, inverse = np.unique(docs, return_inverse=True)
            acc = np.bincount(inverse, weights=weights).astype(np.float32)
        else:
            # Common terms: a dense accumulator is cheaper than sorting the postings.
            dense = np.bincount(docs, weights=weights, minlength=self.num_docs).astype(np.float32)
            unique = np.flatnonzero(dense)
            acc = dense[unique]
        k = min(k, len(unique))
        best = np.argpartition(-acc, k - 1)[:k] if k < len(unique) else np.arange(len(unique))
        best = best[np.lexsort((unique[best], -acc[best]))]
        return unique[best].astype(np.int64), acc[best] / total

    def score_text(self, terms: Sequence[str], document: Counter[str]) -> float:
        """Lexical score of a free text (not in the catalog) against the catalog's statistics."""
        ids, total = self._known(terms)
        if not ids or total <= 0:
            return 0.0
        length = float(sum(document.values())) or 1.0
        avglen = self.avglen
        score = 0.0
        terms_by_id = {self.vocab[t]: t for t in terms if t in self.vocab}
        for t in ids:
            tf = float(document.get(terms_by_id[t], 0))
            if tf:
                norm = K1 * (1 - B + B * length / avglen)
                score += float(self.idf[t]) * tf * (K1 + 1) / (tf + norm) / (K1 + 1)
        return score / total

    @property
    def nbytes(self) -> int:
        return int(self.term_ptr.nbytes + self.postings_doc.nbytes + self.postings_sat.nbytes + self.idf.nbytes)


LEXICAL_FILES = _FILES
DOC_ENTRY = np.dtype([("term", "<i4"), ("sat", "<f2")])


class _EntryFile:
    """Slices of a 1-d record ``.npy`` file, read with ``pread`` (see rowstore.py for why)."""

    def __init__(self, path: Path) -> None:
        from services.recommender.rowstore import npy_layout

        self._offset, shape, dtype = npy_layout(path)
        if dtype != DOC_ENTRY or len(shape) != 1:
            raise ValueError(f"{path} does not hold forward-index entries")
        self.length = int(shape[0])
        self._fd: int | None = os.open(path, os.O_RDONLY)

    def read(self, start: int, end: int) -> np.ndarray:
        if self._fd is None:
            raise RuntimeError("forward index is closed")
        size = DOC_ENTRY.itemsize
        data = os.pread(self._fd, (end - start) * size, self._offset + start * size)
        return np.frombuffer(data, dtype=DOC_ENTRY)

    def __del__(self) -> None:
        fd, self._fd = getattr(self, "_fd", None), None
        if fd is not None:
            os.close(fd)
