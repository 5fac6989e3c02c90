"""The household receives its SEPA mandate's terms and reference (RUM) when it is saved.

The creditor is named by SEPA_CREDITOR_NAME and identified by SEPA_CREDITOR_ID (the ICS),
two settings; the wording is the mandate's standard one, with the 8-week refund right.
"""

from __future__ import annotations

import logging
import smtplib

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.cards.models import SavedPaymentMethod
from marketplace.mail import absolute_url, send_email

logger = logging.getLogger(__name__)


def send(user: User, mandate: SavedPaymentMethod) -> None:
    """Email the mandate's terms and reference; a mail outage never undoes the saving."""
    config = current_app.config
    with force_locale(user.language):
        try:
            send_email(
                user.email,
                _("Votre mandat de prélèvement SEPA"),
                "email/sepa_mandate",
                user=user,
                mandate=mandate,
                creditor=config.get("SEPA_CREDITOR_NAME") or "Circuits courts solidaires",
                creditor_id=config.get("SEPA_CREDITOR_ID") or "",
                notice_days=config.get("SEPA_NOTICE_DAYS", 14),
                methods_link=absolute_url("cards.saved_methods"),
            )
        except (smtplib.SMTPException, OSError):
            logger.exception("Mandate email to user %s failed", user.id)
