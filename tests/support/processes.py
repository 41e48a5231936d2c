"""Start services as real processes on free ports and wait until they report SERVING."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class ServiceProcess:
    """A service child process; ``address`` is its gRPC (or HTTP) host:port."""

    module: str
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    metrics_port: int = field(default_factory=free_port)
    log_path: Path | None = None
    proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, extra_args: list[str] | None = None) -> ServiceProcess:
        env = {
            **os.environ,
            "GRPC_PORT": str(self.port),
            "METRICS_PORT": str(self.metrics_port),
            "LOG_FORMAT": "json",
            "PYTHONPATH": str(ROOT),
            **self.env,
        }
        env.pop("PORT", None)
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", self.module, *(extra_args or [])], cwd=ROOT, env=env, stdout=out, stderr=out
        )
        return self

    def wait_serving(self, timeout: float = 60.0, service: str = "") -> None:
        """Poll grpc.health.v1 until SERVING; fail with the log tail if the process dies."""
        deadline = time.monotonic() + timeout
        with grpc.insecure_channel(self.address) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while time.monotonic() < deadline:
                if self.proc is not None and self.proc.poll() is not None:
                    raise RuntimeError(f"{self.module} exited with {self.proc.returncode}:\n{self.log_tail()}")
                try:
                    status = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=1).status
                    if status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.RpcError:
                    pass
                time.sleep(0.1)
        raise TimeoutError(f"{self.module} not SERVING after {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        if self.log_path and self.log_path.exists():
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return "(no log)"

    def terminate(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, wait, SIGKILL as a last resort; returns the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(5)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
