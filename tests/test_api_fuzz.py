"""Schema fuzzing: schemathesis drives every operation of /api/schema/ through WSGI.

No input may produce a 5xx, and every documented response must match its schema.
(Operations are walked through schemathesis' Python API, which works with this pytest.)
"""

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.analytics_data import add_attempts
from tests.api_helpers import bearer, tokens_for
from webapp.models import utcnow

SETTINGS = settings(
    max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None
)


def test_no_server_errors_and_responses_match_the_schema(app_factory, user_factory):
    app = app_factory(RATELIMIT_ENABLED=False, LOCKOUT_ENABLED=False)
    admin = user_factory(role="admin")
    with app.app_context():
        add_attempts([(admin.id, utcnow(), True), (None, utcnow(), False)])
    headers = bearer(tokens_for(app.test_client(), admin)["access"])
    schema = schemathesis.openapi.from_wsgi("/api/schema/", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    checked, statuses = [], []
    for operation in operations:
        if operation.method.upper() == "DELETE":
            continue  # deleting the fuzzing admin would turn the rest into 401s
        if operation.path in ("/api/user/logout/", "/api/user/switch-role/"):
            continue  # would end or narrow the fuzzing session; covered by contract tests

        @given(case=operation.as_strategy())
        @SETTINGS
        def run(case):
            response = case.call_and_validate(
                headers=headers, checks=[not_a_server_error, response_schema_conformance]
            )
            statuses.append(response.status_code)

        run()
        checked.append(f"{operation.method.upper()} {operation.path}")
    assert len(checked) >= 25
    # The fuzzing reached the views: plenty of successes and of refused inputs.
    assert statuses.count(200) > 50 and statuses.count(400) > 20, sorted(set(statuses))
