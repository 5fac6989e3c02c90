"""A group's contract open for sign-up and a logged-in member (tests.baskets' scenario)."""

from __future__ import annotations

import pytest

from marketplace.db import utcnow
from tests.baskets.test_subscribing import build_scenario


@pytest.fixture
def scenario(app, login):
    built = build_scenario(utcnow())
    login(built.member)
    return built
