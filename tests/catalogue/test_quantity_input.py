"""Quantities as people type them in French order forms."""

from __future__ import annotations

import pytest

from marketplace.catalogue.quantities import is_zero_text, parse_quantity
from marketplace.errors import DomainError


@pytest.mark.parametrize("text", ["0", "0,0", " 0,000 ", "0.00", "1 000", "1,5", "abc", ""])
def test_zero_is_read_as_none_and_anything_else_is_a_quantity_or_an_error(app, text):
    if is_zero_text(text):
        assert text.strip() in {"0", "0,0", "0,000", "0.00"}
        return
    try:
        assert parse_quantity(text, "kg") > 0
    except DomainError as error:
        assert text.strip() in {"abc", ""}
        assert error.message


def test_french_input_is_parsed(app):
    assert parse_quantity("1,5", "kg") == 1500
    assert parse_quantity("1 000", "kg") == 1_000_000
