"""Demo volunteer roles and sign-ups, made through the real services: the next distribution of
each group is fully staffed, the one after misses people (the coordinators' overview and the
understaffing alert show it), the third is staffed again."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.db import utcnow
from marketplace.demo.territory import demo_email
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.organisations.models import Membership, Role
from marketplace.shifts import queries, roles, signups

ROLES = (
    roles.RoleData(
        "Ouverture",
        "Arriver 15 minutes avant, ouvrir le lieu et installer les tables.",
        needed_per_day=1,
        cancel_cutoff_hours=48,
        position=1,
    ),
    roles.RoleData(
        "Émargement",
        "Accueillir les adhérent·es et cocher la liste sur le téléphone.",
        needed_per_day=2,
        cancel_cutoff_hours=48,
        position=2,
    ),
    roles.RoleData(
        "Rangement",
        "Ranger, donner les invendus à l'épicerie solidaire et fermer.",
        needed_per_day=1,
        cancel_cutoff_hours=24,
        position=3,
    ),
)
LEAD_EMAIL = demo_email("benevole.lucas")


def seed_demo_shifts(today: date) -> int:
    """Roles and sign-ups for every group that has no role yet; returns rows created."""
    created = 0
    now = utcnow()
    for group in db.session.scalars(select(Group).order_by(Group.id)):
        if roles.group_roles(group.id):
            continue  # seeded before (or set up by its coordinators): leave it alone
        group_roles = [roles.create_role(group.id, data) for data in ROLES]
        created += len(group_roles)
        days = [
            day
            for day in queries.coming_days(group.id, now, today + timedelta(weeks=4))
            if not day.is_cancelled
        ][:3]
        people = _volunteers_first(group)
        for index, day in enumerate(days):
            understaffed = index == 1
            wanted = [(role, 1 if understaffed else role.needed_per_day) for role in group_roles]
            if understaffed:
                wanted = [(group_roles[1], 1)]
            crew = iter(_rotate(people, index * 4))
            for role, count in wanted:
                for _ in range(count):
                    person = next(crew, None)
                    if person is None:
                        break
                    signup = signups.sign_up(day, role, person, now)
                    created += 1
                    if person.email == LEAD_EMAIL and index == 0:
                        signups.set_lead(signup, True)
    db.session.flush()
    return created


def _volunteers_first(group: Group) -> list[User]:
    """The group's volunteers (the demo volunteer Lucas first), then its other members."""
    rows = db.session.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == group.id)
        .order_by(User.name, User.id)
    ).all()
    volunteers = {user.id: user for user, role in rows if role == Role.VOLUNTEER.value}
    members = {user.id: user for user, role in rows if user.id not in volunteers}
    ordered = sorted(volunteers.values(), key=lambda user: user.email != LEAD_EMAIL)
    return ordered + list(members.values())


def _rotate(people: list[User], offset: int) -> list[User]:
    if not people:
        return []
    offset %= len(people)
    return people[offset:] + people[:offset]
