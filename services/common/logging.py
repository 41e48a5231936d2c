"""JSON logs with the trace id where Cloud Logging looks for it.

One formatter for every process. A record logged inside a span carries ``trace_id``,
``span_id`` and, when ``GOOGLE_CLOUD_PROJECT`` is set, ``logging.googleapis.com/trace``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any

from opentelemetry import trace

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object per line, with trace context and extras."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service
        self.project = os.environ.get("GOOGLE_CLOUD_PROJECT", "")

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "severity": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            trace_id = format(span_context.trace_id, "032x")
            payload["trace_id"] = trace_id
            payload["span_id"] = format(span_context.span_id, "016x")
            if self.project:
                payload["logging.googleapis.com/trace"] = f"projects/{self.project}/traces/{trace_id}"
                payload["logging.googleapis.com/spanId"] = payload["span_id"]
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


def configure_logging(service: str, level: str = "INFO", fmt: str = "json") -> None:
    """Route the root logger to stderr in the chosen format; idempotent."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(logging.Formatter(f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "openai._base_client", "urllib3", "alembic", "mlflow"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
