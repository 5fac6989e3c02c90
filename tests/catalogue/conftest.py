"""A farm that supplies a group with distributions coming: the ground of every catalogue test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from marketplace.delivery.models import DistributionDay
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.producers.models import Producer
from marketplace.timezones import paris_today
from tests import factories


@dataclass
class Farm:
    producer: Producer
    group: Group
    open_day: DistributionDay  # orders still open
    next_day: DistributionDay  # a week after open_day
    frozen_day: DistributionDay  # tomorrow: the order window has closed

    @property
    def grid_url(self) -> str:
        return f"/producteurs/{self.producer.slug}/disponibilites/{self.group.slug}"

    @property
    def catalogue_url(self) -> str:
        return f"/producteurs/{self.producer.slug}/catalogue"


def day_in(days: int) -> date:
    return paris_today() + timedelta(days=days)


@pytest.fixture
def farm() -> Farm:
    supply = factories.ProducerSuppliesGroupFactory()
    schedule = factories.DistributionScheduleFactory(
        pickup_point=factories.PickupPointFactory(group=supply.group)
    )
    days = [
        factories.DistributionDayFactory(schedule=schedule, occurrence_date=day_in(offset))
        for offset in (7, 14, 1)
    ]
    db.session.commit()
    return Farm(supply.producer, supply.group, *days)


@pytest.fixture
def staff(farm: Farm, user_with_role):
    return user_with_role("producer_staff", farm.producer)
