"""A group's yearly membership: its settings (period, fee, required or not) and each
household's membership for a period, unique per household, group and period

Revision ID: 0014
Revises: 0016
Create Date: 2026-12-07 16:33:12.055683

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "membership_settings",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("start_month", sa.Integer(), nullable=False),
        sa.Column("pricing", sa.String(length=10), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("remind_days_before", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "pricing IN ('fixed', 'free', 'sliding')",
            name=op.f("ck_membership_settings_pricing_valid"),
        ),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_membership_settings_amount_positive")),
        sa.CheckConstraint(
            "remind_days_before BETWEEN 1 AND 90",
            name=op.f("ck_membership_settings_remind_days_range"),
        ),
        sa.CheckConstraint(
            "start_month BETWEEN 1 AND 12", name=op.f("ck_membership_settings_start_month_range")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["organisations.id"],
            name=op.f("fk_membership_settings_group_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", name=op.f("pk_membership_settings")),
    )
    op.create_table(
        "yearly_memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("period_starts_on", sa.Date(), nullable=False),
        sa.Column("period_ends_on", sa.Date(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("level_name", sa.String(length=60), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=True),
        sa.Column("bank", sa.String(length=80), nullable=False),
        sa.Column("cheque_number", sa.String(length=40), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "method IN ('cheque', 'cash', 'transfer')",
            name=op.f("ck_yearly_memberships_method_valid"),
        ),
        sa.CheckConstraint(
            "method IS NULL OR method <> 'cheque' OR (bank <> '' AND cheque_number <> '')",
            name=op.f("ck_yearly_memberships_cheque_has_number"),
        ),
        sa.CheckConstraint(
            "(paid_at IS NULL) = (method IS NULL)",
            name=op.f("ck_yearly_memberships_paid_has_method"),
        ),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_yearly_memberships_amount_positive")),
        sa.CheckConstraint(
            "period_ends_on > period_starts_on", name=op.f("ck_yearly_memberships_period_order")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["organisations.id"],
            name=op.f("fk_yearly_memberships_group_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_yearly_memberships_recorded_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_yearly_memberships_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_yearly_memberships")),
        sa.UniqueConstraint(
            "user_id",
            "group_id",
            "period_starts_on",
            name=op.f("uq_yearly_memberships_user_id_group_id_period_starts_on"),
        ),
    )
    with op.batch_alter_table("yearly_memberships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_yearly_memberships_group_id"), ["group_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_yearly_memberships_period_starts_on"), ["period_starts_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_yearly_memberships_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "membership_levels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_membership_levels_amount_positive")),
        sa.CheckConstraint("length(name) > 0", name=op.f("ck_membership_levels_name_not_empty")),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["membership_settings.group_id"],
            name=op.f("fk_membership_levels_group_id_membership_settings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership_levels")),
        sa.UniqueConstraint(
            "group_id", "position", name=op.f("uq_membership_levels_group_id_position")
        ),
    )
    with op.batch_alter_table("membership_levels", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_membership_levels_group_id"), ["group_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("membership_levels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_membership_levels_group_id"))

    op.drop_table("membership_levels")
    with op.batch_alter_table("yearly_memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_yearly_memberships_user_id"))
        batch_op.drop_index(batch_op.f("ix_yearly_memberships_period_starts_on"))
        batch_op.drop_index(batch_op.f("ix_yearly_memberships_group_id"))

    op.drop_table("yearly_memberships")
    op.drop_table("membership_settings")
