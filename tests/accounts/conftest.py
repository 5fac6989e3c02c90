"""Fixtures for account tests: counting accounts, and apps built with other settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.extensions import db, limiter


@pytest.fixture
def user_count() -> Callable[[], int]:
    def count() -> int:
        return db.session.scalar(select(func.count()).select_from(User))

    return count


@pytest.fixture
def other_app(app: Flask, make_app) -> Iterator[Callable[..., Flask]]:
    """Build an app with some settings changed, inside its own app context.

    The rate limiter is one object shared by every app: once a test is done with its app,
    it is handed back to the main test app (which turns the limits off again).
    """
    contexts = []

    def build(**overrides) -> Flask:
        built = make_app(**overrides)
        context = built.app_context()
        context.push()
        contexts.append(context)
        if built.config["RATELIMIT_ENABLED"]:
            limiter.reset()
        return built

    yield build
    for context in reversed(contexts):
        db.session.remove()
        db.engine.dispose()
        context.pop()
    limiter.init_app(app)
