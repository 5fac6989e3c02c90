"""Donated basket words

A donated basket keeps its French name and gains what it says: a kind of name and its
parameters (the size and the producer), written in the reader's language at display. Existing
donated baskets whose name is recognised ("Panier <size> — <producer>") get their kind; the
others, and donated extras (a product's own name), keep their name only (shown as stored).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 21:05:00

"""

import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

# The French name closing writes, and the English one in case a label was ever stored so.
PATTERNS = (r"Panier (.+?) — (.+)", r"(.+?) basket — (.+)")


def words_of(label: str):
    """The parameters of a basket's name written by the site, or None (kept as stored)."""
    text = " ".join(label.replace("\u00a0", " ").replace("\u202f", " ").split())
    for pattern in PATTERNS:
        match = re.fullmatch(pattern, text)
        if match:
            return {"size": match[1], "producer": match[2]}
    return None


ITEMS = sa.table(
    "donated_items",
    sa.column("id", sa.Integer),
    sa.column("delivery_id", sa.Integer),
    sa.column("label", sa.String),
    sa.column("label_key", sa.String),
    sa.column("label_params", sa.JSON(none_as_null=True)),
)
BATCH = 2000


def _backfill(connection) -> None:
    """Baskets only (a delivery, not an order line): an extra's name is a product's own."""
    update = (
        sa.update(ITEMS)
        .where(ITEMS.c.id == sa.bindparam("b_id"))
        .values(
            label_key="basket",
            label_params=sa.bindparam("b_params", type_=sa.JSON(none_as_null=True)),
        )
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(ITEMS.c.id, ITEMS.c.label)
            .where(ITEMS.c.id > last, ITEMS.c.delivery_id.is_not(None))
            .order_by(ITEMS.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        last = rows[-1][0]
        found = []
        for item_id, label in rows:
            params = words_of(label or "")
            if params is not None:
                found.append({"b_id": item_id, "b_params": params})
        if found:
            connection.execute(update, found)


def upgrade():
    with op.batch_alter_table("donated_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("label_key", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("label_params", sa.JSON(), nullable=True))
    _backfill(op.get_bind())


def downgrade():
    with op.batch_alter_table("donated_items", schema=None) as batch_op:
        batch_op.drop_column("label_params")
        batch_op.drop_column("label_key")
