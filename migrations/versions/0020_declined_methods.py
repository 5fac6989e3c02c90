"""A saved card or SEPA mandate refused for good is not charged again until the household acts

Revision ID: 0020
Revises: 0013
Create Date: 2026-12-07 17:40:00.000000

"""

from alembic import op
import sqlalchemy as sa

import marketplace.db


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('saved_payment_methods') as batch_op:
        batch_op.add_column(sa.Column('declined_at', marketplace.db.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('saved_payment_methods') as batch_op:
        batch_op.drop_column('declined_at')
