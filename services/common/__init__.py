"""Shared server runtime: configuration, gRPC bootstrap, telemetry, errors and clients.

Every service builds on these modules so that plumbing lives in exactly one place.
"""
