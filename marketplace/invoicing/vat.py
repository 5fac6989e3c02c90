"""Splitting a price that includes VAT into net and VAT, exactly to the cent (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.payments.money import VAT_RATES_BP, format_vat_rate


@dataclass(frozen=True)
class Split:
    net_cents: int  # HT
    vat_cents: int  # TVA
    total_cents: int  # TTC = HT + TVA, always


def split_total(total_cents: int, rate_bp: int) -> Split:
    """The net of a VAT-inclusive amount, rounded half up to the cent; VAT is the rest,
    so net + VAT is the total to the cent, whatever the rounding."""
    if rate_bp not in VAT_RATES_BP:
        raise ValueError(f"Unknown VAT rate {rate_bp}")
    if total_cents < 0:
        raise ValueError("A line's total cannot be negative.")
    # net = total / (1 + rate), rounded half up, in integers only.
    denominator = 10_000 + rate_bp
    net = (2 * total_cents * 10_000 + denominator) // (2 * denominator)
    return Split(net_cents=net, vat_cents=total_cents - net, total_cents=total_cents)


format_rate = format_vat_rate
