"""evaluate-embeddings: retrieval accuracy arithmetic and a run on translation pairs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mlops.config import MlopsSettings
from mlops.evaluate_embeddings import evaluate_embeddings, load_paraphrases, retrieval_accuracy
from mlops.synth import synthesize
from tests.unit.mlops_support import settings_fixture  # noqa: F401 - fixture


def test_retrieval_accuracy_counts_own_target_rank() -> None:
    queries = np.eye(3, dtype=np.float32)
    targets = np.array([[1, 0, 0], [0, 0, 1], [0, 1, 0]], dtype=np.float32)  # rows 1 and 2 swapped
    accuracy = retrieval_accuracy(queries, targets, ks=(1, 3))
    assert accuracy[1] == 1 / 3 and accuracy[3] == 1.0


def test_paraphrases_cover_both_languages() -> None:
    pairs = load_paraphrases()
    assert {lang for lang, _, _ in pairs} == {"es", "en"} and len(pairs) >= 30


def test_run_on_catalog_pairs(settings: MlopsSettings, tmp_path: Path) -> None:
    synthesize(40, tmp_path, seed=4, fmt="parquet")
    table = pq.read_table(tmp_path / "catalog.parquet")
    names = table.column("name").to_pylist()
    # Spanish name = the English one with a Spanish prefix: the hashing backend shares the words.
    localized = [
        [{"language": "es", "name": f"receta de {n}", "description": "", "ingredients": [], "steps": []}] for n in names
    ]
    table = table.set_column(
        table.schema.get_field_index("localized"),
        "localized",
        pa.array(localized, table.schema.field("localized").type),
    )
    pq.write_table(table, tmp_path / "bilingual.parquet")
    result, path = evaluate_embeddings(settings, tmp_path / "bilingual.parquet")
    assert result["translation_pairs"] == 40
    assert result["crosslingual"]["es_to_en_acc@1"] > 0.5
    assert result["paraphrase"]["gap"] > 0
    assert "es_to_en_acc@1" in path.with_suffix(".md").read_text()
