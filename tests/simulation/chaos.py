"""Payment chaos for the season simulation: what goes wrong with money in a real season.

On chosen days of the season:
  - Stripe is unreachable for the morning's charging run (it comes back for the afternoon
    pass, which retries the failed run with the same rows and keys);
  - the scheduler process is killed (SIGKILL: no `except Exception` runs) once just before a
    charge is sent to Stripe, once just after Stripe charged but before the answer was
    committed; the afternoon pass takes over its stale run;
  - a household starts paying an installment on-session with a card that asks for 3-D Secure,
    the coordinator tries to record cash for the same installment meanwhile, then the
    household completes 3-D Secure;
and every week (and on those days) Stripe's webhooks for every payment seen are delivered
three times each, newest first, twice under fresh event ids.

Its invariants, added to the season's: Stripe charged each installment and order at most once
(or gave the surplus back), every refund made at Stripe is in the ledger, and a household's
credit does not sit beside an installment the scheduler left unpaid.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import TYPE_CHECKING

import stripe
from sqlalchemy import func, select

from marketplace.baskets.models import Subscription
from marketplace.cards import gateway, paying, settlement
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.models import Installment, LedgerEntry
from marketplace.payments.offline import PaymentLine, record_payments
from tests.cards.stripe_helpers import CARD_NEEDS_AUTHENTICATION, payment_method, post_event
from tests.helpers import free_port
from tests.simulation import actors, invariants

if TYPE_CHECKING:
    from tests.simulation.engine import Simulation
    from tests.simulation.invariants import CheckContext, Violations

STRIPE_DOWN_DAY = 15
# From this day, the next morning run that charges a card is killed before Stripe answers, and
# the one after it is killed once Stripe has charged.
KILLS_FROM_DAY = 20
KILLS = ("before", "after")
THREE_D_SECURE_DAY = 36
EVENT_TYPES = {
    "succeeded": "payment_intent.succeeded",
    "processing": "payment_intent.processing",
    "requires_action": "payment_intent.requires_action",
    "requires_payment_method": "payment_intent.payment_failed",
    "canceled": "payment_intent.canceled",
}


class KilledProcess(BaseException):  # noqa: N818 - what happened to the process
    """The scheduler's process is killed: like SIGKILL, no `except Exception` handles it."""


class PaymentChaos:
    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.intent_ids: list[str] = []  # every PaymentIntent created at Stripe, in order
        self.refund_ids: list[str] = []
        self.intent_by_key: dict[str, str] = {}
        self.replayed_up_to = 0
        self.final_check = False
        self.events_sent = 0
        self._kill: str | None = None  # "before" or "after" the next charge's Stripe call
        self.kills_done: list[int] = []  # the days the scheduler was killed
        self._original_create_intent = gateway.create_intent
        self._original_create_refund = gateway.create_refund
        gateway.create_intent = self._create_intent
        gateway.create_refund = self._create_refund

    def stop(self) -> None:
        gateway.create_intent = self._original_create_intent
        gateway.create_refund = self._original_create_refund

    # --- Stripe as the application sees it ---------------------------------------------------

    def _create_intent(self, payment, **kwargs):
        if self._kill == "before":
            self._kill = None
            raise KilledProcess("killed before calling Stripe")
        known = self.intent_by_key.get(payment.idempotency_key)
        if known is not None:
            # Stripe answers a repeated idempotency key (kept 24 h) with the same intent;
            # localstripe does not keep keys, so the simulation gives Stripe's answer.
            intent = gateway.retrieve_intent(known)
            payment.stripe_payment_intent_id = intent.id
        else:
            intent = self._original_create_intent(payment, **kwargs)
            self.intent_by_key[payment.idempotency_key] = intent.id
            self.intent_ids.append(intent.id)
        if self._kill == "after":
            self._kill = None
            raise KilledProcess("killed after Stripe charged, before committing")
        return intent

    def _create_refund(self, payment, amount_cents, idempotency_key):
        refund = self._original_create_refund(payment, amount_cents, idempotency_key)
        self.refund_ids.append(refund.id)
        return refund

    def _stripe_unreachable(self) -> None:
        app = self.sim.app
        self._usual_client = app.extensions[gateway.EXTENSION_KEY]
        app.extensions[gateway.EXTENSION_KEY] = stripe.StripeClient(
            app.config["STRIPE_SECRET_KEY"],
            base_addresses={"api": f"http://127.0.0.1:{free_port()}"},  # nobody listens
            max_network_retries=0,
        )

    def _stripe_back(self) -> None:
        if getattr(self, "_usual_client", None) is not None:
            self.sim.app.extensions[gateway.EXTENSION_KEY] = self._usual_client
            self._usual_client = None

    # --- The day's events ------------------------------------------------------------------------

    def before_scheduler(self, day_number: int) -> None:
        if day_number == STRIPE_DOWN_DAY:
            self.sim.notes.append(f"Stripe injoignable le matin du jour {day_number}")
            self._stripe_unreachable()
        elif day_number >= KILLS_FROM_DAY and len(self.kills_done) < len(KILLS):
            self._kill = KILLS[len(self.kills_done)]

    def after_scheduler(self, day_number: int, killed: bool) -> None:
        if killed:
            self.kills_done.append(day_number)
            moment = {"before": "avant", "after": "après"}[KILLS[len(self.kills_done) - 1]]
            self.sim.notes.append(
                f"planificateur tué pendant les prélèvements ({moment} Stripe, jour {day_number})"
            )
        self._kill = None
        self._stripe_back()

    def _chaos_day(self, day_number: int) -> bool:
        return day_number == STRIPE_DOWN_DAY or day_number in self.kills_done

    def midday(self, day_number: int, today: date) -> None:
        if day_number == THREE_D_SECURE_DAY:
            self._cash_during_3d_secure(today)
        if (day_number % 7 == 0 or day_number == THREE_D_SECURE_DAY) and not self._chaos_day(
            day_number
        ):
            self.replay_webhooks()

    def after_afternoon_pass(self) -> None:
        """Stripe's webhooks of a troubled day arrive late, after the afternoon's pass."""
        self.replay_webhooks()

    def wants_afternoon_pass(self, day_number: int) -> bool:
        return self._chaos_day(day_number)

    # --- Webhooks, late, repeated and out of order ----------------------------------------------

    def replay_webhooks(self) -> None:
        """Every payment seen since the last replay, its current state's event sent three
        times (twice under fresh ids), newest first; then the older ones once more."""
        fresh = self.intent_ids[self.replayed_up_to :]
        self.replayed_up_to = len(self.intent_ids)
        client = self.sim.app.test_client()
        for position, intent_id in enumerate(reversed(fresh)):
            intent = gateway.as_dict(gateway.retrieve_intent(intent_id))
            event_type = EVENT_TYPES.get(intent["status"])
            if event_type is None:
                continue
            for copy in ("a", "a", "b"):  # one id twice, then another id for the same change
                event_id = f"evt_sim_{intent_id}_{intent['status']}_{copy}"
                response = post_event(client, self.sim.app, event_type, intent, event_id)
                assert response.status_code == 200, (event_type, intent_id, response.get_json())
                self.events_sent += 1
            if position % 5 == 0:
                db.session.expire_all()
        db.session.rollback()
        self.sim.stats["webhooks rejoués"] += len(fresh)

    # --- Cash recorded while the card waits for 3-D Secure ---------------------------------------

    def _cash_during_3d_secure(self, today: date) -> None:
        sim = self.sim
        row = db.session.execute(
            select(Installment.id, Subscription.user_id, Subscription.group_id)
            .join(Subscription, Subscription.id == Installment.subscription_id)
            .where(
                Subscription.status == "active",
                Subscription.payment_method == "card",
                Installment.state == "planned",
                Installment.due_on > today + timedelta(days=3),
            )
            .order_by(Installment.due_on, Installment.id)
            .limit(1)
        ).first()
        if row is None:
            sim.notes.append("3-D Secure : aucune échéance à payer en avance")
            return
        installment = db.session.get(Installment, row.id)
        user = actors._user(row.user_id)
        method_id = payment_method(CARD_NEEDS_AUTHENTICATION)
        gateway.client().v1.payment_methods.attach(
            method_id, params={"customer": gateway.customer_id_for(user)}
        )
        payment = sim.act(
            "paiement en ligne (3-D Secure)",
            lambda: settlement.new_payment(
                user=user, group_id=row.group_id, amount_cents=0, installment=installment
            ),
        )
        assert payment is not None, "the household could not start paying online"
        state = sim.act("3-D Secure demandé", paying.charge_now, payment, method_id)
        assert state == "requires_action", state
        cash = PaymentLine(
            position=0,
            installment_id=row.id,
            method="cash",
            amount_cents=installment.amount_cents,
        )
        try:
            record_payments(
                group_id=row.group_id,
                user_id=row.user_id,
                lines=[cash],
                recorded_by_id=sim.coordinator_of_group[row.group_id],
            )
            db.session.commit()
            sim.notes.append("ÉCHEC espèces acceptées pendant un 3-D Secure")
        except DomainError:
            db.session.rollback()
            sim.summary.refusals["espèces pendant un 3-D Secure"] += 1
        intent = gateway.retrieve_intent(payment.stripe_payment_intent_id)
        gateway.client().raw_request(
            "post",
            f"/v1/payment_intents/{intent.id}/_authenticate",
            client_secret=intent.client_secret,
            success="true",
        )
        sim.notes.append(f"échéance {row.id} : 3-D Secure confirmé après le refus des espèces")


# --- Invariants ----------------------------------------------------------------------------------


def stripe_charged_each_installment_once(chaos: PaymentChaos):
    def check(ctx: CheckContext) -> Violations:
        """Per installment and order, the PaymentIntents Stripe holds as succeeded: at most one,
        or the surplus refunded (a refund booked in the ledger) or kept as a stated credit."""
        if ctx.today.weekday() != 6 and not chaos.final_check:
            return []  # Stripe is read once a week, and after the last day
        succeeded: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for intent_id in chaos.intent_ids:
            intent = gateway.as_dict(gateway.retrieve_intent(intent_id))
            if intent["status"] != "succeeded":
                continue
            metadata = intent.get("metadata") or {}
            target = (
                f"installment {metadata['installment_id']}"
                if metadata.get("installment_id")
                else f"order {metadata.get('order_id')}"
            )
            succeeded[target].append((intent_id, intent["amount"]))
        found = []
        for target, intents in sorted(succeeded.items()):
            if len(intents) < 2:
                continue
            surplus = sum(amount for _id, amount in intents[1:])
            given_back = -int(
                db.session.scalar(
                    select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
                        LedgerEntry.kind.in_(("refund", "credit")),
                        LedgerEntry.external_reference.in_([i for i, _a in intents]),
                    )
                )
            )
            if given_back < surplus:
                found.append(f"{target}: charged {len(intents)} times at Stripe {intents}")
        return found

    return check


def every_stripe_refund_in_the_ledger(chaos: PaymentChaos):
    def check(ctx: CheckContext) -> Violations:
        """Each refund made at Stripe has its REFUND entry (by the refund's id)."""
        if not chaos.refund_ids:
            return []
        booked = set(
            db.session.scalars(
                select(LedgerEntry.external_reference).where(
                    LedgerEntry.kind == "refund",
                    LedgerEntry.external_reference.in_(chaos.refund_ids),
                )
            )
        )
        return [
            f"refund {refund_id} not in the ledger"
            for refund_id in chaos.refund_ids
            if refund_id not in booked
        ]

    return check


def jobs_retried_until_done(ctx: CheckContext) -> Violations:
    """The season's rule on job runs, but a run may take more than one attempt (a failed run is
    retried, a killed one taken over): at the end of each day none is left failed or running."""
    return [
        violation
        for violation in invariants.each_job_once_per_period(ctx)
        if ": succeeded after " not in violation
    ]


def chaos_invariants(chaos: PaymentChaos) -> list:
    """The season's invariants for a season with payment chaos."""
    return [
        *(
            check
            for check in invariants.INVARIANTS
            if check is not invariants.each_job_once_per_period
        ),
        jobs_retried_until_done,
        stripe_charged_each_installment_once(chaos),
        every_stripe_refund_in_the_ledger(chaos),
    ]
