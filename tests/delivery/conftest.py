"""Fixtures of the delivery tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask_babel import force_locale


@pytest.fixture(autouse=True)
def _french(_clean_database) -> Iterator[None]:
    """Services and recurrence functions translate their messages, also outside a request.

    marketplace.i18n.select_locale reads the session, which only exists in a request; a fixed
    locale lets the tests call services directly, as the scheduler and the CLI do.
    """
    with force_locale("fr"):
        yield
