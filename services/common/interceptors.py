"""Server interceptors: RED metrics, access logs and the domain-error → status mapping.

OpenTelemetry server spans come from the upstream ``aio_server_interceptor``, installed
before this one so that logs written here carry the span's trace id. Health and reflection
calls are left out of metrics and logs: probes would drown the signal.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from grpc.aio import AbortError

from services.common.errors import ServiceError
from services.common.telemetry import (
    GRPC_SERVER_HANDLED,
    GRPC_SERVER_HANDLING_SECONDS,
    GRPC_SERVER_IN_FLIGHT,
    GRPC_SERVER_STARTED,
)

log = logging.getLogger("services.access")

INFRA_SERVICES = (
    "grpc.health.v1.Health",
    "grpc.reflection.v1alpha.ServerReflection",
    "grpc.reflection.v1.ServerReflection",
)


def split_method(full_method: str) -> tuple[str, str]:
    """'/pkg.Service/Method' -> ('pkg.Service', 'Method')."""
    _, service, method = full_method.split("/", 2)
    return service, method


class _CallRecorder:
    """Tracks one RPC: counts it, times it, logs it, and maps its error to a status."""

    def __init__(self, service: str, method: str, rpc_type: str, access_log: bool) -> None:
        self.service, self.method, self.rpc_type = service, method, rpc_type
        self.access_log = access_log
        self.code = grpc.StatusCode.OK
        self.started = time.perf_counter()
        GRPC_SERVER_STARTED.labels(service, method, rpc_type).inc()
        GRPC_SERVER_IN_FLIGHT.labels(service).inc()

    async def fail(self, exc: BaseException, context: grpc.aio.ServicerContext) -> None:
        """Abort the call with a status derived from ``exc``; never exposes a traceback."""
        if isinstance(exc, ServiceError):
            self.code = exc.code
            await context.abort(exc.code, exc.message)
        reference = uuid.uuid4().hex[:12]
        self.code = grpc.StatusCode.INTERNAL
        log.error("unhandled error in %s/%s (reference %s)", self.service, self.method, reference, exc_info=exc)
        await context.abort(grpc.StatusCode.INTERNAL, f"internal error (reference {reference})")

    def finish(self, context: grpc.aio.ServicerContext) -> None:
        if self.code == grpc.StatusCode.OK:
            code = context.code()
            if isinstance(code, grpc.StatusCode):
                self.code = code
        elapsed = time.perf_counter() - self.started
        GRPC_SERVER_IN_FLIGHT.labels(self.service).dec()
        GRPC_SERVER_HANDLED.labels(self.service, self.method, self.rpc_type, self.code.name).inc()
        GRPC_SERVER_HANDLING_SECONDS.labels(self.service, self.method, self.rpc_type).observe(elapsed)
        if self.access_log or self.code != grpc.StatusCode.OK:
            level = logging.WARNING if self.code in _SERVER_FAULTS else logging.INFO
            log.log(
                level,
                "%s/%s %s",
                self.service,
                self.method,
                self.code.name,
                extra={
                    "grpc_method": f"{self.service}/{self.method}",
                    "grpc_code": self.code.name,
                    "duration_ms": round(elapsed * 1000, 3),
                },
            )


_SERVER_FAULTS = {
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.UNKNOWN,
    grpc.StatusCode.DATA_LOSS,
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
}

Behavior = Callable[..., Any]


class ObservabilityInterceptor(grpc.aio.ServerInterceptor):
    """Wraps every application handler with metrics, an access log and error mapping."""

    def __init__(self, access_log: bool = True) -> None:
        self.access_log = access_log

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        service, method = split_method(handler_call_details.method)
        if service in INFRA_SERVICES:
            return handler
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap_unary(handler.unary_unary, service, method, "unary"),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                self._wrap_unary(handler.stream_unary, service, method, "client_stream"),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._wrap_stream(handler.unary_stream, service, method, "server_stream"),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return grpc.stream_stream_rpc_method_handler(
            self._wrap_stream(handler.stream_stream, service, method, "bidi_stream"),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    def _wrap_unary(self, behavior: Behavior, service: str, method: str, rpc_type: str) -> Behavior:
        async def wrapped(request: Any, context: grpc.aio.ServicerContext) -> Any:
            call = _CallRecorder(service, method, rpc_type, self.access_log)
            try:
                return await behavior(request, context)
            except AbortError:
                raise
            except asyncio.CancelledError:
                call.code = grpc.StatusCode.CANCELLED
                raise
            except Exception as exc:
                await call.fail(exc, context)
            finally:
                call.finish(context)

        return wrapped

    def _wrap_stream(self, behavior: Behavior, service: str, method: str, rpc_type: str) -> Behavior:
        async def wrapped(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            call = _CallRecorder(service, method, rpc_type, self.access_log)
            try:
                async for response in behavior(request, context):
                    yield response
            except AbortError:
                raise
            except asyncio.CancelledError:
                call.code = grpc.StatusCode.CANCELLED
                raise
            except Exception as exc:
                await call.fail(exc, context)
            finally:
                call.finish(context)

        return wrapped
