"""A solidarity grocery's beneficiaries, stock and the pre-orders of its mobile shop."""
