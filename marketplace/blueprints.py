"""Every domain's blueprint, registered in one place."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from marketplace.accounts.views import bp as accounts
    from marketplace.baskets.delivery_views import bp as my_deliveries
    from marketplace.baskets.offer_views import bp as offers
    from marketplace.baskets.prefinancing_views import bp as prefinancing
    from marketplace.baskets.subscription_views import bp as subscriptions
    from marketplace.baskets.tier_views import bp as tiers
    from marketplace.baskets.waiting_views import bp as waiting_list
    from marketplace.delivery.views import bp as delivery
    from marketplace.groceries.views import bp as groceries
    from marketplace.groups.views import bp as groups
    from marketplace.health import bp as health
    from marketplace.payments.fund_views import bp as fund
    from marketplace.payments.offline_views import bp as offline_payments
    from marketplace.payments.views import bp as payments
    from marketplace.producers.views import bp as producers
    from marketplace.territory.views import bp as territory

    for blueprint in (
        health,
        territory,
        accounts,
        groups,
        delivery,
        producers,
        groceries,
        payments,
        offline_payments,
        prefinancing,
        my_deliveries,
        offers,
        subscriptions,
        tiers,
        waiting_list,
        fund,
    ):
        app.register_blueprint(blueprint)
