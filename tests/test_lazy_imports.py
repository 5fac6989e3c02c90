"""A web worker starts without the libraries only some pages need (route planning, Stripe):
they are imported on first use, so every worker does not carry them."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from marketplace import create_app
create_app({
    "SECRET_KEY": "lazy-imports",
    "MARKETPLACE_ENV": "development",
    "SQLALCHEMY_DATABASE_URI": "sqlite://",
})
print(" ".join(name for name in ("pyvrp", "stripe") if name in sys.modules))
"""


def test_route_planning_and_stripe_are_not_imported_at_start():
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "", result.stdout
