"""People's own data: sign-in links, private calendar feeds, anonymised accounts

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-07 16:50:00.000000

"""

from alembic import op
import sqlalchemy as sa




# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'login_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('expires_at > created_at', name=op.f('ck_login_links_expires_after_creation')),
        sa.CheckConstraint('length(token_hash) = 64', name=op.f('ck_login_links_token_hash_length')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_links_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_links')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_login_links_token_hash')),
    )
    with op.batch_alter_table('login_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_links_user_id'), ['user_id'], unique=False)

    op.create_table(
        'calendar_feed_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('nonce', sa.String(length=43), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('length(token_hash) = 64', name=op.f('ck_calendar_feed_tokens_token_hash_length')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_feed_tokens_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feed_tokens')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feed_tokens_token_hash')),
        sa.UniqueConstraint('user_id', name=op.f('uq_calendar_feed_tokens_user_id')),
    )

    op.create_table(
        'account_deletions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=True),
        sa.Column('former_name', sa.String(length=120), nullable=True),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("reason IN ('request', 'inactive')", name=op.f('ck_account_deletions_reason_valid')),
        sa.ForeignKeyConstraint(['group_id'], ['organisations.id'], name=op.f('fk_account_deletions_group_id_organisations')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_deletions_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_account_deletions')),
    )
    with op.batch_alter_table('account_deletions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_deletions_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_deletions_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('account_deletions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_deletions_user_id'))
        batch_op.drop_index(batch_op.f('ix_account_deletions_group_id'))
    op.drop_table('account_deletions')
    op.drop_table('calendar_feed_tokens')
    with op.batch_alter_table('login_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_links_user_id'))
    op.drop_table('login_links')
