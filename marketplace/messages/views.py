"""Writing to a segment of a group (its coordinators, or a producer to its subscribers), the
messages sent with each recipient's status, and a household's own messages."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import show_service_error
from marketplace.groups.access import coordinated_group
from marketplace.groups.models import Group
from marketplace.groups.services import group_by_slug
from marketplace.messages import services
from marketplace.messages.forms import MessageForm
from marketplace.messages.models import GroupMessage
from marketplace.organisations.access import require_role
from marketplace.organisations.models import Role
from marketplace.producers.models import ProducerSuppliesGroup
from marketplace.producers.services import producer_by_slug

bp = Blueprint("messages", __name__)


def _write(group: Group, *, producer=None, back: str):
    producer_id = producer.id if producer is not None else None
    form = MessageForm()
    choices = services.targets(group, producer_id)
    form.target.choices = dict(choices)  # one optgroup per segment
    preview = None
    if form.validate_on_submit():
        try:
            if form.send.data:
                message = services.send_message(
                    group,
                    current_user,
                    form.target.data,
                    form.subject.data,
                    form.body.data,
                    essential=bool(form.essential.data),
                    producer_id=producer_id,
                    sender_name=producer.name if producer is not None else None,
                )
                db.session.commit()
                flash(_("Message envoyé à %(audience)s.", audience=message.audience), "success")
                return redirect(back)
            preview = services.preview(
                group,
                form.target.data,
                essential=bool(form.essential.data),
                producer_id=producer_id,
            )
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error)
    return form, preview


@bp.route("/groupes/<slug>/gestion/messages", methods=["GET", "POST"])
def group_messages(slug: str):
    group = coordinated_group(slug)
    back = url_for(".group_messages", slug=slug)
    written = _write(group, back=back)
    if not isinstance(written, tuple):
        return written
    form, preview = written
    return render_template(
        "messages/write.html",
        group=group,
        producer=None,
        form=form,
        preview=preview,
        sent=services.sent_messages(group),
        action=back,
    )


@bp.get("/groupes/<slug>/gestion/messages/<int:message_id>")
def group_message(slug: str, message_id: int):
    group = coordinated_group(slug)
    message = db.session.get(GroupMessage, message_id)
    if message is None or message.group_id != group.id:
        abort(404)
    return render_template(
        "messages/recipients.html",
        group=group,
        message=message,
        recipients=services.recipients_of(message),
        back=url_for(".group_messages", slug=slug),
    )


def _producer_and_group(slug: str, group_slug: str):
    producer = producer_by_slug(slug)
    group = group_by_slug(group_slug)
    if producer is None or group is None:
        abort(404)
    require_role(producer, Role.PRODUCER_STAFF)
    supplies = db.session.scalar(
        select(ProducerSuppliesGroup.producer_id).where(
            ProducerSuppliesGroup.producer_id == producer.id,
            ProducerSuppliesGroup.group_id == group.id,
        )
    )
    if supplies is None:
        abort(404)
    return producer, group


@bp.route("/producteurs/<slug>/messages/<group_slug>", methods=["GET", "POST"])
def producer_messages(slug: str, group_slug: str):
    producer, group = _producer_and_group(slug, group_slug)
    back = url_for(".producer_messages", slug=slug, group_slug=group_slug)
    written = _write(group, producer=producer, back=back)
    if not isinstance(written, tuple):
        return written
    form, preview = written
    return render_template(
        "messages/write.html",
        group=group,
        producer=producer,
        form=form,
        preview=preview,
        sent=services.sent_messages(group, producer.id),
        action=back,
    )


@bp.get("/producteurs/<slug>/messages/<group_slug>/<int:message_id>")
def producer_message(slug: str, group_slug: str, message_id: int):
    producer, group = _producer_and_group(slug, group_slug)
    message = db.session.get(GroupMessage, message_id)
    if message is None or message.group_id != group.id or message.producer_id != producer.id:
        abort(404)
    return render_template(
        "messages/recipients.html",
        group=group,
        message=message,
        recipients=services.recipients_of(message),
        back=url_for(".producer_messages", slug=slug, group_slug=group_slug),
    )


@bp.get("/messages")
def received():
    return render_template("messages/received.html", messages=services.received_by(current_user))
