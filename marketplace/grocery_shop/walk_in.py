"""Walk-in sales at a stop of the van (being written: see the walk-in sales task)."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.routes.models import RunStop


@dataclass
class SalesPanel:
    run_stop: RunStop


def sales_panel(run_stop: RunStop) -> SalesPanel:
    return SalesPanel(run_stop=run_stop)
