"""Every domain's scheduled jobs, gathered into the one registry that `flask scheduler` runs.

This is wiring, like models.py and blueprints.py: the one place that lists the jobs modules,
so the registry itself stays free of any domain.
"""

from marketplace.scheduler.registry import JobRegistry, registry


def load_jobs() -> JobRegistry:
    import marketplace.baskets.jobs  # noqa: F401
    import marketplace.cards.jobs  # noqa: F401
    import marketplace.delivery.jobs  # noqa: F401
    import marketplace.direct_debit.jobs  # noqa: F401
    import marketplace.grocery_shop.jobs  # noqa: F401
    import marketplace.invoicing.jobs  # noqa: F401
    import marketplace.membership.jobs  # noqa: F401
    import marketplace.outbox.jobs  # noqa: F401
    import marketplace.pickup.jobs  # noqa: F401
    import marketplace.privacy.jobs  # noqa: F401
    import marketplace.routes.jobs  # noqa: F401
    import marketplace.shifts.jobs  # noqa: F401

    return registry
