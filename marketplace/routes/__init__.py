"""A solidarity grocery's mobile shop: vans, routes of village stops, dated runs, planning."""
