"""The association's life: the basket of the week (what each size of a contract holds on a
distribution day), the households' day-before reminder, the documents of a group

Revision ID: 0015
Revises: 0017
Create Date: 2026-12-07 16:55:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'week_baskets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('offer_id', sa.Integer(), nullable=False),
        sa.Column('distribution_day_id', sa.Integer(), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=False),
        sa.Column('photo', sa.LargeBinary(), nullable=True),
        sa.Column('photo_width', sa.Integer(), nullable=True),
        sa.Column('photo_height', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint(
            '(photo IS NULL) = (photo_width IS NULL) AND (photo IS NULL) = (photo_height IS NULL)',
            name=op.f('ck_week_baskets_photo_has_a_size'),
        ),
        sa.ForeignKeyConstraint(
            ['distribution_day_id'], ['distribution_days.id'],
            name=op.f('fk_week_baskets_distribution_day_id_distribution_days'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['offer_id'], ['basket_offers.id'],
            name=op.f('fk_week_baskets_offer_id_basket_offers'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['updated_by_id'], ['users.id'],
            name=op.f('fk_week_baskets_updated_by_id_users'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_week_baskets')),
        sa.UniqueConstraint(
            'offer_id', 'distribution_day_id',
            name=op.f('uq_week_baskets_offer_id_distribution_day_id'),
        ),
    )
    with op.batch_alter_table('week_baskets', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_week_baskets_distribution_day_id'), ['distribution_day_id'], unique=False
        )
        batch_op.create_index(batch_op.f('ix_week_baskets_offer_id'), ['offer_id'], unique=False)
    op.create_table(
        'week_basket_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('week_basket_id', sa.Integer(), nullable=False),
        sa.Column('size_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('quantity', sa.String(length=40), nullable=False),
        sa.CheckConstraint(
            'position >= 0', name=op.f('ck_week_basket_items_position_not_negative')
        ),
        sa.ForeignKeyConstraint(
            ['size_id'], ['basket_sizes.id'],
            name=op.f('fk_week_basket_items_size_id_basket_sizes'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['week_basket_id'], ['week_baskets.id'],
            name=op.f('fk_week_basket_items_week_basket_id_week_baskets'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_week_basket_items')),
        sa.UniqueConstraint(
            'week_basket_id', 'size_id', 'position',
            name=op.f('uq_week_basket_items_week_basket_id_size_id_position'),
        ),
    )
    with op.batch_alter_table('week_basket_items', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_week_basket_items_size_id'), ['size_id'], unique=False
        )
        batch_op.create_index(
            batch_op.f('ix_week_basket_items_week_basket_id'), ['week_basket_id'], unique=False
        )
    op.create_table(
        'pickup_reminders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('distribution_day_id', sa.Integer(), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['distribution_day_id'], ['distribution_days.id'],
            name=op.f('fk_pickup_reminders_distribution_day_id_distribution_days'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_pickup_reminders_user_id_users'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pickup_reminders')),
        sa.UniqueConstraint(
            'user_id', 'distribution_day_id',
            name=op.f('uq_pickup_reminders_user_id_distribution_day_id'),
        ),
    )
    with op.batch_alter_table('pickup_reminders', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_pickup_reminders_distribution_day_id'), ['distribution_day_id'],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f('ix_pickup_reminders_user_id'), ['user_id'], unique=False
        )
    op.create_table(
        'group_documents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('group_kind', sa.String(length=20), nullable=False),
        sa.Column('title', sa.String(length=120), nullable=False),
        sa.Column('audience', sa.String(length=20), nullable=False),
        sa.Column('offer_id', sa.Integer(), nullable=True),
        sa.Column('filename', sa.String(length=100), nullable=False),
        sa.Column('content_type', sa.String(length=80), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "audience IN ('public', 'members', 'subscribers', 'coordinators')",
            name=op.f('ck_group_documents_audience_choice'),
        ),
        sa.CheckConstraint(
            "content_type IN ('application/pdf', 'image/png', 'image/jpeg', "
            "'application/vnd.oasis.opendocument.text', "
            "'application/vnd.openxmlformats-officedocument.wordprocessingml.document')",
            name=op.f('ck_group_documents_content_type_choice'),
        ),
        sa.CheckConstraint(
            "(audience = 'subscribers') = (offer_id IS NOT NULL)",
            name=op.f('ck_group_documents_contract_audience'),
        ),
        sa.CheckConstraint("group_kind = 'group'", name=op.f('ck_group_documents_is_group')),
        sa.CheckConstraint('size_bytes > 0', name=op.f('ck_group_documents_not_empty')),
        sa.CheckConstraint(
            'length(title) > 0', name=op.f('ck_group_documents_title_not_empty')
        ),
        sa.ForeignKeyConstraint(
            ['group_id', 'group_kind'], ['organisations.id', 'organisations.kind'],
            name=op.f('fk_group_documents_group_id_organisations'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['offer_id', 'group_id'], ['basket_offers.id', 'basket_offers.group_id'],
            name=op.f('fk_group_documents_offer_id_basket_offers'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['uploaded_by_id'], ['users.id'],
            name=op.f('fk_group_documents_uploaded_by_id_users'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_group_documents')),
    )
    with op.batch_alter_table('group_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_documents_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_documents_offer_id'), ['offer_id'], unique=False)


def downgrade():
    with op.batch_alter_table('group_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_documents_offer_id'))
        batch_op.drop_index(batch_op.f('ix_group_documents_group_id'))
    op.drop_table('group_documents')
    with op.batch_alter_table('pickup_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pickup_reminders_user_id'))
        batch_op.drop_index(batch_op.f('ix_pickup_reminders_distribution_day_id'))
    op.drop_table('pickup_reminders')
    with op.batch_alter_table('week_basket_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_week_basket_items_week_basket_id'))
        batch_op.drop_index(batch_op.f('ix_week_basket_items_size_id'))
    op.drop_table('week_basket_items')
    with op.batch_alter_table('week_baskets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_week_baskets_offer_id'))
        batch_op.drop_index(batch_op.f('ix_week_baskets_distribution_day_id'))
    op.drop_table('week_baskets')
