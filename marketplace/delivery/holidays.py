"""French public holidays (jours fériés), on which many groups cancel or move a distribution."""

from __future__ import annotations

from datetime import date, timedelta

from dateutil.easter import easter


def french_public_holidays(year: int) -> dict[date, str]:
    """Metropolitan France's eleven public holidays of `year`, with their French names."""
    easter_sunday = easter(year)
    return {
        date(year, 1, 1): "Jour de l'an",
        easter_sunday + timedelta(days=1): "Lundi de Pâques",
        date(year, 5, 1): "Fête du Travail",
        date(year, 5, 8): "Victoire 1945",
        easter_sunday + timedelta(days=39): "Ascension",
        easter_sunday + timedelta(days=50): "Lundi de Pentecôte",
        date(year, 7, 14): "Fête nationale",
        date(year, 8, 15): "Assomption",
        date(year, 11, 1): "Toussaint",
        date(year, 11, 11): "Armistice 1918",
        date(year, 12, 25): "Noël",
    }
