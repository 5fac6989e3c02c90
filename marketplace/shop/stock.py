"""Stock moves as single conditional UPDATEs: the database decides, never Python.

Reading the remaining quantity and then writing it back would let two buyers take the last
unit at the same time. One UPDATE whose WHERE clause checks what is left is atomic on
SQLite (one writer at a time) and on PostgreSQL (the row is re-checked after a concurrent
update commits), and the `never_oversold` CHECK stays as the last guard.
"""

from __future__ import annotations

from sqlalchemy import or_, select, update

from marketplace.catalogue.models import Availability
from marketplace.extensions import db


def reserve(availability_id: int, quantity_milli: int) -> bool:
    """Take `quantity_milli` from a published availability; False when not enough is left."""
    if quantity_milli <= 0:
        raise ValueError("Reserve a positive quantity.")
    result = db.session.execute(
        update(Availability)
        .where(
            Availability.id == availability_id,
            Availability.published.is_(True),
            or_(
                Availability.quantity_milli.is_(None),
                Availability.reserved_milli + quantity_milli <= Availability.quantity_milli,
            ),
        )
        # `updated_at` untouched: it versions the catalogue, not the stock (shop/fragments.py)
        .values(
            reserved_milli=Availability.reserved_milli + quantity_milli,
            updated_at=Availability.updated_at,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release(availability_id: int, quantity_milli: int) -> None:
    """Give back units (an order lowered or cancelled), even if the product was unpublished."""
    if quantity_milli <= 0:
        raise ValueError("Release a positive quantity.")
    db.session.execute(
        update(Availability)
        .where(
            Availability.id == availability_id,
            Availability.reserved_milli >= quantity_milli,
        )
        .values(
            reserved_milli=Availability.reserved_milli - quantity_milli,
            updated_at=Availability.updated_at,
        )
        .execution_options(synchronize_session=False)
    )


def remaining_milli(availability_id: int) -> int | None:
    """What is left now, read from the database (None: no limit)."""
    row = db.session.execute(
        select(Availability.quantity_milli, Availability.reserved_milli).where(
            Availability.id == availability_id
        )
    ).one()
    if row.quantity_milli is None:
        return None
    return row.quantity_milli - row.reserved_milli
