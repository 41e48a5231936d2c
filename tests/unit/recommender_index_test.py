"""Vector index backends: HNSW against exact search, Qdrant local mode, the engine over each."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from services.recommender.bundle import load_bundle
from services.recommender.embedder import InProcessQueryEmbedder
from services.recommender.engine import RecommenderEngine, RecommendQuery
from services.recommender.index import ExactIndex, HnswParams, QdrantIndex, UsearchIndex, build_hnsw, open_index
from tests.unit.recommender_fixtures import build_bundle, hashing_backend


def clustered_unit_vectors(n: int, dims: int, seed: int = 7) -> np.ndarray:
    """Vectors with cluster structure, like real embeddings (uniform noise is HNSW's worst case)."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((max(1, n // 50), dims)).astype(np.float32)
    x = centers[rng.integers(0, len(centers), n)] + 0.35 * rng.standard_normal((n, dims)).astype(np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_hnsw_recall_against_exact(tmp_path: Path) -> None:
    vectors = clustered_unit_vectors(3000, 64)
    halves = vectors.astype(np.float16)
    info = build_hnsw(vectors, tmp_path / "ann.usearch", HnswParams())
    ann = UsearchIndex(tmp_path / "ann.usearch", scale=info["i8_scale"])
    exact = ExactIndex(halves)
    rng = np.random.default_rng(1)
    queries = vectors[rng.integers(0, len(vectors), 50)] + 0.1 * rng.standard_normal((50, 64)).astype(np.float32)
    hits = 0
    for q in queries:
        q = q / np.linalg.norm(q)
        ann_rows, ann_cos = ann.search(q, 10)
        exact_rows, exact_cos = exact.search(q, 10)
        hits += len(set(ann_rows.tolist()) & set(exact_rows.tolist()))
        assert exact_cos[0] == pytest.approx(float(halves[exact_rows[0]].astype(np.float32) @ q), abs=2e-3)
        assert list(ann_cos) == sorted(ann_cos, reverse=True)
    assert hits / 500 >= 0.95


def test_calibrated_int8_keeps_cosines_close_to_the_true_ones(tmp_path: Path) -> None:
    """usearch's own cast (x * 127, truncated) leaves 512-d unit vectors a few levels per
    component; the calibrated scale uses the whole int8 range, so the graph's cosines, and
    with them its top-10 order, stay close to exact."""
    vectors = clustered_unit_vectors(2000, 512)
    rng = np.random.default_rng(3)
    queries = vectors[rng.integers(0, len(vectors), 40)] + 0.05 * rng.standard_normal((40, 512)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    errors = {}
    for mode in ("calibrated", "usearch"):
        info = build_hnsw(vectors, tmp_path / f"{mode}.usearch", HnswParams(quantization=mode))
        assert ("i8_scale" in info) == (mode == "calibrated")
        ann = UsearchIndex(tmp_path / f"{mode}.usearch", scale=info.get("i8_scale"))
        gaps = []
        for q in queries:
            rows, cosines = ann.search(q, 10)
            gaps.extend(np.abs(cosines - vectors[rows] @ q).tolist())
        errors[mode] = float(np.mean(gaps))
    assert errors["calibrated"] < 0.01
    assert errors["calibrated"] < errors["usearch"] / 3, errors


def test_quantize_clips_queries_beyond_the_catalog_range() -> None:
    from services.recommender.index import calibrated_scale, quantize

    catalog = np.array([[0.5, -0.25], [0.1, 0.2]], dtype=np.float32)
    scale = calibrated_scale(catalog)
    assert scale == pytest.approx(254.0)
    assert quantize(catalog, scale).tolist() == [[127, -64], [25, 51]]
    assert quantize(np.array([0.9, -0.9], dtype=np.float32), scale).tolist() == [127, -127]


def test_open_index_searches_with_the_bundles_ef(tmp_path: Path) -> None:
    """usearch forgets ef when an index is saved; the bundle's manifest value must be applied."""
    bundle = load_bundle(build_bundle(tmp_path))
    index = open_index("usearch", vectors=bundle.vectors, bundle_dir=bundle.path, version=bundle.version)
    assert isinstance(index, UsearchIndex)
    assert index.expansion_search == bundle.manifest["index"]["expansion_search"] == HnswParams().expansion_search
    override = open_index(
        "usearch", vectors=bundle.vectors, bundle_dir=bundle.path, version=bundle.version, expansion_search=96
    )
    assert isinstance(override, UsearchIndex) and override.expansion_search == 96


def test_exact_index_ranks_by_cosine() -> None:
    vectors = clustered_unit_vectors(200, 16)
    index = ExactIndex(vectors.astype(np.float16))
    rows, cos = index.search(vectors[17], 5)
    assert rows[0] == 17 and cos[0] == pytest.approx(1.0, abs=1e-3)
    expected = np.argsort(-(vectors.astype(np.float16).astype(np.float32) @ vectors[17]))[:5]
    assert rows.tolist() == expected.tolist()
    assert len(index.search(vectors[0], 500)[0]) == 200


def test_qdrant_local_mode_matches_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    vectors = clustered_unit_vectors(300, 32).astype(np.float16)
    qdrant = QdrantIndex(vectors, "test-version", url=":memory:")
    exact = ExactIndex(vectors)
    for row in (0, 42, 299):
        q = vectors[row].astype(np.float32)
        q_rows, q_cos = qdrant.search(q, 10)
        e_rows, _ = exact.search(q, 10)
        assert q_rows[0] == row
        # Qdrant scores in float32, exact search in float16: the 10th place may differ on a near-tie.
        assert len(set(q_rows.tolist()) & set(e_rows.tolist())) >= 9
        assert q_cos[0] == pytest.approx(1.0, abs=1e-3)

    # Reopening finds the uploaded collection instead of uploading again.
    def no_upload(*args: object, **kwargs: object) -> None:
        raise AssertionError("uploaded an existing collection again")

    monkeypatch.setattr(type(qdrant.client), "upload_collection", no_upload)
    again = QdrantIndex(vectors, "test-version", url=":memory:")
    assert again.client.count(again.collection, exact=True).count == 300


@pytest.mark.parametrize("backend", ["usearch", "exact", "qdrant"])
async def test_engine_answers_the_same_with_every_backend(tmp_path: Path, backend: str) -> None:
    bundle = load_bundle(build_bundle(tmp_path))
    index = open_index(
        backend, vectors=bundle.vectors, bundle_dir=bundle.path, version=bundle.version, qdrant_url=":memory:"
    )
    assert index.name == backend
    engine = RecommenderEngine(bundle, InProcessQueryEmbedder(hashing_backend()), index=index)
    result = await engine.recommend(RecommendQuery("chicken avocado salad", n=3))
    assert result.recipes[0].id == 101


def test_usearch_falls_back_to_exact_without_an_ann_file(tmp_path: Path) -> None:
    bundle = load_bundle(build_bundle(tmp_path, index_backend="exact"))
    index = open_index("usearch", vectors=bundle.vectors, bundle_dir=bundle.path, version=bundle.version)
    assert index.name == "exact"
    with pytest.raises(ValueError, match="unknown index backend"):
        open_index("faiss", vectors=bundle.vectors, bundle_dir=bundle.path, version=bundle.version)
