"""``make run``: the whole platform as local processes, with prefixed logs.

Starts every service that exists (embeddings, recommender, llm, gateway) on its default port
(each overridable by env, see README), builds the bundled catalog's model bundle first if
none exists, prints the URLs once everything is ready, and stops all children cleanly on
Ctrl-C or SIGTERM (each child gets SIGTERM and drains; SIGKILL only after the grace period).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLORS = ["\033[36m", "\033[35m", "\033[33m", "\033[32m", "\033[34m"]
RESET = "\033[0m"
STOP_GRACE_SECONDS = 15.0


@dataclass
class Child:
    name: str
    module: str
    env: dict[str, str] = field(default_factory=dict)
    ready_url: str = ""  # printed once the stack is up
    proc: asyncio.subprocess.Process | None = None


def _port(env_name: str, default: int) -> str:
    return os.environ.get(env_name, str(default))


def planned_children() -> list[Child]:
    """The services to start, in dependency order, skipping those not built yet."""
    emb, rec, llm = _port("EMBEDDINGS_PORT", 50051), _port("RECOMMENDER_PORT", 50052), _port("LLM_PORT", 50053)
    gw = _port("GATEWAY_PORT", 8080)
    peers = {
        "EMBEDDINGS_ADDR": os.environ.get("EMBEDDINGS_ADDR", f"localhost:{emb}"),
        "RECOMMENDER_ADDR": os.environ.get("RECOMMENDER_ADDR", f"localhost:{rec}"),
        "LLM_ADDR": os.environ.get("LLM_ADDR", f"localhost:{llm}"),
    }
    children = [
        Child(
            "embeddings",
            "services.embeddings",
            {"GRPC_PORT": emb, "METRICS_PORT": _port("EMBEDDINGS_METRICS_PORT", 9101)},
            f"grpc://localhost:{emb}  metrics http://localhost:{_port('EMBEDDINGS_METRICS_PORT', 9101)}/metrics",
        ),
        Child(
            "recommender",
            "services.recommender",
            {"GRPC_PORT": rec, "METRICS_PORT": _port("RECOMMENDER_METRICS_PORT", 9102), **peers},
            f"grpc://localhost:{rec}  metrics http://localhost:{_port('RECOMMENDER_METRICS_PORT', 9102)}/metrics",
        ),
        Child(
            "llm",
            "services.llm",
            {"GRPC_PORT": llm, "METRICS_PORT": _port("LLM_METRICS_PORT", 9103), **peers},
            f"grpc://localhost:{llm}  metrics http://localhost:{_port('LLM_METRICS_PORT', 9103)}/metrics",
        ),
        Child("gateway", "gateway", {"PORT": gw, **peers}, f"http://localhost:{gw}  (docs http://localhost:{gw}/docs)"),
    ]
    return [
        c
        for c in children
        if importlib.util.find_spec(c.module) is not None
        and (ROOT / c.module.replace(".", "/") / "__main__.py").exists()
    ]


async def pump(child: Child, stream: asyncio.StreamReader, color: str) -> None:
    prefix = f"{color}{child.name:>11} |{RESET} " if sys.stdout.isatty() else f"{child.name:>11} | "
    while line := await stream.readline():
        sys.stdout.write(prefix + line.decode(errors="replace"))
        sys.stdout.flush()


async def build_bundle_if_missing() -> None:
    """The recommender needs a bundle: build the bundled catalog's once (about a minute)."""
    if not (ROOT / "mlops" / "__main__.py").exists() or os.environ.get("RECOMMENDER_BUNDLE"):
        return
    print("stack | building the bundled catalog's model bundle if missing ...", flush=True)
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "mlops", "build", "--if-missing", cwd=ROOT)
    if await proc.wait() != 0:
        raise SystemExit("stack | bundle build failed; see the output above")


async def run() -> int:
    await build_bundle_if_missing()
    children = planned_children()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    pumps = []
    base_env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "text"),
        "PYTHONUNBUFFERED": "1",
    }
    base_env.pop("PORT", None)
    for i, child in enumerate(children):
        child.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            child.module,
            cwd=ROOT,
            env={**base_env, **child.env},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches only us; we stop children in order
        )
        assert child.proc.stdout is not None
        pumps.append(asyncio.create_task(pump(child, child.proc.stdout, COLORS[i % len(COLORS)])))
    exited = [asyncio.create_task(c.proc.wait()) for c in children if c.proc]
    print("stack | started: " + ", ".join(c.name for c in children), flush=True)
    announce = asyncio.create_task(announce_when_ready(children))
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({stopper, *exited}, return_when=asyncio.FIRST_COMPLETED)
    announce.cancel()
    code = 0
    if stopper not in done:
        dead = [c.name for c in children if c.proc and c.proc.returncode is not None]
        print(f"stack | {', '.join(dead)} exited; stopping the others", flush=True)
        code = 1
    await stop_all(children)
    for task in pumps:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 2)
    return code


async def stop_all(children: list[Child]) -> None:
    """SIGTERM in reverse dependency order (gateway first), then wait; SIGKILL stragglers."""
    for child in reversed(children):
        if child.proc and child.proc.returncode is None:
            child.proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children:
        if child.proc is None:
            continue
        try:
            await asyncio.wait_for(child.proc.wait(), max(0.1, deadline - time.monotonic()))
        except TimeoutError:
            child.proc.kill()
            await child.proc.wait()
        print(f"stack | {child.name} stopped (exit {child.proc.returncode})", flush=True)


async def announce_when_ready(children: list[Child]) -> None:
    """Wait for every gRPC child to report SERVING (and the gateway /healthz), then print URLs."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    for child in children:
        while True:
            if child.name == "gateway":
                ok = await asyncio.to_thread(_http_ok, f"http://localhost:{child.env['PORT']}/healthz")
            else:
                async with grpc.aio.insecure_channel(f"localhost:{child.env['GRPC_PORT']}") as channel:
                    try:
                        reply = await health_pb2_grpc.HealthStub(channel).Check(
                            health_pb2.HealthCheckRequest(), timeout=1
                        )
                        ok = reply.status == health_pb2.HealthCheckResponse.SERVING
                    except grpc.RpcError:
                        ok = False
            if ok:
                break
            await asyncio.sleep(0.3)
    lines = [f"  {c.name:<12} {c.ready_url}" for c in children]
    print("\nstack | ready:\n" + "\n".join(lines) + "\nstack | Ctrl-C stops everything\n", flush=True)


def _http_ok(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def main() -> int:
    try:
        return asyncio.run(run())
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
