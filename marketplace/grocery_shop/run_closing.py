"""Closing a run of the van: what was collected leaves the stock, the rest goes back on the shelf."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.grocery_shop.models import RunClosing


def run_is_closed(run_id: int) -> bool:
    return db.session.scalar(select(RunClosing.id).where(RunClosing.run_id == run_id)) is not None
