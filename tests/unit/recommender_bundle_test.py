"""Bundles: write, load, validation, refusal of broken bundles, URI resolution."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from services.recommender.bundle import (
    BundleError,
    latest_local_bundle,
    load_bundle,
    resolve_bundle_uri,
    write_bundle,
)
from services.recommender.catalog import CATALOG_SCHEMA
from services.recommender.index import ANN_FILE, UsearchIndex, open_index
from tests.unit.recommender_fixtures import DIMS, RECIPES, build_bundle, catalog, vectors_for


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bundle(tmp_path_factory.mktemp("bundles"))


def test_layout_and_manifest(bundle_dir: Path) -> None:
    manifest = json.loads((bundle_dir / "manifest.json").read_text())
    assert re.fullmatch(r"\d{8}T\d{6}-[0-9a-f]{8}", manifest["version"])
    assert bundle_dir.name == manifest["version"]
    assert manifest["version"].endswith(manifest["content_hash"][:8])
    assert manifest["format_version"] == 1
    assert manifest["num_recipes"] == len(RECIPES)
    assert manifest["dims"] == DIMS
    assert manifest["embedding"] == {"model": f"hashing-tf-{DIMS}", "backend": "hashing", "dimensions": DIMS}
    assert manifest["index"]["backend"] == "usearch"
    assert manifest["index"]["dtype"] == "i8"
    assert set(manifest["popularity"]) >= {"mean", "weight", "formula"}
    for name in ("catalog.parquet", "catalog.arrow", "vectors.f16.npy", ANN_FILE, "lexical/vocab.json"):
        entry = manifest["files"][name]
        assert entry["bytes"] == (bundle_dir / name).stat().st_size
        assert re.fullmatch(r"[0-9a-f]{64}", entry["sha256"])
    assert not list(bundle_dir.parent.glob(".tmp-*"))


def test_load_memory_maps_vectors_and_adds_popularity(bundle_dir: Path) -> None:
    bundle = load_bundle(bundle_dir)
    assert isinstance(bundle.vectors.base, np.memmap) and not bundle.vectors.flags.owndata
    assert bundle.vectors.dtype == np.float16
    assert bundle.vectors.shape == (len(RECIPES), DIMS)
    assert np.allclose(np.linalg.norm(bundle.vectors.astype(np.float32), axis=1), 1.0, atol=1e-2)
    assert bundle.catalog.column_names[: len(CATALOG_SCHEMA)] == CATALOG_SCHEMA.names
    assert ((bundle.popularity >= 0) & (bundle.popularity <= 1)).all()
    row = bundle.row_of(107)
    assert row is not None and bundle.recipe(row)["name"] == "chocolate cake"
    assert bundle.row_of(999_999) is None
    # The unrated recipe gets exactly the prior mean.
    unrated = bundle.row_of(130)
    assert unrated is not None
    assert bundle.bayesian[unrated] == pytest.approx(bundle.manifest["popularity"]["mean"])
    assert len(UsearchIndex(bundle_dir / ANN_FILE)) == len(RECIPES)


def test_same_content_gets_the_same_hash(tmp_path: Path, bundle_dir: Path) -> None:
    other = build_bundle(tmp_path)
    assert (
        json.loads((other / "manifest.json").read_text())["content_hash"]
        == json.loads((bundle_dir / "manifest.json").read_text())["content_hash"]
    )


def _copy(bundle_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / bundle_dir.name
    shutil.copytree(bundle_dir, target)
    return target


def test_corrupted_file_is_refused(bundle_dir: Path, tmp_path: Path) -> None:
    broken = _copy(bundle_dir, tmp_path)
    data = bytearray((broken / "vectors.f16.npy").read_bytes())
    data[-3] ^= 0xFF
    (broken / "vectors.f16.npy").write_bytes(bytes(data))
    with pytest.raises(BundleError, match=r"vectors\.f16\.npy does not match its sha256"):
        load_bundle(broken)


def test_truncated_file_is_refused_even_without_checksums(bundle_dir: Path, tmp_path: Path) -> None:
    broken = _copy(bundle_dir, tmp_path)
    path = broken / "catalog.arrow"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(BundleError, match=r"catalog\.arrow has 100 bytes"):
        load_bundle(broken, verify_checksums=False)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda m: m.pop("dims"), "manifest lacks 'dims'"),
        (lambda m: m.update(format_version=99), "format_version 99 is not supported"),
        (lambda m: m.update(num_recipes=3), "vectors have shape (30, 256), expected (3, 256)"),
        (lambda m: m["files"].pop("catalog.arrow"), "manifest does not list catalog.arrow"),
    ],
)
def test_inconsistent_manifest_is_refused(bundle_dir: Path, tmp_path: Path, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    broken = _copy(bundle_dir, tmp_path)
    manifest = json.loads((broken / "manifest.json").read_text())
    mutate(manifest)
    (broken / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match=re.escape(message)):
        load_bundle(broken)


def test_missing_manifest_and_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match=r"manifest\.json is missing"):
        load_bundle(tmp_path)
    with pytest.raises(BundleError, match="is not a directory"):
        load_bundle(tmp_path / "nope")


def test_write_rejects_bad_inputs(tmp_path: Path) -> None:
    table = catalog()
    vectors = vectors_for(RECIPES)
    embedding = {"model": "m", "backend": "b", "dimensions": DIMS}
    with pytest.raises(ValueError, match="unit rows"):
        write_bundle(table, vectors * 2, tmp_path, embedding=embedding, source={})
    with pytest.raises(ValueError, match="shape"):
        write_bundle(table, vectors[:3], tmp_path, embedding=embedding, source={})
    with pytest.raises(ValueError, match="ids must be unique"):
        dup = catalog([RECIPES[0], RECIPES[0]])
        write_bundle(dup, vectors[:2], tmp_path, embedding=embedding, source={})
    with pytest.raises(ValueError, match="lacks column"):
        write_bundle(table.drop(["tags"]), vectors, tmp_path, embedding=embedding, source={})
    assert not list(tmp_path.iterdir())


def test_exact_backend_bundle_has_no_ann_file(tmp_path: Path) -> None:
    path = build_bundle(tmp_path, RECIPES[:5], index_backend="exact")
    assert not (path / ANN_FILE).exists()
    assert load_bundle(path).num_recipes == 5


def test_progress_is_reported(tmp_path: Path) -> None:
    steps: list[str] = []
    write_bundle(
        catalog(RECIPES[:4]),
        vectors_for(RECIPES[:4]),
        tmp_path,
        embedding={"model": "m", "backend": "b", "dimensions": DIMS},
        source={},
        progress=lambda step, done, total: steps.append(step),
    )
    assert {"popularity", "ann-index", "lexical-index", "features", "checksums"} <= set(steps)


def test_latest_and_resolution_of_paths(tmp_path: Path) -> None:
    assert latest_local_bundle(tmp_path) is None
    older = build_bundle(tmp_path, RECIPES[:4])
    newer_name = "99991231T235959-deadbeef"
    newer = tmp_path / newer_name
    shutil.copytree(older, newer)
    (tmp_path / ".tmp-half-written").mkdir()
    assert latest_local_bundle(tmp_path) == newer
    assert resolve_bundle_uri(str(older)) == older
    assert resolve_bundle_uri(str(tmp_path)) == newer
    assert resolve_bundle_uri(f"file://{older}") == older
    with pytest.raises(BundleError, match="neither a bundle nor a directory of bundles"):
        resolve_bundle_uri(str(tmp_path / "empty"))
    with pytest.raises(BundleError, match="unsupported bundle URI"):
        resolve_bundle_uri("s3://bucket/bundle")
    with pytest.raises(BundleError, match="cannot parse model URI"):
        resolve_bundle_uri("models:/recipe-recommender")


def test_mlflow_alias_resolves_and_downloads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """models:/name@alias through a real (SQLite) MLflow registry, with a run-artifact source."""
    from mlflow.tracking import MlflowClient

    bundle = build_bundle(tmp_path / "bundles", RECIPES[:4])
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.create_experiment("bundles", artifact_location=str(tmp_path / "mlruns"))
    run = client.create_run(experiment)
    client.log_artifacts(run.info.run_id, str(bundle), "bundle")
    client.set_terminated(run.info.run_id)
    client.create_registered_model("recipe-recommender")
    v1 = client.create_model_version("recipe-recommender", source=str(bundle), run_id=run.info.run_id)
    v2 = client.create_model_version(
        "recipe-recommender", source=f"runs:/{run.info.run_id}/bundle", run_id=run.info.run_id
    )
    client.set_registered_model_alias("recipe-recommender", "champion", v1.version)
    client.set_registered_model_alias("recipe-recommender", "challenger", v2.version)

    # A local source is used in place.
    assert resolve_bundle_uri("models:/recipe-recommender@champion") == bundle
    # A remote (run artifact) source is downloaded once into the cache.
    cache = tmp_path / "cache"
    downloaded = resolve_bundle_uri("models:/recipe-recommender@challenger", cache_dir=cache)
    assert downloaded.is_relative_to(cache)
    assert load_bundle(downloaded).version == load_bundle(bundle).version
    assert resolve_bundle_uri(f"models:/recipe-recommender/{v2.version}", cache_dir=cache) == downloaded
    with pytest.raises(BundleError, match="cannot resolve models:/recipe-recommender@nope"):
        resolve_bundle_uri("models:/recipe-recommender@nope")

    # The service follows the alias: a poll after the alias moves swaps the bundle in.
    import asyncio

    from services.recommender.config import RecommenderSettings
    from services.recommender.models import ModelManager

    other = build_bundle(tmp_path / "other", RECIPES[4:9])
    v3 = client.create_model_version("recipe-recommender", source=str(other), run_id=run.info.run_id)
    settings = RecommenderSettings(
        recommender_bundle="models:/recipe-recommender@champion", bundle_cache_dir=str(cache), metrics_port=0
    )

    async def follow() -> None:
        manager = ModelManager(settings, None)
        await manager.load_initial()
        assert manager.engine.model_version == bundle.name
        assert not (await manager.reload(trigger="poll")).reloaded  # alias unchanged
        client.set_registered_model_alias("recipe-recommender", "champion", v3.version)
        outcome = await manager.reload(trigger="poll")
        assert outcome.reloaded and outcome.version == other.name and outcome.previous_version == bundle.name
        assert manager.current.pointer == f"models:/recipe-recommender/{v3.version}"

    asyncio.run(follow())


def test_incremental_index_update(tmp_path: Path) -> None:
    """A rebuild with a few changed recipes updates the previous HNSW graph instead of rebuilding."""
    from services.recommender.bundle import Bundle
    from services.recommender.index import ExactIndex

    first = build_bundle(tmp_path)
    changed = [dict(r) for r in RECIPES if r["id"] != 130]  # one recipe removed
    changed[0] = {**changed[0], "name": "chicken avocado salad with lime"}  # one changed
    changed.append({**RECIPES[5], "id": 131, "name": "arroz con pollo verde"})  # one added
    second = build_bundle(tmp_path, changed)
    manifest = json.loads((second / "manifest.json").read_text())["index"]
    assert manifest["mode"] == "incremental" and manifest["generation"] == 1
    assert manifest["keys"] == "recipe_id"
    assert (manifest["added"], manifest["removed"]) == (2, 2)
    # New rows are quantized like the graph's old ones.
    assert manifest["i8_scale"] == json.loads((first / "manifest.json").read_text())["index"]["i8_scale"]

    def answers(path: Path) -> list[list[int]]:
        bundle: Bundle = load_bundle(path)
        ann = open_index("usearch", vectors=bundle.vectors, bundle_dir=path, version=bundle.version)
        exact = ExactIndex(bundle.vectors)
        out = []
        for row in range(bundle.num_recipes):
            q = bundle.vector(row)
            ann_rows, ann_cos = ann.search(q, 5)
            _, exact_cos = exact.search(q, 5)
            # Same neighbours as exact search, compared by cosine (duplicates tie; the graph
            # holds int8 vectors, so its cosines are approximate).
            assert ann_cos == pytest.approx(exact_cos, abs=1e-2)
            assert ann_cos[0] == pytest.approx(1.0, abs=1e-2)
            out.append([int(bundle.ids[r]) for r in ann_rows])
        return out

    found = {i for ids in answers(second) for i in ids}
    assert 130 not in found and 131 in found
    # previous=None always rebuilds from scratch.
    third = write_bundle(
        catalog(changed),
        vectors_for(changed),
        tmp_path / "fresh",
        embedding={"model": f"hashing-tf-{DIMS}", "backend": "hashing", "dimensions": DIMS},
        source={},
        previous=None,
    )
    assert json.loads((third / "manifest.json").read_text())["index"]["mode"] == "full"
    assert answers(first)


def test_damaged_previous_bundle_forces_a_full_build(tmp_path: Path) -> None:
    first = build_bundle(tmp_path, RECIPES[:10])
    ann = first / ANN_FILE
    data = bytearray(ann.read_bytes())
    data[-10] ^= 0xFF
    ann.write_bytes(bytes(data))
    second = build_bundle(tmp_path, RECIPES[:11])
    assert json.loads((second / "manifest.json").read_text())["index"]["mode"] == "full"


def test_verified_stamp_skips_rehashing_but_not_edited_files(tmp_path: Path) -> None:
    from services.recommender import bundle as bundle_module

    path = build_bundle(tmp_path, RECIPES[:6])
    assert (path / ".verified.json").exists()  # the writer stamps what it hashed
    hashed: list[str] = []
    real = bundle_module._sha256_file

    def counting(p: Path) -> str:
        hashed.append(p.name)
        return real(p)

    bundle_module._sha256_file = counting  # type: ignore[assignment]
    try:
        load_bundle(path)
        assert hashed == []
        vectors = path / "vectors.f16.npy"
        with vectors.open("r+b") as f:  # edit in place: same size, same inode, new mtime
            f.seek(-2, 2)
            last = f.read(2)
            f.seek(-2, 2)
            f.write(bytes(b ^ 0xFF for b in last))
        with pytest.raises(BundleError, match="does not match its sha256"):
            load_bundle(path)
        assert hashed == ["vectors.f16.npy"]
    finally:
        bundle_module._sha256_file = real  # type: ignore[assignment]


def test_models_uri_falls_back_to_the_local_registry_when_mlflow_is_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mlops version` registers locally when MLflow is unreachable; the recommender must then
    find the same alias there instead of refusing to start."""
    import socket
    from types import SimpleNamespace

    from mlops.registry import LocalRegistry
    from services.recommender.bundle import BundleError, resolve_model_version

    bundle_dir = build_bundle(tmp_path / "bundles")
    registry = LocalRegistry(tmp_path / "registry", "recipe-recommender")
    entry = registry.register(bundle_dir, SimpleNamespace(run_id="local-run"), {})  # type: ignore[arg-type]
    registry.set_alias("champion", entry.version)
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")

    ref = resolve_model_version("models:/recipe-recommender@champion", local_registry=tmp_path / "registry")
    assert (ref.version, Path(ref.source)) == (entry.version, bundle_dir.resolve())
    by_number = resolve_model_version(
        f"models:/recipe-recommender/{entry.version}", local_registry=tmp_path / "registry"
    )
    assert by_number == ref
    # An alias the local registry does not know either still fails, naming MLflow's error.
    with pytest.raises(BundleError, match="cannot resolve models:/recipe-recommender@staging"):
        resolve_model_version("models:/recipe-recommender@staging", local_registry=tmp_path / "registry")


def test_changing_only_the_search_ef_keeps_the_incremental_update(tmp_path: Path) -> None:
    """ef is a query-time knob: a new default must not cost a full graph rebuild; a new M must."""
    from services.recommender.index import HnswParams

    def build(records: list[dict], hnsw: HnswParams) -> dict:
        path = write_bundle(
            catalog(records),
            vectors_for(records),
            tmp_path,
            embedding={"model": f"hashing-tf-{DIMS}", "backend": "hashing", "dimensions": DIMS},
            source={},
            hnsw=hnsw,
            previous="latest",
        )
        return json.loads((path / "manifest.json").read_text())["index"]

    build(RECIPES[:10], HnswParams(expansion_search=100))
    second = build(RECIPES[:11], HnswParams(expansion_search=300))
    assert second["mode"] == "incremental" and second["expansion_search"] == 300
    third = build(RECIPES[:12], HnswParams(connectivity=16, expansion_search=300))
    assert third["mode"] == "full" and third["reason_full"] == "incompatible"


def test_an_mlflow_that_answers_no_such_alias_is_not_overruled_by_the_local_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    from mlflow.tracking import MlflowClient

    from mlops.registry import LocalRegistry
    from services.recommender.bundle import BundleError, resolve_model_version

    bundle_dir = build_bundle(tmp_path / "bundles", RECIPES[:4])
    registry = LocalRegistry(tmp_path / "registry", "recipe-recommender")
    registry.set_alias("champion", registry.register(bundle_dir, SimpleNamespace(run_id=""), {}).version)  # type: ignore[arg-type]
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    MlflowClient(tracking_uri=uri, registry_uri=uri).create_registered_model("recipe-recommender")
    with pytest.raises(BundleError, match="cannot resolve models:/recipe-recommender@champion"):
        resolve_model_version("models:/recipe-recommender@champion", local_registry=tmp_path / "registry")
