"""marshmallow schemas of the walk-in sales API (they also make its OpenAPI description)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.bounds import within_the_years
from marketplace.catalogue.quantities import format_quantity
from marketplace.grocery_shop.walk_in import DEVICE_ID_MAX, SALE_ID_MAX, SaleStatus
from marketplace.payments.money import format_money

MAX_ENTRIES_PER_BATCH = 200


class WalkInSaleInSchema(Schema):
    sale_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=SALE_ID_MAX),
        metadata={"description": "made by the phone (a UUID): sending it twice changes nothing"},
    )
    stock_item_id = fields.Integer(required=True, strict=True)
    quantity_milli = fields.Integer(
        required=True, strict=True, metadata={"description": "thousandths of the item's unit"}
    )
    beneficiary_id = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        metadata={"description": "a beneficiary pays their tier; none: the shelf price"},
    )
    sold_at = fields.AwareDateTime(
        required=True, validate=within_the_years, metadata={"description": "the phone's clock"}
    )
    device_id = fields.String(load_default="", validate=validate.Length(max=DEVICE_ID_MAX))


class WalkInVoidInSchema(Schema):
    sale_id = fields.String(required=True, validate=validate.Length(min=1, max=SALE_ID_MAX))


class WalkInBatchSchema(Schema):
    sales = fields.List(
        fields.Nested(WalkInSaleInSchema),
        load_default=list,
        validate=validate.Length(max=MAX_ENTRIES_PER_BATCH),
    )
    voids = fields.List(
        fields.Nested(WalkInVoidInSchema),
        load_default=list,
        validate=validate.Length(max=MAX_ENTRIES_PER_BATCH),
        metadata={"description": "sales to void, applied after the batch's sales"},
    )


class WalkInResultSchema(Schema):
    sale_id = fields.String()
    status = fields.Enum(SaleStatus, by_value=True)
    message = fields.String()


class WalkInSaleRowSchema(Schema):
    sale_id = fields.String()
    product_name = fields.String()
    quantity_milli = fields.Integer()
    unit = fields.String()
    quantity_text = fields.Function(lambda row: format_quantity(row.quantity_milli, row.unit))
    household_name = fields.String(allow_none=True)
    tier_percent = fields.Integer()
    unit_price_cents = fields.Integer()
    total_cents = fields.Integer()
    total_text = fields.Function(lambda row: format_money(row.total_cents))
    sold_at = fields.AwareDateTime()
    voided = fields.Boolean()


class WalkInShelfItemSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    unit = fields.String()
    shelf_price_cents = fields.Integer()
    free_milli = fields.Integer(metadata={"description": "quantity - pre-ordered, thousandths"})
    free_text = fields.Function(lambda item: format_quantity(item.free_milli, item.unit))


class WalkInPanelSchema(Schema):
    closed = fields.Boolean()
    items = fields.List(fields.Nested(WalkInShelfItemSchema))
    sales = fields.List(fields.Nested(WalkInSaleRowSchema))
    takings_cents = fields.Integer()
    takings_text = fields.Function(lambda panel: format_money(panel.takings_cents))
    as_of_us = fields.Integer(
        metadata={"description": "when the server read the panel, µs since 1970 (newest wins)"}
    )
    csrf_token = fields.String(metadata={"description": "send it back in X-CSRFToken"})


class WalkInBatchResultSchema(WalkInPanelSchema):
    results = fields.List(fields.Nested(WalkInResultSchema), metadata={"description": "sales"})
    void_results = fields.List(fields.Nested(WalkInResultSchema))
