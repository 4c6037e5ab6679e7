"""The API against its own OpenAPI schema, by schemathesis (issue 10, item 4): generated
requests to every operation, on SQLite and on PostgreSQL, must get no server error and no
answer the schema does not describe (status, content type, body, headers).

Bounded: EXAMPLES examples per operation, a fixed seed (the same requests every run), and
at most BUDGET_SECONDS of requests per database (operations not reached in time are
skipped and named; the budget is a cap on work, not an assertion on speed).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from smarketing.web.app import OPENAPI_URL
from tests.support.api import Api, api_on
from tests.support.api_keys import auth, make_api_key

EXAMPLES = 12
SEED = 20261210
BUDGET_SECONDS = 50
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]  # fmt: skip
#: Operations (and the checks) known to fail for lack of input bounds in the write path,
#: which the bounds work (issue 10, item 1) fixes; each is then removed from this list.
#: {"METHOD /path": "why"}: the operation still runs; its failures of `not_a_server_error`
#: are reported as expected, not as failures.
KNOWN_INPUT_BOUND_FAILURES: dict[str, str] = {
    "GET /api/v1/contacts": "PostgreSQL: a query parameter holding a NUL character reaches "
                            "the query (DataError: text fields cannot contain NUL)",
    "GET /api/v1/quarantine": "PostgreSQL: a cursor id over 2**31 reaches an integer column "
                              "(DataError: integer out of range)",
    "GET /api/v1/quarantine/{item_id}": "an id over 2**31 (PostgreSQL) or 2**63 (SQLite)",
    "POST /api/v1/quarantine/{item_id}/replay": "an id over 2**31 (PostgreSQL) or 2**63",
    "POST /api/v1/quarantine/{item_id}/discard": "an id over 2**31 (PostgreSQL) or 2**63",
    "POST /api/v1/duplicates/merge": "contact ids over 2**31 (PostgreSQL) or 2**63 (SQLite)",
}


@pytest.fixture
def admin_api(workspace_url: str) -> Iterator[tuple[Api, dict[str, str]]]:
    for api in api_on(workspace_url):
        yield api, auth(make_api_key(api.workspace, "admin", "schemathesis"))


def test_the_api_keeps_to_its_schema(admin_api: tuple[Api, dict[str, str]]) -> None:
    api, headers = admin_api
    schema = schemathesis.openapi.from_asgi(OPENAPI_URL, api.client.app)
    failures: dict[str, list[str]] = {}
    expected: dict[str, list[str]] = {}
    skipped: list[str] = []
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        if time.monotonic() - started > BUDGET_SECONDS:
            skipped.append(label)
            continue
        found = _run(operation, headers)
        if label in KNOWN_INPUT_BOUND_FAILURES:
            if any("Server error" in f for f in found):
                expected[label] = [f for f in found if "Server error" in f]
            found = [f for f in found if "Server error" not in f]
        if found:
            failures[label] = found
    print(f"schemathesis: {len(failures)} failing operation(s); "  # noqa: T201 - the summary
          f"known: {expected}; not reached in {BUDGET_SECONDS} s: {skipped}")
    assert failures == {}


def _run(operation: Any, headers: dict[str, str]) -> list[str]:
    """The distinct failures of EXAMPLES generated cases of one operation."""
    found: list[str] = []

    @seed(SEED)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        response = case.call(headers=headers, allow_redirects=False)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collected, reported
            reasons = [line.strip() for line in str(exc).splitlines() if line.strip()[:3] in
                       ("- S", "- U", "- R", "- C") or "ST" in line[:12]]  # fmt: skip
            message = (f"{response.status_code} {case.method} {case.formatted_path}: "
                       f"{'; '.join(reasons) or str(exc).strip().splitlines()[0][:200]}")
            if message not in found:
                found.append(message)

    check()
    return found
