"""gRPC server bootstrap shared by every service.

A service provides a :class:`Service` (what to register, how to become ready, how to clean
up). :class:`ServiceHost` adds the standard plumbing around it: health (NOT_SERVING until
``Service.start`` returns), reflection, message-size limits, an in-flight limit,
interceptors, the metrics port, and graceful shutdown on SIGTERM/SIGINT (health flips to
NOT_SERVING, new calls are refused, in-flight calls drain for up to the grace period).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence
from typing import Protocol

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection
from opentelemetry.instrumentation.grpc import aio_server_interceptor, filters

from services.common.config import ServiceSettings
from services.common.interceptors import ObservabilityInterceptor
from services.common.logging import configure_logging
from services.common.telemetry import SERVICE_READY, configure_tracing, start_metrics_server

log = logging.getLogger(__name__)

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class Service(Protocol):
    """What a service contributes to the shared server."""

    @property
    def service_names(self) -> Sequence[str]:
        """Full names (``recipes.x.v1.XService``) for health and reflection."""
        ...

    def register(self, server: grpc.aio.Server) -> None:
        """Add the servicers to ``server``. Must be cheap: heavy loading belongs in start()."""
        ...

    async def start(self) -> None:
        """Load models, open stores. Health is NOT_SERVING until this returns."""
        ...

    async def stop(self) -> None:
        """Release resources after in-flight calls have drained."""
        ...


def server_options(settings: ServiceSettings) -> list[tuple[str, int]]:
    """Explicit message limits and keepalive; the same numbers the clients use."""
    return [
        ("grpc.max_receive_message_length", settings.max_message_bytes),
        ("grpc.max_send_message_length", settings.max_message_bytes),
        ("grpc.keepalive_time_ms", 60_000),
        ("grpc.keepalive_timeout_ms", 20_000),
        ("grpc.http2.max_pings_without_data", 0),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.so_reuseport", 0),
    ]


class ServiceHost:
    """Owns one ``grpc.aio`` server, its health servicer and its lifecycle."""

    def __init__(self, service: Service, settings: ServiceSettings, *, access_log: bool = True) -> None:
        self.service = service
        self.settings = settings
        self.health = HealthServicer()
        span_filter = filters.negate(filters.any_of(filters.health_check(), filters.service_prefix("grpc.reflection")))
        self.server = grpc.aio.server(
            interceptors=[aio_server_interceptor(filter_=span_filter), ObservabilityInterceptor(access_log)],
            options=server_options(settings),
            maximum_concurrent_rpcs=settings.max_concurrent_rpcs,
        )
        self.port = 0
        self._stopped = asyncio.Event()

    @property
    def health_names(self) -> list[str]:
        """The overall status ("") plus one entry per service."""
        return ["", *self.service.service_names]

    async def set_serving(self, serving: bool) -> None:
        status = SERVING if serving else NOT_SERVING
        for name in self.health_names:
            await self.health.set(name, status)
        SERVICE_READY.labels(self.settings.service_name).set(1 if serving else 0)

    async def start(self, address: str | None = None) -> int:
        """Bind, start answering health (NOT_SERVING), run Service.start, then report SERVING."""
        self.service.register(self.server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            [*self.service.service_names, "grpc.health.v1.Health", reflection.SERVICE_NAME], self.server
        )
        await self.set_serving(False)
        self.port = self.server.add_insecure_port(address or self.settings.listen_address)
        if self.port == 0:
            raise RuntimeError(f"could not bind {address or self.settings.listen_address}")
        await self.server.start()
        log.info("gRPC server listening; loading", extra={"port": self.port})
        await self.service.start()
        await self.set_serving(True)
        log.info("SERVING", extra={"port": self.port, "services": list(self.service.service_names)})
        return self.port

    async def stop(self, grace: float | None = None) -> None:
        """Flip health, refuse new calls, drain in-flight calls for ``grace`` seconds, clean up."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        grace = self.settings.shutdown_grace_seconds if grace is None else grace
        await self.health.enter_graceful_shutdown()
        SERVICE_READY.labels(self.settings.service_name).set(0)
        log.info("shutting down: draining in-flight calls", extra={"grace_seconds": grace})
        await self.server.stop(grace)
        await self.service.stop()
        log.info("stopped")

    async def wait_for_termination(self) -> None:
        await self._stopped.wait()


async def _run(service: Service, settings: ServiceSettings) -> None:
    host = ServiceHost(service, settings)
    loop = asyncio.get_running_loop()
    stop_requested = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop_requested.set)
    start = asyncio.create_task(host.start())
    waiter = asyncio.create_task(stop_requested.wait())
    done, _ = await asyncio.wait({start, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if start in done:
        start.result()  # re-raise a failed start
        await waiter
    else:
        start.cancel()
    await host.stop()


def run_service(service: Service, settings: ServiceSettings) -> int:
    """Entry point of a service process: configure telemetry, serve until signalled, exit 0."""
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    configure_tracing(settings.otel_service_name, settings.otel_exporter_otlp_endpoint)
    start_metrics_server(settings.metrics_port)
    try:
        asyncio.run(_run(service, settings))
    except Exception:
        log.exception("service failed")
        return 1
    return 0
