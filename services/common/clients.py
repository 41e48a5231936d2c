"""Client channels to peer services: deadlines, retries for idempotent calls, trace context.

Every service-to-service call goes through :func:`create_channel`. Retries live in the gRPC
service config, scoped to methods the caller declares idempotent, so a retry never repeats
a side effect (chat turns, for instance, are not retried).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import grpc
from opentelemetry.instrumentation.grpc import aio_client_interceptors

from services.common.cloud_auth import id_token_credentials
from services.common.config import MiB

DEFAULT_MAX_MESSAGE_BYTES = 16 * MiB
RETRYABLE_CODES = ("UNAVAILABLE", "RESOURCE_EXHAUSTED")


def retry_service_config(service: str, idempotent_methods: Sequence[str], max_attempts: int = 3) -> str:
    """A service config retrying only ``idempotent_methods`` of ``service`` on transient codes."""
    config: dict[str, Any] = {
        "methodConfig": [
            {
                "name": [{"service": service, "method": m} for m in idempotent_methods],
                "retryPolicy": {
                    "maxAttempts": max_attempts,
                    "initialBackoff": "0.05s",
                    "maxBackoff": "0.5s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": list(RETRYABLE_CODES),
                },
            }
        ]
        if idempotent_methods
        else [],
        "loadBalancingConfig": [{"round_robin": {}}],
    }
    return json.dumps(config)


def create_channel(
    address: str,
    service: str = "",
    idempotent_methods: Sequence[str] = (),
    *,
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    credentials: grpc.ChannelCredentials | None = None,
) -> grpc.aio.Channel:
    """Open a ``grpc.aio`` channel with limits, keepalive, retries and OTel client spans.

    With ``PEER_AUTH=google-id-token`` and no explicit credentials, the channel uses TLS and a
    Cloud Run identity token for the peer (see services/common/cloud_auth.py).
    """
    options: list[tuple[str, Any]] = [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
        ("grpc.keepalive_time_ms", 30_000),
        ("grpc.keepalive_timeout_ms", 10_000),
        ("grpc.enable_retries", 1),
        ("grpc.service_config", retry_service_config(service, idempotent_methods)),
        # Reconnect quickly after a peer restarts: the default backoff reaches 120 s.
        ("grpc.initial_reconnect_backoff_ms", 200),
        ("grpc.max_reconnect_backoff_ms", 2_000),
    ]
    interceptors = aio_client_interceptors()
    if credentials is None and os.environ.get("PEER_AUTH") == "google-id-token":
        credentials = id_token_credentials(address)
    if credentials is not None:
        return grpc.aio.secure_channel(address, credentials, options=options, interceptors=interceptors)
    return grpc.aio.insecure_channel(address, options=options, interceptors=interceptors)
