"""A producer's small dashboard: this week's orders of extras and the last weeks' revenue.

Revenue is what households ordered à la carte from the producer (live orders, line totals as
charged), by week of the distribution date (Monday to Sunday, Paris dates). Basket contracts
have their own statement (baskets/prefinancing.py). One query for all the weeks shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import format_currency
from sqlalchemy import func, select

from marketplace.baskets.models import BasketOffer, Delivery, Subscription
from marketplace.catalogue.models import Availability
from marketplace.delivery.models import DayStatus, DistributionDay
from marketplace.extensions import db
from marketplace.shop.lists import COUNTED_DELIVERY_STATES
from marketplace.shop.models import Order, OrderLine, OrderStatus

WEEKS_CHARTED = 10

# Geometry of the SVG chart, in its own user units (the CSS scales it to the page width).
CHART_WIDTH = 600
CHART_HEIGHT = 240
CHART_TOP = 24  # room for the value above the highest bar
CHART_BOTTOM = 36  # room for the week labels
CHART_LEFT = 8
BAR_GAP = 10


@dataclass(frozen=True)
class WeekFigures:
    starts_on: date  # the Monday
    orders: int
    revenue_cents: int

    @property
    def ends_on(self) -> date:
        return self.starts_on + timedelta(days=6)


@dataclass(frozen=True)
class Bar:
    """One week's bar, positioned in the chart's user units."""

    week: WeekFigures
    x: float
    y: float
    width: float
    height: float

    @property
    def label_x(self) -> float:
        return self.x + self.width / 2

    @property
    def short_amount(self) -> str:
        """Whole euros above the bar (the table below gives the cents)."""
        euros = (self.week.revenue_cents + 50) // 100
        return format_currency(euros, "EUR", format="#,##0\u00a0¤", currency_digits=False)


@dataclass(frozen=True)
class ProducerDashboard:
    this_week: WeekFigures
    baskets_this_week: int
    weeks: list[WeekFigures]  # oldest first, this week last

    @property
    def has_sales(self) -> bool:
        return any(week.orders for week in self.weeks)

    def bars(self) -> list[Bar]:
        """Bars scaled to the best week; a week without sales keeps a hairline bar."""
        highest = max((week.revenue_cents for week in self.weeks), default=0) or 1
        plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
        slot = (CHART_WIDTH - CHART_LEFT) / max(len(self.weeks), 1)
        bars = []
        for index, week in enumerate(self.weeks):
            height = max(plot_height * week.revenue_cents / highest, 1.0)
            bars.append(
                Bar(
                    week=week,
                    x=round(CHART_LEFT + index * slot + BAR_GAP / 2, 2),
                    y=round(CHART_TOP + plot_height - height, 2),
                    width=round(slot - BAR_GAP, 2),
                    height=round(height, 2),
                )
            )
        return bars

    @property
    def baseline_y(self) -> int:
        return CHART_HEIGHT - CHART_BOTTOM


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def producer_dashboard(producer_id: int, *, today: date) -> ProducerDashboard:
    """This week's figures and the last WEEKS_CHARTED weeks' revenue (two queries)."""
    current = week_start(today)
    first = current - timedelta(weeks=WEEKS_CHARTED - 1)
    rows = db.session.execute(
        select(
            Availability.day,
            func.count(func.distinct(Order.id)),
            func.sum(OrderLine.total_cents),
        )
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Availability, Availability.id == OrderLine.availability_id)
        .where(
            Availability.producer_id == producer_id,
            Availability.day >= first,
            Availability.day < current + timedelta(weeks=1),
            Order.status == OrderStatus.PLACED.value,
        )
        .group_by(Availability.day)
    ).all()
    # An order belongs to one distribution date, so per-date counts add up exactly per week.
    totals: dict[date, list[int]] = {
        first + timedelta(weeks=index): [0, 0] for index in range(WEEKS_CHARTED)
    }
    for day, orders, revenue in rows:
        figures = totals[week_start(day)]
        figures[0] += orders
        figures[1] += int(revenue or 0)
    weeks = [WeekFigures(monday, *figures) for monday, figures in totals.items()]
    return ProducerDashboard(
        this_week=weeks[-1],
        baskets_this_week=_baskets_between(producer_id, current, current + timedelta(days=6)),
        weeks=weeks,
    )


def _baskets_between(producer_id: int, first: date, last: date) -> int:
    count = db.session.scalar(
        select(func.coalesce(func.sum(Delivery.quantity), 0))
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .join(BasketOffer, BasketOffer.id == Subscription.offer_id)
        .join(DistributionDay, DistributionDay.id == Delivery.distribution_day_id)
        .where(
            BasketOffer.producer_id == producer_id,
            DistributionDay.day.between(first, last),
            DistributionDay.status == DayStatus.SCHEDULED.value,
            Delivery.state.in_(COUNTED_DELIVERY_STATES),
        )
    )
    return int(count or 0)
