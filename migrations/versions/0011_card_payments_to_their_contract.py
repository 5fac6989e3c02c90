"""Card and SEPA payments booked before now name their contract

Card and SEPA payments and refunds were booked without the contract (offer) they pay, so the
producer's prefinancing statement left them out of what was received. Each such entry of a
subscription's installment takes the subscription's offer. Data only: the schema is unchanged.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-07 14:20:00

"""

from alembic import op


revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "UPDATE ledger_entries SET offer_id = ("
        "  SELECT subscriptions.offer_id FROM subscriptions"
        "  WHERE subscriptions.id = ledger_entries.subscription_id"
        ") "
        "WHERE offer_id IS NULL AND subscription_id IS NOT NULL "
        "AND kind IN ('payment', 'refund')"
    )


def downgrade():
    # Which entries were completed cannot be told apart from those booked right: keep them.
    pass
