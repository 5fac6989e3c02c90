"""Producers' catalogues and their weekly availability for each group they supply."""
