"""build: embeds through the cache, writes the recommender's bundle, reuses what did not change."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from mlops.build import build, find_bundle_by_fingerprint
from mlops.config import MlopsSettings
from services.recommender.bundle import load_bundle
from tests.unit.mlops_support import settings_fixture, small_catalog_fixture  # noqa: F401 - fixtures


def _change_names(catalog: Path, out: Path, rows: int) -> Path:
    """A copy of the catalog whose first ``rows`` recipes were renamed."""
    table = pq.read_table(catalog)
    names = table.column("name").to_pylist()
    names[:rows] = [f"{n} with fresh herbs" for n in names[:rows]]
    table = table.set_column(table.schema.get_field_index("name"), "name", pa.array(names, pa.string()))
    pq.write_table(table, out)
    return out


def test_build_then_incremental_rebuild_hits_the_cache(
    settings: MlopsSettings,
    small_catalog: Path,
    tmp_path: Path,
) -> None:
    first = build(settings, small_catalog, show_progress=False)
    assert not first.reused
    assert first.stats["embedded"] == first.stats["unique_texts"] == 300
    bundle = load_bundle(first.bundle_dir)
    assert bundle.num_recipes == 300 and bundle.embedding_model == "hashing-tf-512"
    manifest = json.loads((first.bundle_dir / "manifest.json").read_text())
    assert manifest["build"]["fingerprint"] == first.fingerprint
    assert manifest["embedding"]["document_version"]

    same = build(settings, small_catalog, show_progress=False)
    assert same.reused and same.bundle_dir == first.bundle_dir

    changed = build(settings, _change_names(small_catalog, tmp_path / "changed.parquet", 3), show_progress=False)
    assert not changed.reused and changed.bundle_dir != first.bundle_dir
    assert changed.stats["embedded"] == 3  # only the renamed recipes' documents
    assert changed.stats["cache_hits"] == 297
    assert find_bundle_by_fingerprint(settings.paths.bundles, changed.fingerprint) == changed.bundle_dir


def test_vectors_do_not_depend_on_the_cache(
    settings: MlopsSettings,
    small_catalog: Path,
    tmp_path: Path,
) -> None:
    """A cached rebuild writes bit-identical vectors to a cold build (the cache stores float16)."""
    warm = build(settings, small_catalog, show_progress=False)
    cold_settings = settings.model_copy(update={"artifacts_dir": tmp_path / "cold"})
    cold = build(cold_settings, small_catalog, show_progress=False, force=True)
    assert warm.manifest["content_hash"] == cold.manifest["content_hash"]


def test_localized_text_gets_its_own_document(settings: MlopsSettings, tmp_path: Path) -> None:
    from mlops.synth import synthesize

    synthesize(20, tmp_path, seed=5, fmt="parquet")
    table = pq.read_table(tmp_path / "catalog.parquet")
    localized = [
        [{"language": "es", "name": f"receta {i}", "description": "", "ingredients": ["pollo"], "steps": []}]
        for i in range(20)
    ]
    index = table.schema.get_field_index("localized")
    table = table.set_column(index, "localized", pa.array(localized, table.schema.field("localized").type))
    pq.write_table(table, tmp_path / "bilingual.parquet")
    result = build(settings, tmp_path / "bilingual.parquet", show_progress=False)
    assert result.stats["texts"] == 40
    bundle = load_bundle(result.bundle_dir)
    assert pc.all(pc.equal(bundle.catalog.column("id"), table.column("id"))).as_py()
