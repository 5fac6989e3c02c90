"""A web worker starts without the libraries only some pages need (route planning, Stripe,
iCalendar feeds, photo uploads) or only the command line needs (Alembic, APScheduler):
imported on first use, so every worker does not carry them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import sys
LAZY = (
    "pyvrp", "stripe", "alembic", "icalendar", "apscheduler", "PIL", "fpdf", "facturx",
    "redis", "segno", "sepaxml", "schwifty",
)
from marketplace import create_app
create_app({
    "SECRET_KEY": "lazy-imports",
    "MARKETPLACE_ENV": "development",
    "SQLALCHEMY_DATABASE_URI": "sqlite://",
})
print(" ".join(name for name in LAZY if name in sys.modules))
"""


def test_route_planning_stripe_and_alembic_are_not_imported_at_start():
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "", result.stdout


def test_flask_db_still_runs_the_migrations(tmp_path):
    """`flask db` configures Flask-Migrate on first use, with the project's settings."""
    import os

    env = {
        **os.environ,
        "MARKETPLACE_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    flask = str(Path(sys.executable).parent / "flask")
    for arguments in (["db", "upgrade"], ["db", "current"]):
        result = subprocess.run(  # noqa: S603 - our venv's flask, fixed arguments
            [flask, "--app", "wsgi", *arguments],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
            cwd=ROOT,
        )
        assert result.returncode == 0, result.stderr[-2000:]
    assert "(head)" in result.stdout
