"""Schemathesis against the gateway's own /openapi.json, served by fake peers.

For every operation, a bounded number of generated requests, valid (positive) and invalid
(negative). Every answer must be documented: no 5xx, a documented status and content type,
a body matching its schema, and invalid input refused with a 4xx.

The operations are listed from a throwaway app at collection time (building the OpenAPI
document needs no services); each test then drives an app wired to the fakes through
schemathesis's in-process ASGI transport.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway.app import create_app
from gateway.config import GatewaySettings
from tests.support.gateway_fakes import Conversation, FakeServices, fake_services, gateway_settings

MAX_EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

_SPEC = create_app(GatewaySettings(rate_limit_per_minute=0)).openapi()
OPERATIONS = [(method.upper(), path) for path, item in _SPEC["paths"].items() for method in item]
# Negative cases need something to break: parameters or a body.
CASES = [
    pytest.param(method, path, mode, None, id=f"{method} {path} {mode}")
    for method, path in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or {"parameters", "requestBody"} & set(_SPEC["paths"][path][method.lower()])
]
# Generated ids almost never exist, which would only ever test the 404 body: also run the
# id routes on ids the fakes know, with everything else still generated.
KNOWN_IDS = {"recipe_id": 101, "conversation_id": "known-conversation"}
CASES += [
    pytest.param(method, path, GenerationMode.POSITIVE, name, id=f"{method} {path} known {name}")
    for method, path in OPERATIONS
    for name in KNOWN_IDS
    if "{" + name + "}" in path
]


@pytest.fixture(scope="module")
def fakes() -> Iterator[FakeServices]:
    with fake_services() as services:
        yield services


@pytest.fixture(scope="module")
def api_schema(fakes: FakeServices) -> Any:
    fakes.llm.conversations["known-conversation"] = Conversation("known-conversation")
    # No clients given: the app opens its channels in its own lifespan, inside the event loop
    # schemathesis runs it on.
    app = create_app(gateway_settings(fakes))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_every_route_is_covered() -> None:
    assert len(OPERATIONS) >= 10


@pytest.mark.parametrize(("method", "path", "mode", "known"), CASES)
def test_operation_conforms_to_the_schema(
    api_schema: Any, method: str, path: str, mode: GenerationMode, known: str | None
) -> None:
    operation = api_schema[path][method]
    checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])
    fixed = {known: KNOWN_IDS[known]} if known else None

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=checks)

    run()
