"""The whole platform from ``docker-compose.yml``, as a user starts it, driven by testcontainers.

Builds the images, waits for every healthcheck, then asks the gateway for recommendations
and reads the metrics Prometheus scrapes. It needs a Docker engine; without one it skips and
says so (the same stack is tested as local processes in ``test_gateway_stack.py``).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.processes import ROOT

pytestmark = pytest.mark.integration

GATEWAY = "http://localhost:8080"


def _docker_engine_problem() -> str | None:
    """Why the compose stack cannot run here, or None when a Docker engine answers."""
    if shutil.which("docker") is None:
        return "the docker CLI is not installed"
    try:
        info = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True, timeout=20
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`docker info` failed: {exc}"
    if info.returncode != 0:
        detail = (info.stderr or info.stdout).strip().splitlines()
        return f"no Docker engine is reachable (`docker info`: {detail[0] if detail else info.returncode})"
    compose = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=20)
    if compose.returncode != 0:
        return "the Docker Compose v2 plugin is not installed (`docker compose version` failed)"
    return None


_problem = _docker_engine_problem()
if _problem:
    pytest.skip(f"compose stack test needs Docker: {_problem}", allow_module_level=True)


@pytest.fixture(scope="module")
def compose() -> Iterator[object]:
    from testcontainers.compose import DockerCompose

    stack = DockerCompose(ROOT, compose_file_name="docker-compose.yml", build=True, wait=True)
    with stack:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{GATEWAY}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(2)
        else:
            stdout, stderr = stack.get_logs()
            pytest.fail(f"gateway never became ready:\n{stdout[-4000:]}\n{stderr[-4000:]}")
        yield stack


@pytest.mark.timeout(3600)
def test_gateway_recommends_in_spanish_from_the_compose_stack(compose: object) -> None:
    response = httpx.post(
        f"{GATEWAY}/v1/recommendations", json={"query": "ensalada de pollo y palta", "lang": "es"}, timeout=30
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["lang"] == "es" and body["degraded"] is False and body["model_version"]
    names = [r["name"].lower() for r in body["recipes"][:3]]
    chicken, avocado = ("pollo", "chicken"), ("palta", "aguacate", "avocado")
    assert any(any(c in n for c in chicken) and any(a in n for a in avocado) for n in names), names


@pytest.mark.timeout(600)
def test_every_service_exports_metrics_to_prometheus(compose: object) -> None:
    for port, metric in (
        (9101, "grpc_server_handled_total"),
        (9102, "recommender_bundle_recipes"),
        (9103, "grpc_server"),
    ):
        text = httpx.get(f"http://localhost:{port}/metrics", timeout=10).text
        assert metric in text, f"port {port} does not export {metric}"
