"""Every email the site sends: queued in the database with the work that caused it, then
delivered (at once after the commit, and by the `deliver_outbox` job for retries)."""
