"""Property-based tests from the OpenAPI document: no generated request gets a 500.

Schemathesis drives every operation (writes included, with the key, against a
throw-away corpus) and checks each response against the documented status codes
and schemas. The app is built at import, as schemathesis needs its schema to
generate the tests; a fixture then points it at each test's indexed corpus.
(``schemathesis.pytest.from_fixture`` would avoid that, but schemathesis 4.32
reads a pytest-private attribute that pytest 9 no longer has.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    allow_header_conformance,
    negative_data_rejection,
    positive_data_acceptance,
)

from rag.api import create_app
from rag.api.deps import get_service, get_settings
from rag.service import Service
from rag.settings import Settings

# Paths are placeholders: every test overrides the settings and the service.
# Generated bodies can pass the JSON body limit; its 413 is tested in test_limits.py.
app = create_app(
    Settings(
        embedding={"backend": "hash"},
        data_dir=Path("/nonexistent"),
        api={"max_body_kb": 10_000},
    )
)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(autouse=True)
def _wire(settings: Settings, service: Service) -> Iterator[None]:
    app.dependency_overrides[get_settings] = lambda: settings
    app.dependency_overrides[get_service] = lambda: service
    yield
    app.dependency_overrides.clear()


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same examples on every run, so a failure is reproducible
    # One indexed corpus per operation is shared by its examples, on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_request_gets_a_server_error(case: Any, auth: dict[str, str]) -> None:
    # Starlette answers a wrong method with the Allow header of the first route whose
    # path matches, not every route on that path; that is its behaviour, not ours.
    excluded = [allow_header_conformance]
    if case.operation.label == "POST /documents":
        # `metadata` is JSON inside a form field: any string fits the schema, but only a
        # JSON object is accepted (400 otherwise, tested in test_write.py); and a
        # "schema-violating" null or {} reaches the server as the text "null" or "{}".
        excluded += [positive_data_acceptance, negative_data_rejection]
    if case.operation.label == "POST /v1/chat/completions":
        # The protocol's schema cannot say that the last message is the user's question
        # with some text, nor that filters come in one place: such requests get a 400
        # (tested in test_chat_completions.py).
        excluded += [positive_data_acceptance]
    case.call_and_validate(headers=auth, excluded_checks=excluded)
