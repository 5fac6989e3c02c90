"""The pickup-day checklist (offline-capable), sign-off sheet and closing of the day."""
