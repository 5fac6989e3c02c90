"""Every euro accounted for: the SEPA mandate's reference kept with the saved mandate

The mandate reference (RUM) a household's SEPA mandate was signed under is stored with the
saved mandate, and sent to the household with the mandate's terms.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 14:10:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('saved_payment_methods', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('mandate_reference', sa.String(length=35), server_default='', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('saved_payment_methods', schema=None) as batch_op:
        batch_op.drop_column('mandate_reference')
