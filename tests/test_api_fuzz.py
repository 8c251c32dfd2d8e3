"""The API fuzzed from its own schema with schemathesis (issue 17): every operation, with
data drawn from the schema and against it, as a registered system with a good token.
No answer may be a 5xx, and every answer must be what the schema says: a documented
status, its content type, a body of its schema.

The outsider and the plain member are here as data: the cases of Kystdirektoratet (an
organisation the system is not registered for) and a plain member's own case, whose
numbers the fuzzer is given to try; tests/test_api_cases.py says what each gets.

Stable in CI, as tests/test_fuzz.py: derandomized, no example database, a fixed
number of examples per operation (``API_FUZZ_EXAMPLES`` raises it by hand).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from tests.api_helpers import Caller, P, caller, register
from tests.cases_helpers import make_case, subject_area
from tests.conftest import Cast
from tests.issuer import Issuer

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "50"))


@pytest.fixture
def _one_connection() -> Iterator[None]:
    """The application is called as WSGI, not through Django's test client: like the
    test client, keep the test's connection (and its transaction) over each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def system(_one_connection: None, cast: Cast, issuer: Issuer, settings: Any) -> Caller:
    settings.API_RATE_LIMIT = "100000/min"  # the fuzzer is not the rate limit's test
    subject_area("lonn")
    subject_area("regnskap")
    make_case(cast.fjordetaten, cast.per, "lonn", title="Pers egen sak")
    make_case(cast.kystdir, cast.nina, "lonn", title="Kystdirektoratets sak")
    client = register(
        cast.fjordetaten,
        "fjordetaten-hr",
        P.FILE_PAYROLL,
        P.READ_OWN,
        P.READ_ACCOUNTING,
        P.DRAFT_ORDERS,
        by=cast.kari,
    )
    return caller(issuer, client)


# Read from the application itself, as a system reads it (the schema is public).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_answer_is_a_5xx_or_outside_the_schema(case: Any, system: Caller) -> None:
    headers = system.headers()
    if case.method.upper() == "POST" and "Idempotency-Key" not in (case.headers or {}):
        headers["Idempotency-Key"] = str(uuid.uuid4())
    # Schema-valid input may still be refused with a reason (a subject area id that does
    # not exist, a category the registration does not allow): that is the API's rules,
    # not a break with its schema, so "valid data is accepted" is not asked.
    case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])
