"""Command-line groups: `flask scheduler ...`, `flask demo ...` and `flask seasons ...`."""

from flask import Flask


def register_commands(app: Flask) -> None:
    from marketplace.baskets.cli import seasons
    from marketplace.demo.cli import demo
    from marketplace.scheduler.cli import scheduler

    app.cli.add_command(scheduler)
    app.cli.add_command(demo)
    app.cli.add_command(seasons)
