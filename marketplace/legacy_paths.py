# ruff: noqa: E501 - the old rules are data, one per line, as `flask routes` listed them
"""The site's addresses before they were all French: each old path answers with a permanent
redirect to the page's address today, so printed QR codes (/pickup/scan/<token>), e-mailed
links (login links, password resets, card payments), calendar subscriptions and bookmarks keep
working.

LEGACY_ROUTES holds the old rules, copied from `flask routes` before the rename, with their
endpoint: they are built into a werkzeug Map of their own, matched only when a request found
no route (a 404 from routing), and the new address is built with url_for(endpoint, **values),
the query string kept. 301 for GET and HEAD, 308 for the other methods (a form left open in an
old tab still posts). The target is a path of this site, never another host.

This list is data: do not rewrite it (the URL rename script leaves this file alone).
"""

from __future__ import annotations

from flask import Flask, current_app, redirect, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

from marketplace.errors import on_unrouted_request

# The old rules, as `flask routes` listed them before the addresses became French:
# endpoint, methods, rule.
LEGACY_ROUTES = """
accounts.login                        GET,POST  /account/login
accounts.login_link_request           GET,POST  /account/login/link
accounts.use_login_link               GET,POST  /account/login/link/<token>
accounts.logout                       POST      /account/logout
accounts.reset_request                GET,POST  /account/password/forgot
accounts.reset_password               GET,POST  /account/password/reset/<token>
accounts.profile                      GET,POST  /account/profile
accounts.register                     GET,POST  /account/register
accounts.my_sessions                  GET       /account/sessions
accounts.end_session                  POST      /account/sessions/<int:session_id>/end
accounts.end_other_sessions           POST      /account/sessions/end-others
territory.dashboard                   GET       /dashboard
groceries.detail                      GET       /groceries/<slug>
groceries.edit                        GET,POST  /groceries/<slug>/edit
groceries.members                     GET       /groceries/<slug>/manage/members
groceries.add_member_role             POST      /groceries/<slug>/manage/members/add
groceries.remove_member_role          POST      /groceries/<slug>/manage/members/remove
territory.group                       GET       /groups/<slug>
direct_debit.mandate                  GET,POST  /groups/<slug>/direct-debit/mandate
direct_debit.choose                   POST      /groups/<slug>/direct-debit/mandate/contracts/<int:subscription_id>
direct_debit.printable                GET       /groups/<slug>/direct-debit/mandate/print
direct_debit.revoke                   POST      /groups/<slug>/direct-debit/mandate/revoke
direct_debit.sign                     POST      /groups/<slug>/direct-debit/mandate/sign
documents.manage                      GET,POST  /groups/<slug>/documents
documents.delete                      POST      /groups/<slug>/documents/<int:document_id>/delete
groups.edit                           GET,POST  /groups/<slug>/edit
fund.overview                         GET       /groups/<slug>/fund
fund.give                             GET,POST  /groups/<slug>/fund/give
groups.join                           POST      /groups/<slug>/join
groups.leave                          POST      /groups/<slug>/leave
payments.arrears                      GET       /groups/<slug>/manage/arrears
books.index                           GET       /groups/<slug>/manage/books
books.group_account                   GET,POST  /groups/<slug>/manage/books/account
books.cash                            GET       /groups/<slug>/manage/books/cash
books.cheques                         GET       /groups/<slug>/manage/books/cheques
producer_books.fec_export             GET,POST  /groups/<slug>/manage/books/fec
producer_books.make_payouts           POST      /groups/<slug>/manage/books/payouts
producer_books.payout_file            GET       /groups/<slug>/manage/books/payouts/<int:run_id>/file
books.producer_account                GET,POST  /groups/<slug>/manage/books/producers/<int:producer_id>/account
producer_books.group_statement        GET       /groups/<slug>/manage/books/producers/<int:producer_id>/statement
books.remit                           POST      /groups/<slug>/manage/books/remit
books.remittance                      GET       /groups/<slug>/manage/books/remittances/<int:remittance_id>
delivery.calendar                     GET       /groups/<slug>/manage/calendar
delivery.edit_schedule                GET,POST  /groups/<slug>/manage/calendar/<int:schedule_id>/edit
delivery.schedule_exceptions          GET,POST  /groups/<slug>/manage/calendar/<int:schedule_id>/exceptions
delivery.remove_exception             POST      /groups/<slug>/manage/calendar/<int:schedule_id>/exceptions/<int:exception_id>/remove
delivery.resume_schedule              POST      /groups/<slug>/manage/calendar/<int:schedule_id>/resume
delivery.suspend_schedule             POST      /groups/<slug>/manage/calendar/<int:schedule_id>/suspend
delivery.new_schedule                 GET,POST  /groups/<slug>/manage/calendar/new
card_followup.index                   GET       /groups/<slug>/manage/card-payments
card_followup.cancel_attempt          POST      /groups/<slug>/manage/card-payments/<int:installment_id>/cancel-attempt
card_followup.retry                   POST      /groups/<slug>/manage/card-payments/<int:installment_id>/retry
card_followup.stop                    POST      /groups/<slug>/manage/card-payments/<int:installment_id>/stop
credits.index                         GET       /groups/<slug>/manage/credits
credits.carry                         POST      /groups/<slug>/manage/credits/<int:credit_id>/carry
credits.refund                        POST      /groups/<slug>/manage/credits/<int:credit_id>/refund
direct_debit_admin.batches            GET       /groups/<slug>/manage/direct-debits/batches
direct_debit_admin.batch              GET       /groups/<slug>/manage/direct-debits/batches/<int:batch_id>
direct_debit_admin.collected          POST      /groups/<slug>/manage/direct-debits/batches/<int:batch_id>/collected
direct_debit_admin.batch_file         GET       /groups/<slug>/manage/direct-debits/batches/<int:batch_id>/pain008.xml
direct_debit_admin.build              POST      /groups/<slug>/manage/direct-debits/batches/new
direct_debit_admin.returned           POST      /groups/<slug>/manage/direct-debits/items/<int:item_id>/return
direct_debit_admin.settings           GET,POST  /groups/<slug>/manage/direct-debits/settings
direct_debit_admin.statement          GET,POST  /groups/<slug>/manage/direct-debits/statements
direct_debit_admin.ignore             POST      /groups/<slug>/manage/direct-debits/statements/lines/<int:line_id>/ignore
direct_debit_admin.match              POST      /groups/<slug>/manage/direct-debits/statements/lines/<int:line_id>/match
membership_admin.members              GET       /groups/<slug>/manage/households
membership_admin.import_members       GET,POST  /groups/<slug>/manage/households/import
membership_admin.invite               POST      /groups/<slug>/manage/households/invite
membership_admin.record_payment       POST      /groups/<slug>/manage/households/payment
groups.members                        GET       /groups/<slug>/manage/members
groups.add_member_role                POST      /groups/<slug>/manage/members/add
groups.remove_member_role             POST      /groups/<slug>/manage/members/remove
membership_admin.settings             GET,POST  /groups/<slug>/manage/membership
messages.group_messages               GET,POST  /groups/<slug>/manage/messages
messages.group_message                GET       /groups/<slug>/manage/messages/<int:message_id>
offers.manage_list                    GET       /groups/<slug>/manage/offers
offers.edit                           GET,POST  /groups/<slug>/manage/offers/<int:offer_id>
offers.archive                        POST      /groups/<slug>/manage/offers/<int:offer_id>/archive
offers.publish                        POST      /groups/<slug>/manage/offers/<int:offer_id>/publish
offers.edit_size                      GET,POST  /groups/<slug>/manage/offers/<int:offer_id>/sizes/<int:size_id>
offers.remove_size                    POST      /groups/<slug>/manage/offers/<int:offer_id>/sizes/<int:size_id>/remove
offers.new_size                       GET,POST  /groups/<slug>/manage/offers/<int:offer_id>/sizes/new
offers.edit_tier                      GET,POST  /groups/<slug>/manage/offers/<int:offer_id>/tiers/<int:tier_id>
offers.remove_tier                    POST      /groups/<slug>/manage/offers/<int:offer_id>/tiers/<int:tier_id>/remove
offers.new_tier                       GET,POST  /groups/<slug>/manage/offers/<int:offer_id>/tiers/new
offers.new                            GET,POST  /groups/<slug>/manage/offers/new
offline_payments.index                GET       /groups/<slug>/manage/payments
offline_payments.bulk                 POST      /groups/<slug>/manage/payments/bulk
offline_payments.record               GET,POST  /groups/<slug>/manage/payments/record
delivery.pickup_points                GET       /groups/<slug>/manage/pickup-points
delivery.deactivate_pickup_point      POST      /groups/<slug>/manage/pickup-points/<int:point_id>/deactivate
delivery.edit_pickup_point            GET,POST  /groups/<slug>/manage/pickup-points/<int:point_id>/edit
delivery.reactivate_pickup_point      POST      /groups/<slug>/manage/pickup-points/<int:point_id>/reactivate
delivery.new_pickup_point             GET,POST  /groups/<slug>/manage/pickup-points/new
prefinancing.group                    GET       /groups/<slug>/manage/prefinancing
producers.group_partners              GET       /groups/<slug>/manage/producers
producers.link_group                  POST      /groups/<slug>/manage/producers/add
producers.unlink_group                POST      /groups/<slug>/manage/producers/remove
waiting_list.cancel_by_coordinator    GET,POST  /groups/<slug>/manage/subscriptions/<int:subscription_id>/cancel
tiers.requests                        GET       /groups/<slug>/manage/tiers
tiers.approve                         POST      /groups/<slug>/manage/tiers/<int:subscription_id>/approve
tiers.refuse                          POST      /groups/<slug>/manage/tiers/<int:subscription_id>/refuse
membership.join                       GET,POST  /groups/<slug>/membership
membership.receipt                    GET       /groups/<slug>/membership/<int:membership_id>/receipt
payments.my_statement                 GET       /groups/<slug>/my-statement
offers.group_offers                   GET       /groups/<slug>/offers
offers.detail                         GET       /groups/<slug>/offers/<int:offer_id>
territory.set_language                POST      /language
my_deliveries.index                   GET       /my/baskets
my_deliveries.mark_absent             POST      /my/baskets/<int:delivery_id>/absent
my_deliveries.cancel_absence          POST      /my/baskets/<int:delivery_id>/absent/cancel
my_deliveries.give                    POST      /my/baskets/<int:delivery_id>/give
my_deliveries.cancel_gift             POST      /my/baskets/<int:delivery_id>/give/cancel
week_baskets.edit                     GET,POST  /offers/<int:offer_id>/days/<int:day_id>/week
week_baskets.copy_previous            POST      /offers/<int:offer_id>/days/<int:day_id>/week/copy
subscriptions.new                     GET,POST  /offers/<int:offer_id>/subscribe
waiting_list.join                     POST      /offers/<int:offer_id>/waiting-list
waiting_list.withdraw                 POST      /offers/<int:offer_id>/waiting-list/withdraw
week_baskets.days                     GET       /offers/<int:offer_id>/week
pickup.service_worker                 GET       /pickup/checklist-sw.js
pickup.my_days                        GET       /pickup/days
pickup_closing.all_collected          POST      /pickup/days/<int:day_id>/all-collected
pickup.checklist                      GET       /pickup/days/<int:day_id>/checklist
pickup_closing.close                  GET,POST  /pickup/days/<int:day_id>/close
pickup_closing.report                 GET       /pickup/days/<int:day_id>/report
pickup_closing.signoff_sheet          GET       /pickup/days/<int:day_id>/signoff
pickup_closing.to_confirm             GET       /pickup/groups/<int:group_id>/to-confirm
pickup.manifest                       GET       /pickup/manifest.webmanifest
pickup_closing.my_code                GET       /pickup/my-code
pickup.offline                        GET       /pickup/offline
pickup_closing.scan                   GET       /pickup/scan/<token>
pickup.stop_checklist                 GET       /pickup/stops/<int:run_stop_id>/checklist
route_plans.accept                    POST      /planification/plans/<int:plan_id>/accept
producers.detail                      GET       /producers/<slug>
catalogue.availability                GET       /producers/<slug>/availability
catalogue.grid                        GET,POST  /producers/<slug>/availability/<group_slug>
catalogue.copy_date                   POST      /producers/<slug>/availability/<group_slug>/copy
producer_books.producer_bank_account  GET,POST  /producers/<slug>/bank-account
producer_books.producer_statement     GET       /producers/<slug>/books/<group_slug>
catalogue.products_list               GET       /producers/<slug>/catalogue
catalogue.edit_product                GET,POST  /producers/<slug>/catalogue/<int:product_id>
catalogue.archive_product             POST      /producers/<slug>/catalogue/<int:product_id>/archive
catalogue.restore_product             POST      /producers/<slug>/catalogue/<int:product_id>/restore
catalogue.new_product                 GET,POST  /producers/<slug>/catalogue/new
producers.edit                        GET,POST  /producers/<slug>/edit
producers.members                     GET       /producers/<slug>/manage/members
producers.add_member_role             POST      /producers/<slug>/manage/members/add
producers.remove_member_role          POST      /producers/<slug>/manage/members/remove
messages.producer_messages            GET,POST  /producers/<slug>/messages/<group_slug>
messages.producer_message             GET       /producers/<slug>/messages/<group_slug>/<int:message_id>
offers.producer_offers                GET       /producers/<slug>/offers
prefinancing.index                    GET       /producers/<slug>/prefinancing
catalogue.photo                       GET       /products/<int:product_id>/photo
subscriptions.detail                  GET       /subscriptions/<int:subscription_id>
waiting_list.cancel                   GET,POST  /subscriptions/<int:subscription_id>/cancel
week_baskets.photo                    GET       /week-baskets/<int:basket_id>/photo
"""


def legacy_rules() -> list[tuple[str, str, tuple[str, ...]]]:
    """(old rule, endpoint, methods) of every line of LEGACY_ROUTES."""
    rules = []
    for line in LEGACY_ROUTES.strip().splitlines():
        endpoint, methods, rule = line.split()
        rules.append((rule, endpoint, tuple(methods.split(","))))
    return rules


_EXTENSION = "legacy_paths"
SAFE_METHODS = ("GET", "HEAD")


def build_legacy_map(app: Flask) -> Map:
    """The old rules, with the app's converters (the bounded `int`), in a Map of their own."""
    return Map(
        [
            Rule(rule, endpoint=endpoint, methods=methods)
            for rule, endpoint, methods in legacy_rules()
        ],
        converters=dict(app.url_map.converters),
        strict_slashes=False,
        merge_slashes=False,
    )


def legacy_target(path: str, method: str) -> str | None:
    """The new address of an old path (with this site's script root), or None."""
    adapter = current_app.extensions[_EXTENSION].bind("localhost")
    try:
        endpoint, values = adapter.match(path, method=method)
    except HTTPException:  # not an old path, or not with this method
        return None
    target = url_for(endpoint, **values)
    if not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _redirect_old_path():
    """Before the 404 page: an old address is sent, for good, to the new one (None: not one)."""
    if request.path.startswith("/api/"):
        return None
    target = legacy_target(request.path, request.method)
    if target is None:
        return None
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    return redirect(target, code=301 if request.method in SAFE_METHODS else 308)


def init_app(app: Flask) -> None:
    """After the blueprints: the Map checks every old rule's converters at build time."""
    app.extensions[_EXTENSION] = build_legacy_map(app)
    on_unrouted_request(app, _redirect_old_path)
