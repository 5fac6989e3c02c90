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

    from marketplace.config import build_config, production_problems

    app.config.update(build_config(Path(app.instance_path), overrides))
    problems = production_problems(app.config)
    if problems:
        raise RuntimeError(
            "Production refuses to start with development settings "
            "(MARKETPLACE_ENV=development for a development machine):\n  " + "\n  ".join(problems)
        )
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)

    from marketplace import extensions as ext
    from marketplace.accounts import login  # noqa: F401 - registers the user loader
    from marketplace.i18n import select_locale

    ext.db.init_app(app)
    from marketplace.db import use_real_sqlite_transactions

    with app.app_context():
        for engine in ext.db.engines.values():
            use_real_sqlite_transactions(engine)
    from marketplace import schema_migrations

    schema_migrations.init_app(app, ext.db, PROJECT_ROOT / "migrations")
    ext.csrf.init_app(app)
    ext.babel.init_app(app, locale_selector=select_locale)
    ext.limiter.init_app(app)
    ext.login_manager.init_app(app)

    from marketplace import logs
    from marketplace.errors import init_error_pages
    from marketplace.security import init_security
    from marketplace.templating import init_templating
    from marketplace.typography import init_typography

    logs.init_app(app)  # first: its request id is on every later line
    init_security(app)
    init_error_pages(app)
    init_templating(app)
    init_typography(app)  # after the templates' filters: French hours replace `time`

    from marketplace.cards import gateway

    gateway.init_app(app)

    from marketplace.blueprints import register_blueprints
    from marketplace.bounds import BoundedIntConverter
    from marketplace.cli import register_commands

    # Every `<int:...>` of every route: an id a database column can hold, else 404.
    app.url_map.converters["int"] = BoundedIntConverter

    register_blueprints(app)
    register_commands(app)

    from marketplace import legacy_paths

    legacy_paths.init_app(app)  # after the blueprints: the old addresses redirect to theirs
    return app
