"""Solidarity groceries (épiceries solidaires), often touring villages with a van."""

from __future__ import annotations

from marketplace.organisations.models import Organisation, OrganisationKind


class Grocery(Organisation):
    __mapper_args__ = {"polymorphic_identity": OrganisationKind.GROCERY.value}
