"""Translated display names for codes stored in the database."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "member": _l("Adhérent·e"),
    "coordinator": _l("Coordinateur·rice"),
    "volunteer": _l("Bénévole"),
    "producer_staff": _l("Équipe du producteur"),
    "grocery_staff": _l("Équipe de l'épicerie"),
}

TRADE_LABELS = {
    "maraicher": _l("Maraîchage"),
    "arboriculteur": _l("Arboriculture"),
    "boulanger": _l("Boulangerie"),
    "fromager": _l("Fromagerie"),
    "eleveur": _l("Élevage"),
    "aviculteur": _l("Volailles et œufs"),
    "apiculteur": _l("Apiculture"),
    "vigneron": _l("Viticulture"),
    "brasseur": _l("Brasserie"),
    "meunier": _l("Meunerie"),
}

LABEL_NAMES = {
    "ab": _l("Agriculture biologique (AB)"),
    "nature_progres": _l("Nature & Progrès"),
    "demeter": _l("Demeter"),
    "hve": _l("Haute valeur environnementale"),
    "bienvenue_ferme": _l("Bienvenue à la ferme"),
    "simples": _l("Simples"),
}

ORGANISATION_KIND_LABELS = {
    "group": _l("Groupe AMAP"),
    "producer": _l("Producteur·rice"),
    "grocery": _l("Épicerie solidaire"),
}


def role_label(code: str) -> str:
    return str(ROLE_LABELS.get(code, code))


def trade_label(code: str | None) -> str:
    return str(TRADE_LABELS.get(code, code or ""))


def label_name(code: str) -> str:
    return str(LABEL_NAMES.get(code, code))


EMAIL_STATUS_LABELS = {
    "queued": _l("en attente d'envoi"),
    "sending": _l("en cours d'envoi"),
    "sent": _l("envoyé"),
    "failed": _l("échec"),
    "bounced": _l("adresse refusée"),
    "declined": _l("non envoyé (le foyer ne reçoit plus ces messages)"),
}


def email_status_label(code: str) -> str:
    return str(EMAIL_STATUS_LABELS.get(code, code))
