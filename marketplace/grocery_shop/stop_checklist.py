"""The checklist of a stop of the van: the staff tick off the pre-orders collected there.

The pickup day's page, JSON API, offline sync and tap store serve it (pickup/sources.py): this
source says what is on a stop's list and is registered when the app starts
(marketplace/blueprints.py). A line per placed pre-order ("p<pre-order id>"), under the
beneficiary's household name, with an item per pre-order line; its state is
PreOrder.pickup_state and its note PreOrder.pickup_note (both written by taps).

Dignity rule, as on a pickup day: no price, tier or eligibility is read here.
Access: the staff of the run's grocery and site administrators; not the beneficiaries.
The list is closed when the run is closed (run_closing.run_is_closed) or cancelled.
"""

from __future__ import annotations

from datetime import date

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import aliased, joinedload

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.grocery_shop.models import (
    Beneficiary,
    PreOrder,
    PreOrderLine,
    PreOrderStatus,
    StockItem,
    StockSource,
)
from marketplace.grocery_shop.run_closing import run_is_closed
from marketplace.grocery_shop.walk_in import may_sell_at, sales_panel
from marketplace.organisations.models import Membership, Organisation, Role
from marketplace.pickup.models import TapAction, TapTarget
from marketplace.pickup.roster import ExtraItem, HouseholdLine, sort_key
from marketplace.pickup.sources import ChecklistSource, Heading, ListEntry, ListSection, Wording
from marketplace.routes.models import Route, RouteRun, RouteStop, RunStatus, RunStop

_PICKUP_STATE_AFTER = {
    TapAction.COLLECTED.value: "collected",
    TapAction.NOT_COLLECTED.value: "not_collected",
    TapAction.PENDING.value: "pending",
}


def stop_place(village: str, place: str) -> str:
    return f"{village} — {place}" if place else village


class StopChecklistSource(ChecklistSource):
    segment = "stops"
    tap_column = "run_stop_id"
    target_kinds = frozenset({TapTarget.PRE_ORDER.value})
    page_template = "grocery_shop/stops/checklist.html"

    def find(self, subject_id: int) -> RunStop | None:
        return db.session.scalar(
            select(RunStop)
            .options(
                joinedload(RunStop.run).joinedload(RouteRun.route).joinedload(Route.grocery),
                joinedload(RunStop.stop),
            )
            .where(RunStop.id == subject_id)
        )

    def may_use(self, user: User, run_stop: RunStop) -> bool:
        return may_sell_at(user, run_stop)  # the people who sell there tick the list

    def wording(self) -> Wording:
        return Wording(
            not_found=_("Cet arrêt n'existe pas."),
            may_not_view=_("Seule l'équipe de l'épicerie peut voir la liste de cet arrêt."),
            may_not_tick=_("Seule l'équipe de l'épicerie peut cocher la liste de cet arrêt."),
            not_listed=_("Cette précommande n'est pas sur la liste de cet arrêt."),
        )

    def closed_reason(self, run_stop: RunStop) -> str | None:
        status = db.session.scalar(select(RouteRun.status).where(RouteRun.id == run_stop.run_id))
        if status == RunStatus.CANCELLED.value:
            return _("Cette tournée est annulée.")
        if run_is_closed(run_stop.run_id):
            return _("Cette tournée est clôturée : la liste ne peut plus changer.")
        return None

    def lock(self, run_stop: RunStop) -> None:
        """The run's row, FOR UPDATE (PostgreSQL; SQLite has one writer anyway). Cancelling the
        run updates that row, and closing it inserts a RunClosing whose foreign key takes a
        KEY SHARE lock on it: either waits for a batch in progress, and a batch waits for them,
        so its closed check sees them."""
        db.session.execute(
            select(RouteRun.id).where(RouteRun.id == run_stop.run_id).with_for_update()
        )

    def lines(self, run_stop: RunStop) -> list[HouseholdLine]:
        """One query whatever the number of pre-orders."""
        lines: dict[int, HouseholdLine] = {}
        for row in db.session.execute(_pre_order_lines(run_stop.id)):
            line = lines.get(row.pre_order_id)
            if line is None:
                line = lines[row.pre_order_id] = HouseholdLine(
                    key=f"p{row.pre_order_id}",
                    name=row.household_name,
                    user_id=row.user_id,
                    household_name=row.household_name,
                    order_id=row.pre_order_id,
                    order_kind=TapTarget.PRE_ORDER.value,
                    note=row.pickup_note,
                )
            if row.line_id is not None:
                line.extras.append(
                    ExtraItem(
                        order_id=row.pre_order_id,
                        order_line_id=row.line_id,
                        producer_name=_("Don")
                        if row.source == StockSource.DONATION.value
                        else row.producer_name or "",
                        product_name=row.item_name,
                        quantity_milli=row.quantity_milli,
                        unit=row.unit,
                        state=row.pickup_state,
                        order_kind=TapTarget.PRE_ORDER.value,
                    )
                )
        return sorted(lines.values(), key=lambda line: sort_key(line.name))

    def heading(self, run_stop: RunStop) -> Heading:
        return Heading(
            id=run_stop.id,
            day=run_stop.run.day,
            place=stop_place(run_stop.stop.village, run_stop.stop.place),
            starts_at=run_stop.arrives_at,
            ends_at=run_stop.departs_at,
        )

    def listed_targets(
        self, run_stop: RunStop, wanted: dict[str, set[int]]
    ) -> dict[str, dict[int, PreOrder]]:
        """The tapped pre-orders placed for this stop (a cancelled one is not on the list)."""
        ids = wanted.get(TapTarget.PRE_ORDER.value)
        pre_orders = {}
        if ids:
            pre_orders = {
                pre_order.id: pre_order
                for pre_order in db.session.scalars(
                    select(PreOrder).where(
                        PreOrder.id.in_(ids),
                        PreOrder.run_stop_id == run_stop.id,
                        PreOrder.status == PreOrderStatus.PLACED.value,
                    )
                )
            }
        return {TapTarget.PRE_ORDER.value: pre_orders}

    def write_state(self, kind: str, pre_order: PreOrder, action: str) -> None:
        pre_order.pickup_state = _PICKUP_STATE_AFTER[action]

    def write_note(self, kind: str, pre_order: PreOrder, note: str) -> None:
        pre_order.pickup_note = note

    def list_section(self, user: User, first: date, last: date) -> ListSection:
        """The stops of the scheduled runs of the person's groceries (all for site
        administrators), in one query."""
        query = (
            select(
                RunStop.id,
                RunStop.arrives_at,
                RouteRun.day,
                RouteStop.village,
                RouteStop.place,
                Route.name.label("route_name"),
                Organisation.name.label("grocery_name"),
            )
            .join(RouteRun, RouteRun.id == RunStop.run_id)
            .join(Route, Route.id == RouteRun.route_id)
            .join(RouteStop, RouteStop.id == RunStop.stop_id)
            .join(Organisation, Organisation.id == Route.grocery_id)
            .where(
                RouteRun.day.between(first, last),
                RouteRun.status == RunStatus.SCHEDULED.value,
            )
            .order_by(RunStop.arrives_at, RunStop.id)
        )
        if not user.is_admin:
            staffed = select(Membership.organisation_id).where(
                Membership.user_id == user.id, Membership.role == Role.GROCERY_STAFF.value
            )
            query = query.where(Route.grocery_id.in_(staffed))
        return ListSection(
            title=_("Arrêts de l'épicerie mobile"),
            help=_("Les arrêts des tournées de votre épicerie : cochez les précommandes retirées."),
            entries=[
                ListEntry(
                    url=url_for("pickup.stop_checklist", run_stop_id=row.id),
                    day=row.day,
                    starts_at=row.arrives_at,
                    place=stop_place(row.village, row.place),
                    owner=f"{row.route_name} · {row.grocery_name}",
                )
                for row in db.session.execute(query)
            ],
        )

    def page_context(self, run_stop: RunStop) -> dict:
        return {"run_stop": run_stop, "panel": sales_panel(run_stop)}


def _pre_order_lines(run_stop_id: int):
    producer = aliased(Organisation)
    return (
        select(
            PreOrder.id.label("pre_order_id"),
            PreOrder.pickup_state,
            PreOrder.pickup_note,
            Beneficiary.user_id,
            Beneficiary.household_name,
            PreOrderLine.id.label("line_id"),
            PreOrderLine.quantity_milli,
            StockItem.name.label("item_name"),
            StockItem.unit,
            StockItem.source,
            producer.name.label("producer_name"),
        )
        .join(Beneficiary, Beneficiary.id == PreOrder.beneficiary_id)
        .outerjoin(PreOrderLine, PreOrderLine.pre_order_id == PreOrder.id)
        .outerjoin(StockItem, StockItem.id == PreOrderLine.stock_item_id)
        .outerjoin(producer, producer.id == StockItem.producer_id)
        .where(
            PreOrder.run_stop_id == run_stop_id,
            PreOrder.status == PreOrderStatus.PLACED.value,
        )
        .order_by(PreOrder.id, StockItem.name, PreOrderLine.id)
    )


STOPS = StopChecklistSource()
