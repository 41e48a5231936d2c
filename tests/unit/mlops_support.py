"""Shared fixtures and helpers for the mlops tests.

Test modules import the fixture functions (``settings_fixture``...); pytest registers them under
their ``name=`` (``settings``...), so test parameters do not shadow the imports.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops.config import MlopsSettings
from mlops.synth import synthesize

# One migrated SQLite store per session, copied per test: creating and migrating a fresh
# MLflow database costs seconds, copying the file costs nothing.
_TEMPLATE: dict[str, Path] = {}


def _template_db(factory: pytest.TempPathFactory) -> Path:
    if "db" not in _TEMPLATE:
        from mlflow.tracking import MlflowClient

        path = factory.mktemp("mlflow-template") / "mlflow.db"
        MlflowClient(tracking_uri=f"sqlite:///{path}").search_experiments(max_results=1)
        _TEMPLATE["db"] = path
    return _TEMPLATE["db"]


def make_settings(root: Path, db_template: Path | None = None, **overrides: object) -> MlopsSettings:
    """Settings for an isolated artifacts dir, the fast hashing backend and a private store."""
    artifacts = root / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    db = artifacts / "mlflow.db"
    if db_template is not None and not db.exists():
        shutil.copyfile(db_template, db)
    values: dict[str, object] = {
        "artifacts_dir": artifacts,
        "mlflow_tracking_uri": f"sqlite:///{db}",
        "embeddings_addr": "",
        "embeddings_backend": "hashing",
        "build_workers": 1,
        **overrides,
    }
    return MlopsSettings.model_validate(values)


@pytest.fixture(name="settings")
def settings_fixture(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlopsSettings]:
    yield make_settings(tmp_path, _template_db(tmp_path_factory))


@pytest.fixture(scope="session", name="small_catalog")
def small_catalog_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 300-recipe synthetic catalog in the normalised parquet format."""
    out = tmp_path_factory.mktemp("synth")
    synthesize(300, out, seed=7, fmt="parquet")
    return out / "catalog.parquet"


def write_queries(path: Path, catalog: Path) -> Path:
    """Labelled queries whose relevant ids are recipes of ``catalog`` found by name words,
    including one es/en pair, so evaluation has something non-trivial to score."""
    import pyarrow.parquet as pq

    rows = pq.read_table(catalog, columns=["id", "name"]).to_pylist()

    def ids_with(word: str) -> dict[str, int]:
        found = [r["id"] for r in rows if word in r["name"]][:5]
        assert found, f"synthetic catalog has no recipe named with {word!r}"
        return {str(i): 3 if n == 0 else 1 for n, i in enumerate(found)}

    lines = [
        {"id": "q1", "lang": "en", "query": "chicken dinner", "pair_id": "p1", "relevance": ids_with("chicken")},
        {"id": "q2", "lang": "es", "query": "cena con pollo", "pair_id": "p1", "relevance": ids_with("chicken")},
        {
            "id": "q3",
            "lang": "en",
            "query": "chocolate dessert",
            "pair_id": None,
            "relevance": ids_with("chocolate"),
            "tags": ["meal"],
        },
        {"id": "q4", "lang": "en", "query": "lentil soup", "pair_id": None, "relevance": ids_with("soup")},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return path
