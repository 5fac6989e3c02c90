"""The checklist pages (a pickup day, a stop of the van), the person's list of them, the
service worker and the web app manifest.

A page is rendered by the server (the lines and counts, in a constant number of queries; the
source in sources.py says where they come from); static/js/checklist.js ticks lines, queues
taps while offline and syncs them through the JSON API (pickup/api.py). The service worker is
served from /distributions/ so that its scope covers every checklist page.
"""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    render_template,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.pickup.api import api_urls
from marketplace.pickup.checklist import checklist_for, rows_html, rows_json
from marketplace.pickup.page_cache import page_html
from marketplace.pickup.roster import (
    COLLECTED,
    NOT_COLLECTED,
    PARTLY,
    TO_HAND_OVER,
)
from marketplace.pickup.sources import registered_sources, source_for
from marketplace.security import public
from marketplace.timezones import paris_today

bp = Blueprint("pickup", __name__, url_prefix="/distributions")

DAYS_BACK = 2  # a checklist stays at hand for notes and late ticks
DAYS_AHEAD = 14


@bp.get("/")
def my_days():
    """The checklists the person may open, one section per kind of list: days on their shift
    roster and of the groups they coordinate, stops of their grocery's van (everything for
    site administrators). One query per kind of list."""
    today = paris_today()
    first, last = today - timedelta(days=DAYS_BACK), today + timedelta(days=DAYS_AHEAD)
    sections = [source.list_section(current_user, first, last) for source in registered_sources()]
    return render_template("pickup/checklist_days.html", sections=sections)


@bp.get("/<int:day_id>/liste")
def checklist(day_id: int):
    return _checklist_page("days", day_id)


@bp.get("/arrets/<int:run_stop_id>/liste")
def stop_checklist(run_stop_id: int):
    """A stop of the van's run (the mobile grocery registers that source at start-up)."""
    return _checklist_page("stops", run_stop_id)


def _checklist_page(segment: str, subject_id: int):
    source = source_for(segment)
    subject, allowed, version = (
        source.find_to_read(current_user, subject_id) if source else (None, False, None)
    )
    if subject is None:
        abort(404)
    if not allowed:
        abort(403)
    list_url, taps_url = api_urls(segment, subject_id)
    checklist = checklist_for(source, subject, version)
    page_context = source.page_context(subject)

    def context() -> dict:
        return {
            "checklist_rows": rows_html(
                checklist, "pickup/_checklist_rows.html", rows_json=rows_json
            ),
            "checklist_counts": rows_html(checklist, "pickup/_checklist_counts.html"),
            "list_id": subject_id if segment == "days" else f"{segment}-{subject_id}",
            "list_url": list_url,
            "taps_url": taps_url,
            "state_labels": state_labels(),
            **checklist.context,
            **page_context,
        }

    return page_html(
        source.page_template, checklist, source.page_context_key(page_context), context
    )


def state_labels() -> dict[str, str]:
    return {
        TO_HAND_OVER: _("À remettre"),
        COLLECTED: _("Récupéré"),
        NOT_COLLECTED: _("Non récupéré"),
        PARTLY: _("En partie"),
    }


@bp.get("/liste-sw.js")
@public
def service_worker():
    """The service worker, from /distributions/ so that it may control the checklist pages."""
    response = send_from_directory(current_app.static_folder, "js/checklist-sw.js", max_age=0)
    response.headers["Service-Worker-Allowed"] = (
        url_for("pickup.service_worker").rsplit("/", 1)[0] + "/"
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/hors-ligne")
@public
def offline():
    """What the service worker shows for a list this phone never opened, reached offline."""
    response = current_app.make_response(render_template("pickup/offline.html"))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
@public
def manifest():
    response = jsonify(
        name=_("Liste du jour — Circuits courts solidaires"),
        short_name=_("Liste du jour"),
        start_url=url_for("territory.dashboard"),
        display="standalone",
        background_color="#f7f7f2",
        theme_color="#2f5d31",
        lang="fr",
        icons=[
            {
                "src": url_for("static", filename=f"icons/icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any maskable",
            }
            for size in (192, 512)
        ],
    )
    response.mimetype = "application/manifest+json"
    return response
