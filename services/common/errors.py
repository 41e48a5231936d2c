"""Domain errors and their one mapping to gRPC status codes.

Business code raises these; the server interceptor turns them into a status with a human
message. Anything else becomes INTERNAL with a request reference and no stack trace.
"""

from __future__ import annotations

import grpc


class ServiceError(Exception):
    """An error meant for the caller: carries a gRPC code and a message safe to show."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgument(ServiceError):
    """Bad input. The message names the field and the limit."""

    code = grpc.StatusCode.INVALID_ARGUMENT

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class NotFound(ServiceError):
    code = grpc.StatusCode.NOT_FOUND


class FailedPrecondition(ServiceError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class Unavailable(ServiceError):
    """A dependency (store, backend, peer service) is down; the caller may retry."""

    code = grpc.StatusCode.UNAVAILABLE


class DeadlineExceeded(ServiceError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED


class ResourceExhausted(ServiceError):
    """A limit or quota was hit (rate limit, overload)."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED


def require(condition: bool, field: str, message: str) -> None:
    """Raise InvalidArgument(field, message) unless condition holds."""
    if not condition:
        raise InvalidArgument(field, message)
