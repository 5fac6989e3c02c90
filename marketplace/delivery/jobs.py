"""Scheduled jobs of the delivery domain."""
