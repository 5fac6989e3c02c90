"""The JSON API against its own OpenAPI description (schemathesis).

Every operation of `/api/openapi.json` gets generated requests, valid ones and invalid ones, as
the volunteer on duty that day: never a 5xx, every answer's status, content type and body as
described, and a refused request changes nothing. Valid requests aim at the real day half the
time, so they reach the checklist itself rather than a 404.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from marketplace.extensions import db
from tests.helpers import login_id
from tests.hostile.test_generated_input import changed_tables, database_fingerprint
from tests.pickup import scenario

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 25


@pytest.fixture
def on_duty(app):
    """A day with three households, and the session cookie of its volunteer on duty."""
    setup = scenario.make_day()
    scenario.add_households(setup, 3)
    volunteer = scenario.volunteer(setup)
    db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = login_id(volunteer)
    db.session.commit()
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return {"day_id": setup.day.id, "cookies": {cookie.key: cookie.value}}


def operations(app) -> list:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    found = [result.ok() for result in schema.get_all_operations()]
    assert found, "the API describes no operation"
    return found


def fuzz(operation, mode, on_duty) -> int:
    """Generated requests to one operation; returns how many were sent."""
    real_day = {"day_id": on_duty["day_id"]} if "day_id" in operation.path else None
    calls = []

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def call(data):
        aim_at_the_day = real_day is not None and data.draw(st.booleans(), label="real day")
        strategy = operation.as_strategy(
            generation_mode=mode, path_parameters=real_day if aim_at_the_day else None
        )
        case = data.draw(strategy)
        before = database_fingerprint()
        response = case.call(cookies=on_duty["cookies"])
        db.session.rollback()
        calls.append(response.status_code)
        case.validate_response(response, checks=CHECKS)
        if response.status_code >= 400:
            assert not changed_tables(before, database_fingerprint()), case.as_curl_command()

    call()
    return len(calls)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_answers_as_it_describes_itself(app, on_duty, mode):
    sent = sum(fuzz(operation, mode, on_duty) for operation in operations(app))
    assert sent >= EXAMPLES_PER_OPERATION
