"""Reminding households three days before an installment falls due."""

from __future__ import annotations

from datetime import timedelta

from marketplace.baskets.models import Subscription
from marketplace.cards.reminders import installments_to_remind, send_due_reminders
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.jobs import load_jobs
from marketplace.outbox import sending
from marketplace.payments.models import Installment
from marketplace.scheduler.runner import SKIPPED, run_period
from marketplace.timezones import paris_today
from tests import clock, factories
from tests.cards.dunning_helpers import card_installment, days, household_of, subject_of
from tests.helpers import free_port, message_text


def remind():
    sent = send_due_reminders(paris_today(), utcnow())
    db.session.commit()
    return sent


def test_card_payer_is_told_once_that_its_saved_card_will_be_charged(outbox):
    installment = card_installment(due_on=paris_today() + days(3), amount_cents=3250)
    factories.SavedPaymentMethodFactory(user=household_of(installment), last4="4242")
    db.session.commit()

    assert remind() == 1
    assert remind() == 0  # the job run again: nothing new

    assert installment.reminded_at is not None
    (message,) = outbox
    assert message["To"] == household_of(installment).email
    assert subject_of(message).startswith("Échéance du ")
    text = message_text(message)
    assert "32,50" in text
    assert "Nous débiterons ce montant" in text and "4242" in text
    assert "/mon-releve" in text


def test_sepa_payer_is_told_its_account_will_be_debited(outbox):
    installment = card_installment(due_on=paris_today() + days(3), method="sepa_debit")
    factories.SavedPaymentMethodFactory(
        user=household_of(installment), method="sepa_debit", last4="2606"
    )
    db.session.commit()

    remind()

    assert "Nous prélèverons ce montant" in message_text(outbox[0])


def test_card_payer_without_a_saved_card_gets_a_link_to_pay(outbox):
    installment = card_installment(due_on=paris_today() + days(3))
    db.session.commit()

    remind()

    text = message_text(outbox[0])
    assert "Vous n'avez pas de carte ni de mandat enregistré" in text
    assert f"/paiements/carte/echeances/{installment.id}" in text


def test_cheque_payer_is_asked_to_hand_it_to_a_coordinator(outbox):
    card_installment(due_on=paris_today() + days(3), method="cheque")
    card_installment(due_on=paris_today() + days(3), method="cash")
    db.session.commit()

    remind()

    texts = sorted(message_text(message) for message in outbox)
    assert any("remettre votre chèque à un·e coordinateur·rice" in text for text in texts)
    assert any("en espèces à un·e coordinateur·rice" in text for text in texts)


def test_only_planned_installments_due_within_three_days_not_yet_reminded():
    today = paris_today()
    in_three_days = card_installment(due_on=today + days(3))
    tomorrow = card_installment(due_on=today + days(1))  # the job was down: still told
    card_installment(due_on=today + days(4))  # too early
    card_installment(due_on=today - days(1))  # already due: the charge handles it
    reminded = card_installment(due_on=today + days(2))
    reminded.reminded_at = utcnow()
    paid = card_installment(due_on=today + days(2))
    paid.state, paid.paid_at = "paid", utcnow()
    cancelled = card_installment(due_on=today + days(2))
    subscription = db.session.get(Subscription, cancelled.subscription_id)
    subscription.status, subscription.cancelled_at = "cancelled", utcnow()
    db.session.flush()

    ids = [context.installment.id for context in installments_to_remind(today)]

    assert ids == [tomorrow.id, in_three_days.id]


def test_a_reminder_the_mail_server_refused_is_sent_by_the_outbox_once(make_app, outbox):
    installment = card_installment(due_on=paris_today() + days(3), method="cheque")
    db.session.commit()
    installment_id = installment.id
    mail_down = make_app(MAIL_PORT=free_port())  # nothing listens there

    with mail_down.app_context():
        assert remind() == 1  # queued in the outbox with its claim
    db.session.expire_all()

    assert db.session.get(Installment, installment_id).reminded_at is not None
    assert outbox == []
    assert remind() == 0  # never queued twice
    clock.shift(timedelta(minutes=5))
    assert sending.deliver() == {"sent": 1}
    assert len(outbox) == 1


def test_the_daily_job_reminds_once_per_period(outbox):
    card_installment(due_on=paris_today() + days(2), method="transfer")
    db.session.commit()
    job = load_jobs().get("remind_installments_due")
    period = job.cadence.period_of(utcnow())

    first = run_period(job, period, utcnow())
    again = run_period(job, period, utcnow())
    forced = run_period(job, period, utcnow(), force=True)

    assert (first.outcome, first.summary) == ("succeeded", "1 rappel(s) envoyé(s)")
    assert again.outcome == SKIPPED
    assert forced.summary == "0 rappel(s) envoyé(s)"
    assert len(outbox) == 1
    assert "effectuer le virement" in message_text(outbox[0])


def test_a_sepa_debit_is_notified_fourteen_days_ahead(outbox):
    today = paris_today()
    in_fourteen_days = card_installment(due_on=today + days(14), method="sepa_debit")
    card_installment(due_on=today + days(15), method="sepa_debit")  # too early
    card_installment(due_on=today + days(14))  # a card: three days ahead
    db.session.flush()

    ids = [context.installment.id for context in installments_to_remind(today)]

    assert ids == [in_fourteen_days.id]


def test_a_sepa_debit_due_while_the_scheduler_was_down_waits_for_its_notice(outbox):
    from marketplace.cards.charging import Outcome, charge_due_installments
    from marketplace.cards.reminders import debit_on

    today = paris_today()
    installment = card_installment(due_on=today - days(2), method="sepa_debit")
    installment.reminded_at = None  # never notified: the jobs were down
    factories.SavedPaymentMethodFactory(
        user=household_of(installment), method="sepa_debit", last4="2606"
    )
    db.session.commit()

    charged = charge_due_installments(today, now=utcnow(), commit=db.session.commit)
    assert charged.counts == {Outcome.AWAITING_NOTICE: 1}
    assert remind() == 1

    assert debit_on(installment, today) == today + days(14)
    text = message_text(outbox[0])
    assert "Nous prélèverons ce montant" in text
    assert str((today + days(14)).year) in text
    assert charge_due_installments(
        today + days(13), now=utcnow(), commit=db.session.commit
    ).counts == {Outcome.AWAITING_NOTICE: 1}


def test_the_notice_period_is_a_setting(make_app):
    from marketplace.cards.reminders import notice_given

    installment = card_installment(due_on=paris_today(), method="sepa_debit")
    installment.reminded_at = utcnow() - days(3)
    db.session.commit()
    short_notice = make_app(SEPA_NOTICE_DAYS=2)

    assert not notice_given(installment, paris_today())
    with short_notice.app_context():
        assert notice_given(installment, paris_today())


def test_one_installment_that_cannot_be_reminded_never_stops_the_others(monkeypatch, outbox):
    from marketplace.cards import reminders

    broken = card_installment(due_on=paris_today() + days(1))
    other = card_installment(due_on=paris_today() + days(2))
    db.session.commit()
    real_send = reminders._send_reminder

    def send(context, saved, debit_day):
        if context.installment.id == broken.id:
            raise RuntimeError("a row nobody expected")
        real_send(context, saved, debit_day)

    monkeypatch.setattr(reminders, "_send_reminder", send)
    errors: list[str] = []

    assert send_due_reminders(paris_today(), utcnow(), errors) == 1
    db.session.commit()

    assert errors == [f"échéance {broken.id} : RuntimeError"]
    assert broken.reminded_at is None and other.reminded_at is not None
    assert len(outbox) == 1
