"""marshmallow schemas of the checklist API (they also make its OpenAPI description).

No tier, price or payment field exists here: volunteers never see them.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.bounds import within_the_years
from marketplace.pickup.checklist import quantity_text
from marketplace.pickup.models import TapAction, TapTarget
from marketplace.pickup.taps import DEVICE_ID_MAX, NOTE_MAX, TAP_ID_MAX, TapStatus

MAX_TAPS_PER_BATCH = 500


class BasketSchema(Schema):
    delivery_id = fields.Integer()
    offer_name = fields.String()
    producer_name = fields.String()
    size_name = fields.String()
    quantity = fields.Integer()
    state = fields.String(metadata={"description": "pending, collected or not_collected"})


class ExtraSchema(Schema):
    order_id = fields.Integer()
    order_line_id = fields.Integer()
    producer_name = fields.String()
    product_name = fields.String()
    quantity_milli = fields.Integer(metadata={"description": "thousandths of the unit"})
    unit = fields.String()
    quantity_text = fields.Function(lambda extra: quantity_text(extra.quantity_milli, extra.unit))
    state = fields.String()
    target = fields.Function(
        lambda extra: {"kind": extra.order_kind, "id": extra.order_id},
        metadata={"description": "what a tap on it ticks: an order or a pre-order"},
    )


class TargetSchema(Schema):
    kind = fields.String()
    id = fields.Integer()


class LineSchema(Schema):
    key = fields.String(
        metadata={
            "description": "u<household id>, or g<delivery id> (given); p<pre-order id> at a stop"
        }
    )
    name = fields.String()
    given_to = fields.String(allow_none=True)
    household_name = fields.String()
    user_id = fields.Integer(allow_none=True)
    state = fields.String(
        metadata={"description": "to_hand_over, collected, not_collected or partly"}
    )
    note = fields.String()
    order_id = fields.Integer(allow_none=True)
    order_kind = fields.String(metadata={"description": "order, or pre_order at a stop"})
    targets = fields.Function(
        lambda line: [{"kind": kind, "id": target_id} for kind, target_id in line.targets],
        metadata={"description": "what one tap on the line ticks"},
    )
    baskets = fields.List(fields.Nested(BasketSchema))
    extras = fields.List(fields.Nested(ExtraSchema))


class CountSchema(Schema):
    key = fields.String()
    label = fields.String()
    unit = fields.String(allow_none=True)
    expected = fields.Integer(metadata={"description": "baskets, or thousandths of the unit"})
    collected = fields.Integer()
    expected_text = fields.Function(lambda row: _count_text(row, row.expected))
    collected_text = fields.Function(lambda row: _count_text(row, row.collected))


class CountsSchema(Schema):
    baskets = fields.List(fields.Nested(CountSchema))
    products = fields.List(fields.Nested(CountSchema))
    households = fields.Integer()
    households_done = fields.Integer()


class HeadingSchema(Schema):
    id = fields.Integer(metadata={"description": "the distribution day's, or the run stop's"})
    day = fields.Date()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    pickup_point = fields.String(
        attribute="place", metadata={"description": "the pickup point, or the village and place"}
    )


class ChecklistSchema(Schema):
    day = fields.Nested(HeadingSchema, attribute="heading")
    closed = fields.Boolean()
    closed_message = fields.String()
    version = fields.String()
    as_of_us = fields.Integer(
        metadata={"description": "when the server read the list, µs since 1970 (newest wins)"}
    )
    csrf_token = fields.String(metadata={"description": "send it back in X-CSRFToken"})
    lines = fields.List(fields.Nested(LineSchema))
    counts = fields.Nested(CountsSchema)


class TapSchema(Schema):
    tap_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=TAP_ID_MAX),
        metadata={"description": "made by the phone (a UUID): sending it twice changes nothing"},
    )
    target_kind = fields.String(
        required=True, validate=validate.OneOf([target.value for target in TapTarget])
    )
    target_id = fields.Integer(required=True, strict=True)
    action = fields.String(
        required=True, validate=validate.OneOf([action.value for action in TapAction])
    )
    note = fields.String(load_default="", validate=validate.Length(max=NOTE_MAX))
    tapped_at = fields.AwareDateTime(
        required=True, validate=within_the_years, metadata={"description": "the phone's clock"}
    )
    device_id = fields.String(load_default="", validate=validate.Length(max=DEVICE_ID_MAX))


class TapBatchSchema(Schema):
    taps = fields.List(
        fields.Nested(TapSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_TAPS_PER_BATCH),
    )


class TapResultSchema(Schema):
    tap_id = fields.String()
    status = fields.Enum(TapStatus, by_value=True)
    message = fields.String()


class TapBatchResultSchema(Schema):
    results = fields.List(fields.Nested(TapResultSchema))
    version = fields.String(
        metadata={
            "description": (
                "the list's version after the batch when the server already holds that list "
                "(a GET answers the same), else a token starting with a tilde that no list's "
                "version equals: the list has changed, GET it"
            )
        }
    )


def _count_text(row, amount: int) -> str:
    if row.unit is None:
        return str(amount)
    return quantity_text(amount, row.unit) if amount else "0"
