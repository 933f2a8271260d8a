"""Property-based tests from the OpenAPI document: no input makes the server fail (500).

Schemathesis generates requests for every operation of ``/openapi.json`` (a bounded number of
examples each, so the run stays short), sent with an admin token so that writes run to their
end. The live stream is left out: it is an endless ``text/event-stream`` (``tests/test_api.py``
reads it).
"""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopfloor.api import create_app
from shopfloor.assess.service import AssessmentService
from tests.test_api_support import (  # noqa: F401 - fixtures
    API,
    DEMO,
    Platform,
    platform_fixture,
    templates_fixture,
)

EXAMPLES = 8
SKIP = {f"{API}/live/stream"}


def test_no_generated_request_makes_a_server_error(platform: Platform, tmp_path: Path) -> None:
    # every service present (a missing one answers 503 by design, tests/test_api_maintenance.py)
    platform.ctx.maintenance = lambda: ("scoring", {})
    events = platform.ctx.events
    assert events is not None
    assessment = AssessmentService(
        DEMO, tmp_path / "assessment", events=events.until, events_span=events.span
    )
    platform.ctx.assessment = assessment
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(platform.ctx))
    admin = platform.bearer("admin")
    tried = 0
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # raises on a schema error
        if operation.path in SKIP:
            continue
        tried += 1

        @given(case=operation.as_strategy(), auth=st.booleans())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case, auth: bool) -> None:
            response = case.call(headers=admin if auth else None)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path}: {response.status_code} {response.text}\n"
                f"{case.as_curl_command()}"
            )
            assert response.headers.get("x-request-id")

        check()
    assert tried >= 40
    assessment.wait(600)  # a run the generated requests started ends before the folder goes
