"""The authorization matrix: every route of the app × every role.

RULES names who may open each endpoint; a route added without a rule fails
`test_every_route_has_a_rule`. For every GET route, each role (anonymous, member, coordinator
of the group, coordinator of another group, producer, grocery staff, admin) opens it with the
group's own ids, another group's ids and ids beyond the database: never a 5xx; a visitor is
sent to the login page unless the route is public; only the group's coordinators and the
admins open the group's management pages; only a producer's staff and the admins open that
producer's pages, and only a grocery's staff and the admins open its staff pages.
"""

from __future__ import annotations

import re

import pytest

from marketplace.extensions import db
from marketplace.organisations.models import Role
from tests import factories
from tests.helpers import login_id

PUBLIC = "public"  # anyone, visitors included
LOGIN = "login"  # anyone logged in (the view checks the person's own records and roles)
COORDINATOR = "coordinator"  # the group's coordinators (and admins) only
PRODUCER = "producer"  # the producer's staff (and admins) only
GROCERY = "grocery"  # the grocery's staff (and admins) only; its volunteers where the page says

RULES = {
    "accounts.end_other_sessions": LOGIN,
    "accounts.end_session": LOGIN,
    "accounts.login": PUBLIC,
    "accounts.login_link_request": PUBLIC,
    "accounts.use_login_link": PUBLIC,
    "accounts.logout": PUBLIC,
    "accounts.my_sessions": LOGIN,
    "accounts.profile": LOGIN,
    "accounts.register": PUBLIC,
    "accounts.reset_password": PUBLIC,
    "accounts.reset_request": PUBLIC,
    "api-docs.openapi_json": PUBLIC,
    "feeds.deliveries": PUBLIC,
    "feeds.group": PUBLIC,
    "feeds.index": LOGIN,
    "feeds.renew": LOGIN,
    "feeds.shifts": PUBLIC,
    "privacy.delete_account": LOGIN,
    "privacy.departures": COORDINATOR,
    "privacy.download": LOGIN,
    "privacy.index": LOGIN,
    "beneficiaries.archive": GROCERY,
    "beneficiaries.create": GROCERY,
    "beneficiaries.detail": GROCERY,
    "beneficiaries.edit": GROCERY,
    "beneficiaries.index": GROCERY,
    "beneficiaries.restore": GROCERY,
    "books.cash": COORDINATOR,
    "books.cheques": COORDINATOR,
    "books.group_account": COORDINATOR,
    "books.index": COORDINATOR,
    "books.producer_account": COORDINATOR,
    "books.remit": COORDINATOR,
    "books.remittance": COORDINATOR,
    "producer_books.fec_export": COORDINATOR,
    "producer_books.group_statement": COORDINATOR,
    "producer_books.make_payouts": COORDINATOR,
    "producer_books.payout_file": COORDINATOR,
    "producer_books.producer_bank_account": LOGIN,
    "producer_books.producer_statement": LOGIN,
    "card_followup.cancel_attempt": COORDINATOR,
    "card_followup.index": COORDINATOR,
    "credits.carry": COORDINATOR,
    "credits.index": COORDINATOR,
    "credits.refund": COORDINATOR,
    "card_followup.retry": COORDINATOR,
    "card_followup.stop": COORDINATOR,
    "cards.add_method": LOGIN,
    "cards.authenticate": LOGIN,
    "cards.cancel_payment": LOGIN,
    "cards.default_method": LOGIN,
    "cards.group_payments": LOGIN,
    "cards.pay_installment": LOGIN,
    "cards.pay_order": LOGIN,
    "cards.pay_membership": LOGIN,
    "cards.payment_return": LOGIN,
    "cards.refund": LOGIN,
    "cards.remove_method": LOGIN,
    "cards.saved_methods": LOGIN,
    "catalogue.archive_product": PRODUCER,
    "catalogue.availability": PRODUCER,
    "catalogue.copy_date": PRODUCER,
    "catalogue.edit_product": PRODUCER,
    "catalogue.grid": PRODUCER,
    "catalogue.new_product": PRODUCER,
    "catalogue.photo": PUBLIC,
    "catalogue.products_list": PRODUCER,
    "catalogue.restore_product": PRODUCER,
    "week_baskets.copy_previous": LOGIN,
    "week_baskets.days": LOGIN,
    "week_baskets.edit": LOGIN,
    "week_baskets.photo": LOGIN,
    "direct_debit.choose": LOGIN,
    "direct_debit.mandate": LOGIN,
    "direct_debit.printable": LOGIN,
    "direct_debit.revoke": LOGIN,
    "direct_debit.sign": LOGIN,
    "direct_debit_admin.batch": COORDINATOR,
    "direct_debit_admin.batch_file": COORDINATOR,
    "direct_debit_admin.batches": COORDINATOR,
    "direct_debit_admin.build": COORDINATOR,
    "direct_debit_admin.collected": COORDINATOR,
    "direct_debit_admin.ignore": COORDINATOR,
    "direct_debit_admin.match": COORDINATOR,
    "direct_debit_admin.returned": COORDINATOR,
    "direct_debit_admin.settings": COORDINATOR,
    "direct_debit_admin.statement": COORDINATOR,
    "delivery.calendar": COORDINATOR,
    "delivery.deactivate_pickup_point": COORDINATOR,
    "delivery.edit_pickup_point": COORDINATOR,
    "delivery.edit_schedule": COORDINATOR,
    "delivery.new_pickup_point": COORDINATOR,
    "delivery.new_schedule": COORDINATOR,
    "delivery.pickup_points": COORDINATOR,
    "delivery.reactivate_pickup_point": COORDINATOR,
    "delivery.remove_exception": COORDINATOR,
    "delivery.resume_schedule": COORDINATOR,
    "delivery.schedule_exceptions": COORDINATOR,
    "delivery.suspend_schedule": COORDINATOR,
    "fund.give": LOGIN,
    "fund.overview": LOGIN,
    "groceries.add_member_role": GROCERY,
    "documents.delete": COORDINATOR,
    "documents.download": PUBLIC,  # the audience is checked inside (tests/documents)
    "documents.manage": COORDINATOR,
    "groceries.detail": PUBLIC,
    "groceries.edit": GROCERY,
    "groceries.members": GROCERY,
    "groceries.remove_member_role": GROCERY,
    "grocery_loading.close": GROCERY,
    "grocery_loading.driver_sheet": GROCERY,
    "grocery_loading.loading_list": GROCERY,
    "grocery_purchases.cancel": GROCERY,
    "grocery_purchases.day": GROCERY,
    "grocery_purchases.index": GROCERY,
    "grocery_purchases.receive": GROCERY,
    "grocery_stock.adjust": GROCERY,
    "grocery_stock.donation": GROCERY,
    "grocery_stock.index": GROCERY,
    "grocery_stock.purchase": GROCERY,
    "grocery_stock.receive": GROCERY,
    "groups.add_member_role": COORDINATOR,
    "groups.edit": LOGIN,
    "groups.join": LOGIN,
    "groups.leave": LOGIN,
    "groups.members": COORDINATOR,
    "groups.remove_member_role": COORDINATOR,
    "health.healthz": PUBLIC,
    "health.readyz": PUBLIC,
    "my_deliveries.cancel_absence": LOGIN,
    "my_deliveries.cancel_gift": LOGIN,
    "my_deliveries.give": LOGIN,
    "my_deliveries.index": LOGIN,
    "my_deliveries.mark_absent": LOGIN,
    "offers.archive": COORDINATOR,
    "offers.detail": PUBLIC,
    "offers.edit": COORDINATOR,
    "offers.edit_size": COORDINATOR,
    "offers.edit_tier": COORDINATOR,
    "offers.group_offers": PUBLIC,
    "offers.manage_list": COORDINATOR,
    "offers.new": COORDINATOR,
    "offers.new_size": COORDINATOR,
    "offers.new_tier": COORDINATOR,
    "offers.producer_offers": PRODUCER,
    "offers.publish": COORDINATOR,
    "offers.remove_size": COORDINATOR,
    "offers.remove_tier": COORDINATOR,
    "membership.join": LOGIN,
    "membership.receipt": LOGIN,
    "membership_admin.import_members": COORDINATOR,
    "membership_admin.invite": COORDINATOR,
    "membership_admin.members": COORDINATOR,
    "membership_admin.record_payment": COORDINATOR,
    "membership_admin.settings": COORDINATOR,
    "offline_payments.bulk": COORDINATOR,
    "offline_payments.index": COORDINATOR,
    "offline_payments.record": COORDINATOR,
    "metrics.metrics": PUBLIC,  # Prometheus; METRICS_TOKEN asks for a bearer token
    "payments.arrears": COORDINATOR,
    "payments.my_statement": LOGIN,
    "pickup.checklist": LOGIN,
    "pickup.manifest": PUBLIC,
    "pickup.my_days": LOGIN,
    "pickup.offline": PUBLIC,
    "pickup.service_worker": PUBLIC,
    "pickup.stop_checklist": LOGIN,
    "pickup_api.ChecklistResource": PUBLIC,
    "pickup_api.StopChecklistResource": PUBLIC,
    "pickup_api.StopTapsResource": PUBLIC,
    "pickup_api.TapsResource": PUBLIC,
    "pickup_closing.all_collected": LOGIN,
    "pickup_closing.close": LOGIN,
    "pickup_closing.my_code": LOGIN,
    "pickup_closing.report": LOGIN,
    "pickup_closing.scan": LOGIN,
    "pickup_closing.signoff_sheet": LOGIN,
    "pickup_closing.to_confirm": LOGIN,
    "prefinancing.group": COORDINATOR,
    "messages.group_messages": COORDINATOR,
    "messages.group_message": COORDINATOR,
    "messages.producer_messages": LOGIN,
    "messages.producer_message": LOGIN,
    "messages.received": LOGIN,
    "prefinancing.index": LOGIN,
    "preorders.mine": LOGIN,
    "preorders.mine_cancel": LOGIN,
    "preorders.mine_order": LOGIN,
    "preorders.staff_cancel": GROCERY,
    "preorders.staff_index": GROCERY,
    "preorders.staff_order": GROCERY,
    "producer_dashboard.show": PRODUCER,
    "producer_lists.harvest": PRODUCER,
    "producer_lists.index": PRODUCER,
    "producer_lists.packing": PRODUCER,
    "producer_lists.sheet": PRODUCER,
    "producers.add_member_role": PRODUCER,
    "invoicing.mine": LOGIN,
    "invoicing.download": LOGIN,
    "invoicing.of_group": COORDINATOR,
    "invoicing.of_producer": LOGIN,
    "invoicing.identity": LOGIN,
    "producers.detail": PUBLIC,
    "producers.edit": PRODUCER,
    "producers.group_partners": COORDINATOR,
    "producers.link_group": COORDINATOR,
    "producers.members": PRODUCER,
    "producers.remove_member_role": PRODUCER,
    "producers.unlink_group": COORDINATOR,
    "route_plans.accept": LOGIN,
    "route_plans.optimise": LOGIN,
    "route_plans.show": LOGIN,
    "routes.edit_depot": GROCERY,
    "routes.edit_route": GROCERY,
    "routes.edit_stop": GROCERY,
    "routes.edit_van": GROCERY,
    "routes.exceptions": GROCERY,
    "routes.index": GROCERY,
    "routes.new_depot": GROCERY,
    "routes.new_route": GROCERY,
    "routes.new_stop": GROCERY,
    "routes.new_van": GROCERY,
    "routes.remove_exception": GROCERY,
    "routes.remove_stop": GROCERY,
    "routes.route": GROCERY,
    "routes.timetable": GROCERY,
    "shifts.assign": COORDINATOR,
    "shifts.attendance": LOGIN,
    "shifts.cancel": LOGIN,
    "shifts.counts": COORDINATOR,
    "shifts.day": COORDINATOR,
    "shifts.edit_role": COORDINATOR,
    "shifts.index": LOGIN,
    "shifts.remove": COORDINATOR,
    "shifts.role_list": COORDINATOR,
    "shifts.sign_up": LOGIN,
    "shifts.staffing": COORDINATOR,
    "shifts.toggle_lead": COORDINATOR,
    "shop.cancel": LOGIN,
    "shop.index": LOGIN,
    "shop.my_orders": LOGIN,
    "shop.order": LOGIN,
    "shop.shop": LOGIN,
    "static": PUBLIC,
    "stripe_webhooks.receive": PUBLIC,
    "subscriptions.detail": LOGIN,
    "subscriptions.new": LOGIN,
    "territory.places_map": PUBLIC,
    "territory.dashboard": LOGIN,
    "territory.favicon": PUBLIC,
    "territory.group": PUBLIC,
    "territory.home": PUBLIC,
    "territory.set_language": PUBLIC,
    "tiers.approve": COORDINATOR,
    "tiers.refuse": COORDINATOR,
    "tiers.requests": COORDINATOR,
    "timetables.grocery_routes": PUBLIC,
    "timetables.route_ics": PUBLIC,
    "timetables.route_page": PUBLIC,
    "timetables.stop_ics": PUBLIC,
    "timetables.stop_page": PUBLIC,
    "waiting_list.cancel": LOGIN,
    "waiting_list.cancel_by_coordinator": COORDINATOR,
    "waiting_list.join": LOGIN,
    "waiting_list.withdraw": LOGIN,
    "walk_in.record_sale": GROCERY,
    "walk_in.void_sale": GROCERY,
    "walk_in_api.WalkInSalesResource": PUBLIC,
}

ROLES = (
    "anonymous",
    "member",
    "coordinator",
    "other_coordinator",
    "producer",
    "grocery_staff",
    "admin",
)
COORDINATOR_OF = {"coordinator": "les-tilleuls", "other_coordinator": "les-autres"}


@pytest.fixture
def world():
    """Two groups, a producer supplying the first, a grocery, and one person per role."""
    group = factories.GroupFactory(slug="les-tilleuls")
    other = factories.GroupFactory(slug="les-autres")
    producer = factories.ProducerFactory(slug="ferme-du-coin")
    factories.ProducerSuppliesGroupFactory(group=group, producer=producer)
    grocery = factories.GroceryFactory(slug="epicerie-du-coin")
    offer = factories.BasketOfferFactory(supply__group=group)
    people = {
        "member": (Role.MEMBER, group),
        "coordinator": (Role.COORDINATOR, group),
        "other_coordinator": (Role.COORDINATOR, other),
        "producer": (Role.PRODUCER_STAFF, producer),
        "grocery_staff": (Role.GROCERY_STAFF, grocery),
    }
    users = {}
    for name, (role, organisation) in people.items():
        user = factories.UserFactory()
        factories.MembershipFactory(user=user, organisation=organisation, role=str(role))
        users[name] = user
    users["admin"] = factories.UserFactory(is_admin=True)
    db.session.commit()
    return {
        "users": users,
        "group": group,
        "other": other,
        "ids": {"offer_id": offer.id, "group_id": group.id},
        "other_ids": {"offer_id": offer.id, "group_id": other.id},
        "producer_ids": {"producer_id": producer.id, "group_id": group.id},
    }


def test_every_route_has_a_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert sorted(endpoints - RULES.keys()) == [], "a new route needs a rule in RULES"
    assert sorted(RULES.keys() - endpoints) == [], "a rule for a route that is gone"


def test_the_rules_match_the_views(app):
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        public = getattr(view, "is_public", False) or rule.endpoint == "static"
        assert (RULES[rule.endpoint] == PUBLIC) == public, rule.endpoint


def _urls(app, slug: str, ids: dict[str, int], fallback: str):
    """Each GET route with this group's slug (or the other organisations' slugs) and ids."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        path = rule.rule
        path = path.replace("<slug>", slug)
        path = re.sub(r"<int:(\w+)>", lambda match: str(ids.get(match.group(1), fallback)), path)
        path = re.sub(r"<(?:\w+:)?\w+>", "x", path)
        yield rule.endpoint, path


def _client_as(app, role: str, world):
    client = app.test_client()
    if role != "anonymous":
        cookie_id = login_id(world["users"][role])
        with client.session_transaction() as session:
            session["_user_id"] = cookie_id
    return client


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_every_role_without_error(app, world, role):
    client = _client_as(app, role, world)
    seen = 0
    for slug, ids, fallback in (
        ("les-tilleuls", world["ids"], "1"),
        ("les-autres", world["other_ids"], "2147483647"),
    ):
        for endpoint, path in _urls(app, slug, ids, fallback):
            response = client.get(path)
            seen += 1
            status = response.status_code
            assert status < 500, (role, path, status)
            rule = RULES[endpoint]
            if role == "anonymous" and rule != PUBLIC:
                assert status in (302, 401), (path, status)
                if status == 302:
                    assert "/compte/connexion" in response.headers["Location"], path
            if rule == COORDINATOR and status == 200:
                assert role == "admin" or COORDINATOR_OF.get(role) == slug, (role, path)
    assert seen > 2 * 120  # every GET route, twice


def test_a_member_cannot_open_the_management_pages(app, world):
    client = _client_as(app, "member", world)
    for endpoint, path in _urls(app, "les-tilleuls", world["ids"], "1"):
        if RULES[endpoint] == COORDINATOR:
            assert client.get(path).status_code in (403, 404), path


STAFF_PAGES = {
    PRODUCER: ("ferme-du-coin", "producer_ids", {"producer", "admin"}),
    GROCERY: ("epicerie-du-coin", "producer_ids", {"grocery_staff", "admin"}),
}


@pytest.mark.parametrize("kind", [PRODUCER, GROCERY])
def test_staff_pages_open_only_for_their_staff(app, world, kind):
    slug, ids, allowed = STAFF_PAGES[kind]
    opened = {role: 0 for role in ROLES}
    for role in ROLES:
        client = _client_as(app, role, world)
        for endpoint, path in _urls(app, slug, world[ids], "1"):
            if RULES[endpoint] != kind:
                continue
            status = client.get(path).status_code
            if role == "anonymous":
                assert status in (302, 401), (path, status)
            elif role not in allowed:
                assert status in (403, 404), (role, path, status)
            elif status == 200:
                opened[role] += 1
    assert all(opened[role] >= 3 for role in allowed), opened
