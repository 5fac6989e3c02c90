"""Volunteer shifts (permanences) of the distribution days."""
