"""The confirmation emails of an order, in the household's language."""

from __future__ import annotations

from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.mail import absolute_url, send_email
from marketplace.shop.models import Order


def _subject(event: str, date: str) -> str:
    if event == "changed":
        return _("Votre commande modifiée pour la distribution du %(date)s", date=date)
    if event == "cancelled":
        return _("Votre commande annulée pour la distribution du %(date)s", date=date)
    return _("Votre commande pour la distribution du %(date)s", date=date)


def send_order_email(order: Order, event: str) -> None:
    """Tell the household what it ordered (event: placed, changed or cancelled): queued in the
    outbox with the order, so the email goes if and only if the order is committed."""
    user = order.user
    day = order.distribution_day
    with force_locale(user.language):
        send_email(
            user.email,
            _subject(event, format_date(day.day, "full")),
            f"email/shop_order_{event}",
            user=user,
            order=order,
            day=day,
            link=absolute_url("shop.order", order_id=order.id),
            statement=absolute_url("payments.my_statement", slug=day.group.slug),
        )


def _purchase_subject(event: str, grocery: str, date: str) -> str:
    if event == "changed":
        return _(
            "%(grocery)s : achat modifié pour la distribution du %(date)s",
            grocery=grocery,
            date=date,
        )
    if event == "cancelled":
        return _(
            "%(grocery)s : achat annulé pour la distribution du %(date)s",
            grocery=grocery,
            date=date,
        )
    return _("%(grocery)s : achat pour la distribution du %(date)s", grocery=grocery, date=date)


def send_grocery_purchase_email(
    order: Order, event: str, *, staff: User, grocery_name: str, link: str
) -> None:
    """Tell the grocery's staff member who acted what the grocery bought (placed, changed or
    cancelled), in their language. No statement: the producer invoices the grocery."""
    day = order.distribution_day
    with force_locale(staff.language):
        send_email(
            staff.email,
            _purchase_subject(event, grocery_name, format_date(day.day, "full")),
            f"grocery_shop/purchases/email_{event}",
            user=staff,
            grocery_name=grocery_name,
            order=order,
            day=day,
            link=link,
        )
