"""Metrics and traces: the one place that defines shared metric names and the tracer setup.

Prometheus names follow the conventions (base units, ``_total``, ``_seconds``). Metric labels
never carry user ids or raw queries. Traces export over OTLP only when
``OTEL_EXPORTER_OTLP_ENDPOINT`` is set; otherwise spans are created (for log correlation)
but not exported.
"""

from __future__ import annotations

import logging

from opentelemetry import propagate, trace
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from prometheus_client import Counter, Gauge, Histogram, Info, start_http_server

log = logging.getLogger(__name__)

# Latency buckets for RPCs: sub-millisecond lookups up to multi-second LLM calls.
RPC_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

GRPC_SERVER_STARTED = Counter(
    "grpc_server_started_total", "RPCs started on the server.", ["grpc_service", "grpc_method", "grpc_type"]
)
GRPC_SERVER_HANDLED = Counter(
    "grpc_server_handled_total",
    "RPCs completed on the server, by status code.",
    ["grpc_service", "grpc_method", "grpc_type", "grpc_code"],
)
GRPC_SERVER_HANDLING_SECONDS = Histogram(
    "grpc_server_handling_seconds",
    "Time to handle an RPC on the server, until the last response message.",
    ["grpc_service", "grpc_method", "grpc_type"],
    buckets=RPC_LATENCY_BUCKETS,
)
GRPC_SERVER_IN_FLIGHT = Gauge("grpc_server_in_flight_requests", "RPCs being handled now.", ["grpc_service"])
SERVICE_READY = Gauge("service_ready", "1 when the service reports SERVING, else 0.", ["service"])
BUILD_INFO = Info("recipes_build", "Build and runtime information of this process.")
# The predecessor's translation_latency, defined once because two processes report it: the
# gateway times the whole llm.Translate call of a response, the llm service its backend work.
TRANSLATION_LATENCY = Histogram(
    "translation_latency_seconds",
    "Time to translate the recipes of one response (the predecessor's translation_latency).",
    ["backend", "outcome"],
    buckets=RPC_LATENCY_BUCKETS,
)
DEGRADED_RESPONSES = Counter(
    "degraded_responses_total",
    "Responses served in a degraded mode because a dependency failed.",
    ["service", "reason"],
)

_tracing_configured = False


def configure_tracing(service_name: str, otlp_endpoint: str = "", exporter: SpanExporter | None = None) -> None:
    """Install a tracer provider and the W3C propagator; export over OTLP when configured.

    ``exporter`` lets tests capture spans in memory. Calling twice is a no-op, because the
    OpenTelemetry global provider can only be set once per process.
    """
    global _tracing_configured
    if _tracing_configured:
        return
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if exporter is None and otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=otlp_endpoint, insecure=otlp_endpoint.startswith("http://"))
        log.info("exporting traces over OTLP", extra={"otlp_endpoint": otlp_endpoint})
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    propagate.set_global_textmap(CompositePropagator([TraceContextTextMapPropagator()]))
    _tracing_configured = True


def start_metrics_server(port: int, host: str = "0.0.0.0") -> None:
    """Serve the default Prometheus registry on its own port; 0 disables it."""
    if port:
        start_http_server(port, addr=host)
        log.info("metrics endpoint listening", extra={"metrics_port": port})
