"""``python -m gateway``: serve the REST API with uvicorn (uvloop, httptools, one worker).

One worker per container: the gateway is I/O bound (one shared ``grpc.aio`` channel per peer)
and Cloud Run scales by instances. On SIGTERM uvicorn stops accepting connections, lets
in-flight requests (streams included) finish for up to ``SHUTDOWN_GRACE_SECONDS``, then the
app's shutdown closes the channels.
"""

from __future__ import annotations

import logging
import signal

import uvicorn

from gateway.app import create_app
from gateway.config import GatewaySettings
from gateway.middleware import RequestIdLogFilter
from services.common.config import load_settings
from services.common.logging import configure_logging
from services.common.telemetry import configure_tracing


def main() -> int:
    settings = load_settings(GatewaySettings)
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RequestIdLogFilter())
    configure_tracing(settings.otel_service_name, settings.otel_exporter_otlp_endpoint)
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.http_port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,  # the app writes its own access log, with route templates and request ids
        log_config=None,  # keep the JSON logging configured above
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds) or None,
        server_header=False,
    )
    server = uvicorn.Server(config)
    # uvicorn handles SIGTERM/SIGINT while serving, then re-raises the signal into the handlers
    # it found. Finding no-ops here makes a drained shutdown a clean exit (0), like the gRPC
    # services, so supervisors (make run, Cloud Run) do not log it as a crash.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    server.run()
    return 0 if server.started else 1


if __name__ == "__main__":
    raise SystemExit(main())
