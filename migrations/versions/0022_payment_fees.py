"""Payment fees

What Stripe kept of each card or SEPA payment (its balance transaction's fee), NULL while
unknown.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 17:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('card_payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fee_cents', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f('ck_card_payments_fee_not_negative'), 'fee_cents IS NULL OR fee_cents >= 0'
        )


def downgrade():
    with op.batch_alter_table('card_payments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_card_payments_fee_not_negative'), type_='check')
        batch_op.drop_column('fee_cents')
