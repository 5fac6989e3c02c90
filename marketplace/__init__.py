"""Solidarity short-circuit marketplace: AMAP groups, producers and solidarity groceries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from marketplace.config import build_config

    app.config.update(build_config(Path(app.instance_path), overrides))

    from marketplace import extensions as ext
    from marketplace.accounts import login  # noqa: F401 - registers the user loader
    from marketplace.i18n import select_locale

    ext.db.init_app(app)
    from marketplace.db import use_real_sqlite_transactions

    with app.app_context():
        for engine in ext.db.engines.values():
            use_real_sqlite_transactions(engine)
    ext.migrate.init_app(app, ext.db, directory=str(PROJECT_ROOT / "migrations"))
    ext.csrf.init_app(app)
    ext.babel.init_app(app, locale_selector=select_locale)
    ext.limiter.init_app(app)
    ext.login_manager.init_app(app)

    from marketplace.errors import init_error_pages
    from marketplace.security import init_security
    from marketplace.templating import init_templating

    init_security(app)
    init_error_pages(app)
    init_templating(app)

    from marketplace.cards import gateway

    gateway.init_app(app)

    from marketplace.blueprints import register_blueprints
    from marketplace.cli import register_commands

    register_blueprints(app)
    register_commands(app)
    return app
