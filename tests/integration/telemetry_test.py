"""Traces cross process boundaries: a client span's context reaches the server span (W3C)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from services.embeddings.client import EmbeddingsClient
from tests.support.fake_otlp import FakeOtlpCollector
from tests.support.processes import ServiceProcess
from tests.support.tracing import flush, memory_exporter

pytestmark = pytest.mark.integration


async def test_embed_server_span_is_child_of_the_callers_client_span(tmp_path: Path) -> None:
    exporter = memory_exporter()
    with FakeOtlpCollector() as collector:
        service = ServiceProcess(
            "services.embeddings",
            env={
                "EMBEDDINGS_BACKEND": "hashing",
                "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
                "OTEL_BSP_SCHEDULE_DELAY": "100",
            },
            log_path=tmp_path / "embeddings.log",
        ).start()
        try:
            service.wait_serving(timeout=60)
            client = EmbeddingsClient(service.address)
            with trace.get_tracer("test").start_as_current_span("caller") as parent:
                await client.embed(["arroz con pollo"], timeout=10)
            await client.close()
            trace_id = format(parent.get_span_context().trace_id, "032x")
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not [s for s in collector.spans if s.trace_id == trace_id]:
                await asyncio.sleep(0.1)
        finally:
            service.terminate()
    server_spans = [s for s in collector.spans if s.trace_id == trace_id]
    assert server_spans, f"no span of trace {trace_id} exported; got {collector.spans[:5]}"
    span = server_spans[0]
    assert span.service == "embeddings"
    assert span.name == "/recipes.embeddings.v1.EmbeddingsService/Embed"
    flush()
    client_spans = [
        s
        for s in exporter.get_finished_spans()
        if s.kind == SpanKind.CLIENT and s.context.trace_id == parent.get_span_context().trace_id
    ]
    assert len(client_spans) == 1
    client_span = client_spans[0]
    assert client_span.parent is not None and client_span.parent.span_id == parent.get_span_context().span_id
    assert span.parent_span_id == format(client_span.context.span_id, "016x"), "server span must be the client's child"
