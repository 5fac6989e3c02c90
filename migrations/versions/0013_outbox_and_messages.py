"""The outbox for every email; a household's choice of group news; bouncing addresses

Revision ID: 0013
Revises: 0019
Create Date: 2026-12-07 16:50:00.000000

"""

from alembic import op
import sqlalchemy as sa

import marketplace.db


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'outbox_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('to_address', sa.String(length=320), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('reply_to', sa.String(length=320), nullable=True),
        sa.Column('essential', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('raw', sa.LargeBinary(), nullable=False),
        sa.Column('status', sa.String(length=10), server_default='queued', nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('created_at', marketplace.db.UTCDateTime(), nullable=False),
        sa.Column('next_attempt_at', marketplace.db.UTCDateTime(), nullable=False),
        sa.Column('claimed_at', marketplace.db.UTCDateTime(), nullable=True),
        sa.Column('sent_at', marketplace.db.UTCDateTime(), nullable=True),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'failed', 'bounced')",
            name=op.f('ck_outbox_messages_status_valid'),
        ),
        sa.CheckConstraint('attempts >= 0', name=op.f('ck_outbox_messages_attempts_not_negative')),
        sa.CheckConstraint(
            'length(to_address) > 0', name=op.f('ck_outbox_messages_to_address_not_empty')
        ),
        sa.CheckConstraint(
            "(status = 'sent') = (sent_at IS NOT NULL)",
            name=op.f('ck_outbox_messages_sent_at_when_sent'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    )
    op.create_index(
        'ix_outbox_messages_due', 'outbox_messages', ['status', 'next_attempt_at'], unique=False
    )
    op.create_table(
        'group_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('producer_id', sa.Integer(), nullable=True),
        sa.Column('segment', sa.String(length=40), nullable=False),
        sa.Column('segment_value', sa.Integer(), nullable=True),
        sa.Column('audience', sa.String(length=200), nullable=False),
        sa.Column('subject', sa.String(length=150), nullable=False),
        sa.Column('body', sa.String(length=5000), nullable=False),
        sa.Column('essential', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('created_at', marketplace.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint('length(subject) > 0', name=op.f('ck_group_messages_subject_not_empty')),
        sa.CheckConstraint('length(body) > 0', name=op.f('ck_group_messages_body_not_empty')),
        sa.ForeignKeyConstraint(
            ['author_id'], ['users.id'], name=op.f('fk_group_messages_author_id_users')
        ),
        sa.ForeignKeyConstraint(
            ['group_id'], ['organisations.id'], name=op.f('fk_group_messages_group_id_organisations')
        ),
        sa.ForeignKeyConstraint(
            ['producer_id'],
            ['organisations.id'],
            name=op.f('fk_group_messages_producer_id_organisations'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_group_messages')),
    )
    op.create_index(
        op.f('ix_group_messages_created_at'), 'group_messages', ['created_at'], unique=False
    )
    op.create_index(op.f('ix_group_messages_group_id'), 'group_messages', ['group_id'], unique=False)
    op.create_index(
        op.f('ix_group_messages_producer_id'), 'group_messages', ['producer_id'], unique=False
    )
    op.create_table(
        'message_recipients',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('outbox_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ['message_id'],
            ['group_messages.id'],
            name=op.f('fk_message_recipients_message_id_group_messages'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['outbox_id'],
            ['outbox_messages.id'],
            name=op.f('fk_message_recipients_outbox_id_outbox_messages'),
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_message_recipients_user_id_users')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_message_recipients')),
        sa.UniqueConstraint(
            'message_id', 'user_id', name=op.f('uq_message_recipients_message_id_user_id')
        ),
    )
    op.create_index(
        op.f('ix_message_recipients_message_id'), 'message_recipients', ['message_id'], unique=False
    )
    op.create_index(
        op.f('ix_message_recipients_user_id'), 'message_recipients', ['user_id'], unique=False
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('wants_group_messages', sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column('email_bouncing_since', marketplace.db.UTCDateTime(), nullable=True)
        )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_bouncing_since')
        batch_op.drop_column('wants_group_messages')
    op.drop_table('message_recipients')
    op.drop_table('group_messages')
    op.drop_index('ix_outbox_messages_due', table_name='outbox_messages')
    op.drop_table('outbox_messages')
