"""Every domain's blueprint, registered in one place."""

from flask import Flask
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from marketplace.security import public


class JsonApi(Api):
    """flask-smorest for the JSON API under /api/: its JSON error handler serves the API's own
    blueprints only, so the HTML pages keep their error pages."""

    def _register_error_handlers(self) -> None:
        pass

    def register_blueprint(self, blp, **options) -> None:
        if not blp._got_registered_once:  # a blueprint is set up once, whatever the apps
            blp.register_error_handler(HTTPException, self.handle_http_exception)
        super().register_blueprint(blp, **options)


def register_api(app: Flask) -> None:
    """Every JSON blueprint, and its OpenAPI description at /api/openapi.json (public)."""
    from marketplace.grocery_shop.walk_in_api import blp as walk_in_api
    from marketplace.pickup.api import blp as pickup_api

    api = JsonApi(app)
    api.register_blueprint(pickup_api)
    api.register_blueprint(walk_in_api)
    describe = app.view_functions["api-docs.openapi_json"]
    app.view_functions["api-docs.openapi_json"] = public(lambda: describe())


def register_checklist_sources(app: Flask) -> None:
    """The kinds of checklist the pickup page, API and sync serve (pickup/sources.py)."""
    from marketplace.grocery_shop.stop_checklist import STOPS
    from marketplace.pickup.day_source import DAYS
    from marketplace.pickup.sources import register_source

    for source in (DAYS, STOPS):
        register_source(app, source)


def register_calendar_followers(app: Flask) -> None:
    """Domains whose rows hang on distribution days follow the calendar (delivery/followers.py)."""
    from marketplace.baskets.seasons import SEASON_FOLLOWER
    from marketplace.delivery.followers import register

    register(SEASON_FOLLOWER)


def register_member_columns(app: Flask) -> None:
    """Contracts held and shifts done, columns of the members page (membership/columns.py)."""
    from marketplace.baskets.member_columns import CONTRACTS_COLUMN
    from marketplace.membership.columns import register
    from marketplace.shifts.member_columns import SHIFTS_COLUMN

    register(CONTRACTS_COLUMN)
    register(SHIFTS_COLUMN)


def register_signup_followers(app: Flask) -> None:
    """What follows a committed sign-up: its invoice (baskets/signup_followers.py)."""
    from marketplace.baskets.signup_followers import register
    from marketplace.invoicing.sending import after_signup

    register("invoicing", after_signup)


def register_card_fees(app: Flask) -> None:
    """Membership fees paid by card (cards/fees.py, membership/card_fees.py)."""
    from marketplace.membership.card_fees import register_hooks

    register_hooks()


def register_payment_offers(app: Flask) -> None:
    """Other ways to pay a contract, shown on its page and on its sign-up form
    (baskets/payment_offers.py)."""
    from marketplace.baskets.payment_offers import register, register_signup_choice
    from marketplace.direct_debit.mandates import payment_offer, signup_choice

    register("direct_debit", payment_offer)
    register_signup_choice(signup_choice())


def register_blueprints(app: Flask) -> None:
    from marketplace.accounts.views import bp as accounts
    from marketplace.baskets.delivery_views import bp as my_deliveries
    from marketplace.baskets.offer_views import bp as offers
    from marketplace.baskets.prefinancing_views import bp as prefinancing
    from marketplace.baskets.subscription_views import bp as subscriptions
    from marketplace.baskets.tier_views import bp as tiers
    from marketplace.baskets.waiting_views import bp as waiting_list
    from marketplace.books.statement_views import bp as producer_books
    from marketplace.books.views import bp as books
    from marketplace.cards.coordinator_views import bp as card_followup
    from marketplace.cards.credit_views import bp as credits
    from marketplace.cards.views import bp as cards
    from marketplace.cards.webhooks import bp as stripe_webhooks
    from marketplace.catalogue.views import bp as catalogue
    from marketplace.catalogue.week_views import bp as week_baskets
    from marketplace.delivery.views import bp as delivery
    from marketplace.direct_debit.admin_views import bp as direct_debit_admin
    from marketplace.direct_debit.views import bp as direct_debit
    from marketplace.documents.views import bp as documents
    from marketplace.feeds.views import bp as feeds
    from marketplace.groceries.views import bp as groceries
    from marketplace.grocery_shop.beneficiary_views import bp as beneficiaries
    from marketplace.grocery_shop.loading_views import bp as grocery_loading
    from marketplace.grocery_shop.preorder_views import bp as preorders
    from marketplace.grocery_shop.purchase_views import bp as grocery_purchases
    from marketplace.grocery_shop.stock_views import bp as grocery_stock
    from marketplace.grocery_shop.walk_in_views import bp as walk_in_sales
    from marketplace.groups.views import bp as groups
    from marketplace.health import bp as health
    from marketplace.invoicing.views import bp as invoicing
    from marketplace.membership.manage_views import bp as membership_admin
    from marketplace.membership.views import bp as membership
    from marketplace.messages.views import bp as group_messages
    from marketplace.metrics import bp as metrics
    from marketplace.payments.fund_views import bp as fund
    from marketplace.payments.offline_views import bp as offline_payments
    from marketplace.payments.views import bp as payments
    from marketplace.pickup.closing_views import bp as pickup_closing
    from marketplace.pickup.views import bp as pickup
    from marketplace.privacy.views import bp as privacy
    from marketplace.producers.views import bp as producers
    from marketplace.routes.plan_views import bp as route_plans
    from marketplace.routes.public_views import bp as timetables
    from marketplace.routes.views import bp as routes
    from marketplace.shifts.views import bp as shifts
    from marketplace.shop.dashboard_views import bp as producer_dashboard
    from marketplace.shop.list_views import bp as producer_lists
    from marketplace.shop.views import bp as shop
    from marketplace.territory.views import bp as territory

    for blueprint in (
        health,
        metrics,
        territory,
        accounts,
        groups,
        membership,
        membership_admin,
        delivery,
        producers,
        groceries,
        beneficiaries,
        grocery_stock,
        grocery_purchases,
        preorders,
        grocery_loading,
        walk_in_sales,
        payments,
        offline_payments,
        books,
        producer_books,
        prefinancing,
        my_deliveries,
        offers,
        subscriptions,
        tiers,
        waiting_list,
        fund,
        card_followup,
        direct_debit,
        direct_debit_admin,
        cards,
        credits,
        stripe_webhooks,
        catalogue,
        week_baskets,
        documents,
        pickup,
        pickup_closing,
        shifts,
        shop,
        producer_lists,
        producer_dashboard,
        route_plans,
        routes,
        timetables,
        feeds,
        privacy,
        invoicing,
        group_messages,
    ):
        app.register_blueprint(blueprint)
    register_checklist_sources(app)
    register_calendar_followers(app)
    register_member_columns(app)
    register_signup_followers(app)
    register_card_fees(app)
    register_payment_offers(app)
    register_api(app)
