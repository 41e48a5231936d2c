"""The embedding cache: content-addressed, persistent, append-only, compactable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mlops import embed_cache
from mlops.embed_cache import EmbeddingCache, content_key


def _vectors(n: int, dims: int = 8, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dims)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_key_depends_on_model_and_text() -> None:
    assert content_key("m1", "soup") == content_key("m1", "soup")
    assert content_key("m1", "soup") != content_key("m2", "soup")
    assert content_key("m1", "soup") != content_key("m1", "soup ")


def test_round_trip_and_persistence(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path, "model-a", 8)
    keys = [cache.key(t) for t in ("a", "b", "c")]
    assert cache.missing(keys) == [0, 1, 2]
    vectors = _vectors(3)
    cache.add(keys, vectors)
    again = EmbeddingCache(tmp_path, "model-a", 8)  # a later build
    assert again.missing(keys) == []
    np.testing.assert_allclose(again.get(keys[::-1]), vectors[::-1], atol=1e-3)  # float16 precision
    new = [again.key("d"), *keys]
    assert again.missing(new) == [0]


def test_models_do_not_share_entries(tmp_path: Path) -> None:
    EmbeddingCache(tmp_path, "model-a", 8).add([content_key("model-a", "x")], _vectors(1))
    other = EmbeddingCache(tmp_path, "model-b", 8)
    assert other.missing([other.key("x")]) == [0]


def test_dimension_mismatch_is_refused(tmp_path: Path) -> None:
    EmbeddingCache(tmp_path, "model-a", 8)
    with pytest.raises(ValueError, match="dims=16"):
        EmbeddingCache(tmp_path, "model-a", 16)


def test_compaction_keeps_every_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embed_cache, "COMPACT_AFTER_SEGMENTS", 3)
    cache = EmbeddingCache(tmp_path, "m", 8)
    texts = [f"t{i}" for i in range(10)]
    vectors = _vectors(10)
    for i in range(10):  # ten builds adding one text each
        cache.add([cache.key(texts[i])], vectors[i : i + 1])
    assert len(list((tmp_path / "m").glob("*.keys.npy"))) <= 3
    reopened = EmbeddingCache(tmp_path, "m", 8)
    assert len(reopened) == 10
    np.testing.assert_allclose(reopened.get([reopened.key(t) for t in texts]), vectors, atol=1e-3)


def test_a_half_written_segment_is_ignored(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path, "m", 8)
    cache.add([cache.key("a")], _vectors(1))
    (tmp_path / "m" / "99999999999999999999-5.vecs.tmp.npy").write_bytes(b"partial")
    assert len(EmbeddingCache(tmp_path, "m", 8)) == 1
