"""« Copier la semaine dernière » clicked twice at the same moment, on PostgreSQL: one basket,
its lines once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from marketplace.catalogue.week_models import WeekBasket, WeekBasketItem
from marketplace.extensions import db
from marketplace.timezones import paris_today
from tests import factories
from tests.pickup import scenario
from tests.test_double_submissions import (  # noqa: F401 - fixtures
    at_the_insert,
    postgresql_only,
    statuses,
    twice_at_once,
)


def test_copy_last_week_twice_at_once_copies_once(app, postgresql_only, at_the_insert):  # noqa: F811
    last_week = scenario.make_day(occurrence_date=paris_today() + timedelta(days=1))
    this_week = factories.DistributionDayFactory(
        schedule=last_week.day.schedule, occurrence_date=last_week.day.day + timedelta(days=7)
    )
    small, large = last_week.sizes
    basket = WeekBasket(offer_id=last_week.offer.id, distribution_day_id=last_week.day.id)
    basket.items = [
        WeekBasketItem(size_id=small.id, position=0, name="Carottes", quantity="1 kg"),
        WeekBasketItem(size_id=large.id, position=0, name="Carottes", quantity="2 kg"),
    ]
    db.session.add(basket)
    farmer = factories.UserFactory()
    factories.MembershipFactory(
        user=farmer, organisation=last_week.offer.producer, role="producer_staff"
    )
    db.session.commit()
    url = f"/offres/{last_week.offer.id}/distributions/{this_week.id}/semaine/copier"

    responses = twice_at_once(app, farmer, lambda client: client.post(url))

    assert statuses(responses) == [302, 302]
    copied = db.session.scalars(
        select(WeekBasket).where(WeekBasket.distribution_day_id == this_week.id)
    ).all()
    assert len(copied) == 1
    assert (
        db.session.scalar(
            select(func.count(WeekBasketItem.id)).where(
                WeekBasketItem.week_basket_id == copied[0].id
            )
        )
        == 2
    )
