"""Solidarity groceries: finding one (profile and people go through organisations.services)."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.groceries.models import Grocery


def grocery_by_slug(slug: str) -> Grocery | None:
    return db.session.scalar(select(Grocery).where(Grocery.slug == slug))
