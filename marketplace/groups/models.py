"""AMAP groups: households who prefinance farmers' seasons and share pickup days."""

from __future__ import annotations

from marketplace.organisations.models import Organisation, OrganisationKind


class Group(Organisation):
    __mapper_args__ = {"polymorphic_identity": OrganisationKind.GROUP.value}
