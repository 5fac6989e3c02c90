"""Whole seasons: calendars that skip public holidays, and baskets of cancelled days

A calendar may skip French public holidays on every date it gives, not only on the weeks
already materialised. A contract says what becomes of a basket whose distribution day is
cancelled (credited, or carried by the next delivery), and such a delivery keeps its row in
the new state 'cancelled'.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 10:00:00

"""

from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OLD_STATES = "'planned', 'absent', 'given', 'collected', 'not_collected', 'donated'"
NEW_STATES = OLD_STATES + ", 'cancelled'"


def upgrade():
    with op.batch_alter_table("distribution_schedules", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "skip_public_holidays", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
    with op.batch_alter_table("basket_offers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "cancelled_day_policy",
                sa.String(length=20),
                server_default="credit",
                nullable=False,
            )
        )
        batch_op.create_check_constraint(
            "cancelled_day_policy_valid", "cancelled_day_policy IN ('credit', 'postpone')"
        )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_deliveries_state_valid"), type_="check")
        batch_op.create_check_constraint("state_valid", f"state IN ({NEW_STATES})")
        # A basket of a cancelled day may be carried by a later delivery, like an absence.
        batch_op.drop_constraint(op.f("ck_deliveries_only_absences_are_postponed"), type_="check")
        batch_op.create_check_constraint(
            "only_absences_are_postponed",
            "postponed_to_id IS NULL OR state IN ('absent', 'cancelled')",
        )


def downgrade():
    op.execute(
        "UPDATE deliveries SET state = 'planned', postponed_to_id = NULL "
        "WHERE state = 'cancelled'"
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_deliveries_only_absences_are_postponed"), type_="check")
        batch_op.create_check_constraint(
            "only_absences_are_postponed", "postponed_to_id IS NULL OR state = 'absent'"
        )
        batch_op.drop_constraint(op.f("ck_deliveries_state_valid"), type_="check")
        batch_op.create_check_constraint("state_valid", f"state IN ({OLD_STATES})")
    with op.batch_alter_table("basket_offers", schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f("ck_basket_offers_cancelled_day_policy_valid"), type_="check"
        )
        batch_op.drop_column("cancelled_day_policy")
    with op.batch_alter_table("distribution_schedules", schema=None) as batch_op:
        batch_op.drop_column("skip_public_holidays")
