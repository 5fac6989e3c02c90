"""Membership fees paid by card

A card payment may pay a yearly membership's fee (exactly one target among an installment,
an order and a membership; one attempt under way per membership), and a membership may be
paid "card".

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 17:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

LIVE = "state IN ('creating', 'requires_action', 'processing')"
ONE_TARGET = (
    "(CASE WHEN installment_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN order_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN membership_id IS NULL THEN 0 ELSE 1 END) = 1"
)


def upgrade():
    with op.batch_alter_table('card_payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('membership_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_card_payments_membership_id_yearly_memberships'),
            'yearly_memberships', ['membership_id'], ['id'],
        )
        batch_op.drop_constraint(op.f('ck_card_payments_installment_or_order'), type_='check')
        batch_op.create_check_constraint(op.f('ck_card_payments_one_target'), ONE_TARGET)
    with op.batch_alter_table('card_payments', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_card_payments_membership_id'), ['membership_id'], unique=False
        )
        batch_op.create_index(
            'uq_card_payments_live_per_membership', ['membership_id'], unique=True,
            sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE),
        )
    with op.batch_alter_table('yearly_memberships', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_yearly_memberships_method_valid'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_yearly_memberships_method_valid'),
            "method IN ('cheque', 'cash', 'transfer', 'card')",
        )


def downgrade():
    with op.batch_alter_table('yearly_memberships', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_yearly_memberships_method_valid'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_yearly_memberships_method_valid'),
            "method IN ('cheque', 'cash', 'transfer')",
        )
    with op.batch_alter_table('card_payments', schema=None) as batch_op:
        batch_op.drop_index(
            'uq_card_payments_live_per_membership',
            sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE),
        )
        batch_op.drop_index(batch_op.f('ix_card_payments_membership_id'))
        batch_op.drop_constraint(op.f('ck_card_payments_one_target'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_card_payments_installment_or_order'),
            'installment_id IS NULL OR order_id IS NULL',
        )
        batch_op.drop_constraint(
            batch_op.f('fk_card_payments_membership_id_yearly_memberships'), type_='foreignkey'
        )
        batch_op.drop_column('membership_id')
