"""Pages that are also spreadsheets: `?format=csv` gives the same data as a CSV file."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

FORMATS = ("html", "csv")


def page_or_csv(
    render_page: Callable[[], ResponseReturnValue],
    make_csv: Callable[[], str],
    *,
    filename: str,
    back_label: str,
) -> ResponseReturnValue:
    """The page, its CSV (`?format=csv`), or a clear 400 for any other format."""
    wanted = request.args.get("format", "html")
    if wanted not in FORMATS:
        message = _(
            "Le format « %(format)s » n'est pas proposé : choisissez la page (html) "
            "ou le tableur (csv).",
            format=wanted,
        )
        return render_template("bad_format.html", message=message, back_label=back_label), 400
    if wanted == "csv":
        return Response(
            make_csv(),
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": f'attachment; filename="{filename}"',
            },
        )
    return render_page()
