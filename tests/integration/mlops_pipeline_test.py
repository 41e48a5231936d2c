"""The pipeline CLI as a process, embedding through a real embeddings service process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlops.synth import synthesize
from tests.support.processes import ROOT, ServiceProcess

pytestmark = pytest.mark.integration


def _mlops(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlops", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_build_through_the_embeddings_service_then_in_process(tmp_path: Path) -> None:
    synthesize(200, tmp_path / "data", seed=3, fmt="parquet")
    catalog = tmp_path / "data" / "catalog.parquet"
    artifacts = tmp_path / "artifacts"
    env = {
        "EMBEDDINGS_BACKEND": "hashing",
        "PYTHONPATH": str(ROOT),
        "MLFLOW_TRACKING_URI": f"sqlite:///{artifacts / 'mlflow.db'}",
    }
    service = ServiceProcess(
        "services.embeddings", env={"EMBEDDINGS_BACKEND": "hashing"}, log_path=tmp_path / "embeddings.log"
    ).start()
    try:
        service.wait_serving()
        built = _mlops(
            ["--artifacts", str(artifacts), "build", "--catalog", str(catalog), "--no-progress"],
            {**env, "EMBEDDINGS_ADDR": service.address},
        )
        assert built.returncode == 0, built.stderr
        first = json.loads(built.stdout)
        assert first["embedded"] == 200 and not first["reused"]
    finally:
        service.terminate()
    manifest = json.loads((Path(first["bundle"]) / "manifest.json").read_text())
    assert manifest["embedding"]["model"] == "hashing-tf-512"
    assert manifest["build"]["fingerprint"]

    skipped = _mlops(["--artifacts", str(artifacts), "build", "--if-missing"], env)
    assert skipped.returncode == 0 and "build skipped" in skipped.stdout

    # in-process with the same backend: same model, same texts -> the service-built bundle is reused
    again = _mlops(["--artifacts", str(artifacts), "build", "--catalog", str(catalog), "--no-progress"], env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["reused"] is True


def test_retrain_cli_twice(tmp_path: Path) -> None:
    """From a clean artifacts dir: the first retrain promotes a champion, the second changes nothing."""
    paths = synthesize(150, tmp_path / "data", seed=9, fmt="csv").paths
    synthesize(150, tmp_path / "probe", seed=9, fmt="parquet")
    from tests.unit.mlops_support import write_queries

    queries = write_queries(tmp_path / "queries.jsonl", tmp_path / "probe" / "catalog.parquet")
    artifacts = tmp_path / "artifacts"
    env = {
        "EMBEDDINGS_BACKEND": "hashing",
        "PYTHONPATH": str(ROOT),
        "MLFLOW_TRACKING_URI": f"sqlite:///{artifacts / 'mlflow.db'}",
    }
    args = ["--artifacts", str(artifacts), "retrain", *map(str, paths), "--queries", str(queries), "--no-progress"]
    first = _mlops(args, env)
    assert first.returncode == 0, first.stderr
    assert "Retrain: PROMOTED" in first.stdout
    second = _mlops(args, env)
    assert second.returncode == 0, second.stderr
    assert "Retrain: NO CHANGE" in second.stdout and "nothing to register or promote" in second.stdout
