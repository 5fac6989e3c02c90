"""Command-line groups: `flask scheduler ...` and `flask demo ...`."""

from flask import Flask


def register_commands(app: Flask) -> None:
    from marketplace.demo.cli import demo
    from marketplace.scheduler.cli import scheduler

    app.cli.add_command(scheduler)
    app.cli.add_command(demo)
