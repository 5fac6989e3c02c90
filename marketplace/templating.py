"""Template helpers: dates shown in Paris time, language switch, role names."""

from __future__ import annotations

from flask import Flask, current_app
from flask_babel import format_date, format_datetime, format_time, get_locale

from marketplace.accounts.passwords import MIN_LENGTH
from marketplace.catalogue.labels import category_name, unit_name
from marketplace.catalogue.quantities import format_quantity
from marketplace.delivery.day_notes import day_note
from marketplace.labels import email_status_label, label_name, role_label, trade_label
from marketplace.list_pages import page_url
from marketplace.payments.entry_words import entry_label
from marketplace.payments.money import format_money
from marketplace.pickup.donation_words import donated_label
from marketplace.routes.run_notes import run_note


def init_templating(app: Flask) -> None:
    app.jinja_env.filters["date"] = lambda value, style="full": format_date(value, style)
    app.jinja_env.filters["datetime"] = lambda value, style="medium": format_datetime(value, style)
    app.jinja_env.filters["time"] = lambda value, style="short": format_time(value, style)
    app.jinja_env.filters["role_label"] = role_label
    app.jinja_env.filters["message_status"] = email_status_label
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["entry_label"] = entry_label  # a ledger entry's words, translated
    app.jinja_env.filters["day_note"] = day_note  # a distribution day's note, translated
    app.jinja_env.filters["run_note"] = run_note  # a mobile grocery run's note, translated
    app.jinja_env.filters["donated_label"] = donated_label  # a donated basket's name, translated
    app.jinja_env.filters["quantity"] = format_quantity  # {{ line.quantity_milli|quantity(unit) }}
    app.jinja_env.globals["unit_name"] = unit_name
    app.jinja_env.globals["category_name"] = category_name
    app.jinja_env.globals["trade_label"] = trade_label
    app.jinja_env.globals["password_min_length"] = MIN_LENGTH
    app.jinja_env.globals["label_name"] = label_name
    app.jinja_env.globals["page_url"] = page_url
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
    app.jinja_env.globals["languages"] = lambda: current_app.config["LANGUAGES"]
