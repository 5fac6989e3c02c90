"""A fresh job registry per test, so these tests never depend on the real jobs."""

import pytest

from marketplace.scheduler.registry import JobRegistry


@pytest.fixture
def registry() -> JobRegistry:
    return JobRegistry()
