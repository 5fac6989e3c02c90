"""Card payment tests: the dunning helper's reaction to a failed charge, recorded instead."""

from __future__ import annotations

import sys
import types

import pytest


@pytest.fixture
def failed_charges(monkeypatch) -> list:
    """Payments handed to `marketplace.cards.dunning.on_charge_failed` during the test."""
    calls: list = []
    fake = types.ModuleType("marketplace.cards.dunning")
    fake.on_charge_failed = calls.append
    monkeypatch.setitem(sys.modules, "marketplace.cards.dunning", fake)
    return calls
