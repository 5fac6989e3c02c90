"""The arithmetic of a season: covered days, proration, tier prices and installments."""

from datetime import UTC, date, datetime, timedelta

import pytest

from marketplace.baskets.schedule import (
    CandidateDay,
    NoDeliveriesError,
    PlannedInstallment,
    Season,
    covered_days,
    installment_plan,
    remaining_days,
    tier_price_cents,
)


def tuesdays(first: date, count: int) -> list[CandidateDay]:
    """Weekly Tuesday distributions whose orders close two days before, at 18:00 UTC."""
    return [
        CandidateDay(
            day=first + timedelta(weeks=week),
            order_closes_at=datetime.combine(
                first + timedelta(weeks=week, days=-2), datetime.min.time(), UTC
            )
            + timedelta(hours=18),
            ref=week,
        )
        for week in range(count)
    ]


SEASON_START = date(2026, 3, 31)  # a Tuesday
WEEKLY = Season(SEASON_START, date(2026, 6, 30), "weekly")
FORTNIGHTLY = Season(SEASON_START, date(2026, 6, 30), "fortnightly")


# --- covered_days --------------------------------------------------------------------------------


def test_weekly_covers_every_scheduled_day_of_the_season_inclusive():
    days = tuesdays(date(2026, 3, 24), 16)  # from a week before the season to after it
    covered = covered_days(days, WEEKLY)
    assert covered[0].day == SEASON_START
    assert covered[-1].day == date(2026, 6, 30)  # the last day counts
    assert len(covered) == 14


def test_cancelled_days_are_not_covered():
    days = tuesdays(SEASON_START, 4)
    days[1] = CandidateDay(days[1].day, days[1].order_closes_at, cancelled=True, ref=1)
    assert [day.ref for day in covered_days(days, WEEKLY)] == [0, 2, 3]


def test_fortnightly_covers_weeks_0_2_4_counted_from_the_season_start():
    covered = covered_days(tuesdays(SEASON_START, 8), FORTNIGHTLY)
    assert [day.ref for day in covered] == [0, 2, 4, 6]


def test_fortnightly_parity_follows_the_iso_week_not_the_first_day():
    # The season starts on a Sunday: the Tuesday two days later is in the next ISO week (1).
    season = Season(date(2026, 3, 29), date(2026, 6, 30), "fortnightly")
    covered = covered_days(tuesdays(SEASON_START, 6), season)
    assert [day.day for day in covered] == [date(2026, 4, 7), date(2026, 4, 21), date(2026, 5, 5)]


def test_fortnightly_parity_holds_across_a_year_boundary():
    season = Season(date(2025, 12, 16), date(2026, 2, 28), "fortnightly")  # a Tuesday
    covered = covered_days(tuesdays(date(2025, 12, 16), 8), season)
    assert [day.day for day in covered] == [
        date(2025, 12, 16),
        date(2025, 12, 30),
        date(2026, 1, 13),
        date(2026, 1, 27),
    ]


def test_fortnightly_covers_every_day_of_a_covered_week():
    closes = datetime(2026, 3, 29, 18, tzinfo=UTC)
    days = [
        CandidateDay(date(2026, 3, 31), closes, ref=1),  # Tuesday, week 0
        CandidateDay(date(2026, 4, 3), closes, ref=2),  # Friday, week 0
        CandidateDay(date(2026, 4, 10), closes, ref=3),  # Friday, week 1
    ]
    assert [day.ref for day in covered_days(days, FORTNIGHTLY)] == [1, 2]


def test_covered_days_come_back_in_date_order():
    days = list(reversed(tuesdays(SEASON_START, 3)))
    assert [day.ref for day in covered_days(days, WEEKLY)] == [0, 1, 2]


# --- remaining_days ------------------------------------------------------------------------------


def test_a_mid_season_sign_up_keeps_only_days_whose_order_window_is_still_open():
    covered = covered_days(tuesdays(SEASON_START, 10), WEEKLY)
    now = covered[3].order_closes_at  # the 4th window closes at this very instant
    remaining = remaining_days(covered, now)
    assert [day.ref for day in remaining] == [4, 5, 6, 7, 8, 9]
    assert remaining_days(covered, now - timedelta(seconds=1))[0].ref == 3


def test_nothing_remains_after_the_last_window():
    covered = covered_days(tuesdays(SEASON_START, 3), WEEKLY)
    assert remaining_days(covered, covered[-1].order_closes_at + timedelta(days=1)) == []


# --- tier_price_cents ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "percent", "expected"),
    [
        (1550, 120, 1860),
        (999, 50, 500),  # 499,5 rounded half up
        (1500, 100, 1500),
        (1000, 33, 330),
        (1001, 50, 501),  # 500,5 rounded half up
        (1003, 30, 301),  # 300,9
        (1003, 10, 100),  # 100,3
        (1, 1, 0),
    ],
)
def test_tier_price_is_rounded_half_up_to_the_cent(price, percent, expected):
    assert tier_price_cents(price, percent) == expected


def test_tier_price_refuses_negative_values():
    with pytest.raises(ValueError):
        tier_price_cents(-1, 100)


# --- installment_plan ----------------------------------------------------------------------------


def deliveries_on(days: list[date], price: int = 1860) -> list[tuple[date, int]]:
    return [(day, price) for day in days]


SPRING = [
    date(2026, 4, 7),
    date(2026, 4, 14),
    date(2026, 4, 28),
    date(2026, 5, 5),
    date(2026, 6, 2),
]


def test_season_plan_is_one_installment_on_the_day_of_signing():
    plan = installment_plan(deliveries_on(SPRING), "season", date(2026, 4, 1))
    assert plan == [PlannedInstallment(1, date(2026, 4, 1), 5 * 1860)]


def test_monthly_plan_is_one_installment_per_month_with_deliveries_due_on_the_first():
    plan = installment_plan(deliveries_on(SPRING), "monthly", date(2026, 3, 20))
    assert plan == [
        PlannedInstallment(1, date(2026, 4, 1), 3 * 1860),
        PlannedInstallment(2, date(2026, 5, 1), 1860),
        PlannedInstallment(3, date(2026, 6, 1), 1860),
    ]


def test_monthly_installment_of_the_current_month_is_due_on_signing():
    plan = installment_plan(deliveries_on(SPRING), "monthly", date(2026, 4, 10))
    assert [item.due_on for item in plan] == [date(2026, 4, 10), date(2026, 5, 1), date(2026, 6, 1)]


def test_monthly_plan_spanning_a_year_boundary():
    days = [date(2025, 12, 9), date(2025, 12, 23), date(2026, 1, 6), date(2026, 2, 3)]
    plan = installment_plan(deliveries_on(days, 999), "monthly", date(2025, 12, 1))
    assert [(item.due_on, item.amount_cents) for item in plan] == [
        (date(2025, 12, 1), 1998),
        (date(2026, 1, 1), 999),
        (date(2026, 2, 1), 999),
    ]


def test_per_delivery_plan_is_due_two_days_before_each_delivery_or_on_signing():
    plan = installment_plan(deliveries_on(SPRING[:3]), "per_delivery", date(2026, 4, 6))
    assert plan == [
        PlannedInstallment(1, date(2026, 4, 6), 1860),  # 5 April is before signing
        PlannedInstallment(2, date(2026, 4, 12), 1860),
        PlannedInstallment(3, date(2026, 4, 26), 1860),
    ]


def test_per_delivery_keeps_one_installment_per_delivery_even_when_due_the_same_day():
    days = [date(2026, 4, 7), date(2026, 4, 8)]
    plan = installment_plan(deliveries_on(days), "per_delivery", date(2026, 4, 7))
    assert [(item.sequence, item.due_on) for item in plan] == [
        (1, date(2026, 4, 7)),
        (2, date(2026, 4, 7)),
    ]


@pytest.mark.parametrize("plan_code", ["season", "monthly", "per_delivery"])
@pytest.mark.parametrize("price", [1, 333, 999, 1555, 1861])
def test_installments_always_add_up_to_the_deliveries_exactly(plan_code, price):
    days = [date(2025, 11, 4) + timedelta(weeks=week) for week in range(23)]
    deliveries = [(day, price + index % 3) for index, day in enumerate(days)]
    plan = installment_plan(deliveries, plan_code, date(2025, 10, 15))
    assert sum(item.amount_cents for item in plan) == sum(amount for _, amount in deliveries)
    assert [item.sequence for item in plan] == list(range(1, len(plan) + 1))
    assert all(item.amount_cents > 0 for item in plan)
    assert [item.due_on for item in plan] == sorted(item.due_on for item in plan)


def test_free_deliveries_give_no_installment():
    plan = installment_plan(
        [(date(2026, 4, 7), 0), (date(2026, 5, 5), 500)], "monthly", date(2026, 4, 1)
    )
    assert plan == [PlannedInstallment(1, date(2026, 5, 1), 500)]


def test_an_empty_season_has_no_schedule():
    with pytest.raises(NoDeliveriesError):
        installment_plan([], "season", date(2026, 4, 1))


def test_an_unknown_plan_is_refused():
    with pytest.raises(ValueError):
        installment_plan(deliveries_on(SPRING), "yearly", date(2026, 4, 1))
