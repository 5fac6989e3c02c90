"""Each request's id (X-Request-Id) and the JSON log lines operators search."""

import io
import json
import logging
import logging.config

import pytest

from marketplace.logs import REQUEST_ID_HEADER, logging_config, request_id_from
from marketplace.security import public


def test_a_sane_request_id_is_kept_and_sent_back(client):
    response = client.get("/healthz", headers={REQUEST_ID_HEADER: "lb-7f3a.42:x_y"})

    assert response.headers[REQUEST_ID_HEADER] == "lb-7f3a.42:x_y"


@pytest.mark.parametrize(
    "hostile", ["", "a b", "x" * 129, "id\r\nSet-Cookie: a=b", "<script>", "é"]
)
def test_an_insane_request_id_is_replaced_by_a_fresh_one(hostile):
    replaced = request_id_from(hostile)

    assert replaced != hostile
    assert len(replaced) == 32 and replaced.isalnum()


def test_every_response_carries_a_request_id_even_without_one_sent(client):
    first = client.get("/healthz").headers[REQUEST_ID_HEADER]
    second = client.get("/no-such-page").headers[REQUEST_ID_HEADER]

    assert first and second and first != second


@pytest.fixture
def json_lines():
    """The JSON configuration installed for the test, its lines collected."""
    stream = io.StringIO()
    config = logging_config("json")
    config["handlers"]["main"]["stream"] = stream
    previous = logging.getLogger().handlers[:], logging.getLogger().level
    logging.config.dictConfig(config)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root = logging.getLogger()
    root.handlers[:], root.level = previous
    for name in (
        "marketplace",
        "marketplace.requests",
        "gunicorn.error",
        "gunicorn.access",
        "fontTools",
    ):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True


def test_json_logs_say_each_request_with_its_id_and_duration(make_app, json_lines):
    app = make_app()

    @app.get("/test-logs/speaks")
    @public
    def speaks():
        app.logger.warning("inside the request")
        return "ok"

    app.test_client().get("/test-logs/speaks", headers={REQUEST_ID_HEADER: "req-1"})

    lines = json_lines()
    inside = next(line for line in lines if line["message"] == "inside the request")
    request_line = next(line for line in lines if line["logger"] == "marketplace.requests")
    assert inside["request_id"] == "req-1" and inside["level"] == "WARNING"
    assert request_line["request_id"] == "req-1"
    assert request_line["status"] == 200 and request_line["method"] == "GET"
    assert request_line["path"] == "/test-logs/speaks"
    assert request_line["duration_ms"] >= 0
    assert {"time", "logger", "message"} <= set(request_line)


def test_lines_outside_a_request_carry_a_dash(json_lines):
    logging.getLogger("marketplace.scheduler").info("a pass")

    assert json_lines()[-1]["request_id"] == "-"


def test_issuing_a_pdf_writes_no_font_subsetting_lines(json_lines):
    """fpdf2's font subsetting logs a dozen INFO lines per PDF: a run of the documents job
    buried the scheduler's own lines under thousands of them."""
    logging.getLogger("fontTools.subset").info("glyf pruned")
    logging.getLogger("fontTools.subset").warning("a real problem")
    assert [line["message"] for line in json_lines()] == ["a real problem"]
