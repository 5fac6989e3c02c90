"""`GET /metrics`: Prometheus' text format, requests by endpoint, jobs and payments."""

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.scheduler.models import JobRun


def samples(response) -> dict[tuple, float]:
    found = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_count_requests_by_endpoint_without_login(client):
    before = samples(client.get("/metrics"))
    client.get("/healthz")
    client.get("/healthz")
    client.get("/nowhere/at/all")

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    after = samples(response)
    key = (
        "marketplace_request_duration_seconds_count",
        (("endpoint", "health.healthz"), ("method", "GET")),
    )
    assert after[key] - before.get(key, 0) == 2
    unmatched = ("marketplace_requests_total", (("endpoint", "unmatched"), ("status", "4xx")))
    assert after[unmatched] - before.get(unmatched, 0) == 1


def test_metrics_report_job_runs_failures_and_last_success(client):
    now = utcnow()
    db.session.add_all(
        [
            JobRun(
                job_name="remind",
                period_key="2026-01-01",
                started_at=now - timedelta(hours=1),
                finished_at=now,
                outcome="succeeded",
                attempts=2,
                worker="w",
                summary="",
            ),
            JobRun(
                job_name="remind",
                period_key="2026-01-02",
                started_at=now,
                finished_at=now,
                outcome="failed",
                attempts=3,
                worker="w",
                summary="boom",
            ),
        ]
    )
    db.session.commit()

    found = samples(client.get("/metrics"))

    assert found[("marketplace_job_runs_total", (("job", "remind"),))] == 5
    assert found[("marketplace_job_failed_periods", (("job", "remind"),))] == 1
    assert found[("marketplace_job_last_success_timestamp_seconds", (("job", "remind"),))] == (
        now.timestamp()
    )
    assert found[("marketplace_card_payment_failures_total", ())] == 0


def test_a_metrics_token_is_asked_for_when_configured(make_app):
    guarded = make_app(METRICS_TOKEN="s3cret").test_client()

    assert guarded.get("/metrics").status_code == 401
    assert guarded.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert guarded.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200
