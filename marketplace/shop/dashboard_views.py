"""The producer's dashboard page: this week's orders and the last weeks' revenue."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, render_template

from marketplace.shop.dashboard import CHART_HEIGHT, CHART_WIDTH, producer_dashboard
from marketplace.shop.list_views import staff_producer
from marketplace.timezones import paris_today

bp = Blueprint("producer_dashboard", __name__, url_prefix="/producteurs/<int:producer_id>")


@bp.get("/tableau-de-bord")
def show(producer_id: int):
    producer = staff_producer(producer_id)
    today = paris_today(datetime.now(UTC))
    return render_template(
        "shop/lists/dashboard.html",
        producer=producer,
        dashboard=producer_dashboard(producer.id, today=today),
        chart_width=CHART_WIDTH,
        chart_height=CHART_HEIGHT,
    )
