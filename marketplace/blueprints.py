"""Every domain's blueprint, registered in one place."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from marketplace.accounts.views import bp as accounts
    from marketplace.delivery.views import bp as delivery
    from marketplace.groceries.views import bp as groceries
    from marketplace.groups.views import bp as groups
    from marketplace.health import bp as health
    from marketplace.producers.views import bp as producers
    from marketplace.territory.views import bp as territory

    for blueprint in (health, territory, accounts, groups, delivery, producers, groceries):
        app.register_blueprint(blueprint)
