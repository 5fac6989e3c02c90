"""The outbox's worker: every minute, the emails due for a (new) attempt."""

from __future__ import annotations

from marketplace.outbox import sending
from marketplace.scheduler.registry import Minutely, Period, registry


@registry.register(
    "deliver_outbox",
    Minutely(),
    catch_up="latest",
    description="Send the queued emails (retries with increasing delays).",
)
def deliver_outbox(period: Period) -> str:
    outcomes = sending.deliver()
    return ", ".join(f"{name}: {count}" for name, count in sorted(outcomes.items())) or "rien"
