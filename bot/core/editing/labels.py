"""The French words of the editing forms: labels, fieldsets, help and choice labels."""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.editing.schema import RecordKind
from bot.core.knowledge import Knowledge

LANGUAGES = {"fr": "français", "en": "anglais"}

# By dotted path without the language (".fr"/".en", added as « (français) »).
LABELS: Mapping[str, str] = {
    "id": "Identifiant",
    "name": "Nom",
    "funder": "Financeur",
    "kind": "Nature",
    "summary": "Résumé",
    "territory.national": "Tout le territoire national",
    "territory.regions": "Régions (codes INSEE)",
    "territory.departments": "Départements (codes)",
    "territory.epci": "Intercommunalités (SIREN)",
    "territory.communes": "Communes (codes INSEE)",
    "carriers": "Porteurs concernés",
    "stages": "Stades du projet",
    "themes": "Thèmes",
    "themes_scope": "Thèmes annoncés par l'appel",
    "needs": "Besoins couverts",
    "amount.min": "Montant minimum (€)",
    "amount.max": "Montant maximum (€)",
    "amount.covers_percent": "Part du prêt garantie (%)",
    "amount.note": "Note sur le montant",
    "expenses": "Dépenses financées",
    "calendar.mode": "Mode de dépôt",
    "calendar.sessions": "Sessions",
    "calendar.sessions.opens": "Sessions : ouverture",
    "calendar.sessions.closes": "Sessions : clôture",
    "calendar.sessions.label": "Sessions : libellé",
    "calendar.next_expected.opens": "Prochaine session : ouverture",
    "calendar.next_expected.closes": "Prochaine session : clôture",
    "calendar.next_expected.label": "Prochaine session : libellé",
    "calendar.note": "Note sur le calendrier",
    "calendar.unconfirmed": "Prochaine édition non confirmée",
    "requirements.seat_in_territory": "Siège sur le territoire exigé",
    "requirements.structure_min_age_years": "Âge minimum de la structure (années)",
    "requirements.min_employees": "Nombre minimum de salariés",
    "requirements.esus_approval": "Agrément ESUS exigé",
    "requirements.sponsor": "Parrainage exigé",
    "requirements.prior_workshop": "Atelier préalable exigé",
    "requirements.cofunding": "Cofinancement exigé",
    "conditions": "Conditions à vérifier",
    "conditions.carriers": "Conditions : porteurs concernés",
    "conditions.regions": "Conditions : régions concernées",
    "url": "Adresse web",
    "official": "Page officielle",
    "source": "Sources",
    "compiled": "Compilée le",
    "verified.on": "Vérifiée le",
    "verified.by": "Vérifiée par",
    "verified.page": "Page consultée",
    "verified.note": "Note de vérification",
    "confirmed": "Existence confirmée",
    "verify": "À vérifier par le porteur",
    "commune": "Commune (code INSEE)",
    "latitude": "Latitude",
    "longitude": "Longitude",
    "location_precision": "Précision de l'emplacement",
    "coverage.national": "Tout le territoire national",
    "coverage.regions": "Régions (codes INSEE)",
    "coverage.departments": "Départements (codes)",
    "coverage.epci": "Intercommunalités (SIREN)",
    "coverage.communes": "Communes (codes INSEE)",
    "coverage.radius_km": "Rayon autour de la commune (km)",
    "how_to_reach": "Comment la joindre",
    "regional_notes": "Notes régionales",
    "regional_notes.carriers": "Notes régionales : porteurs concernés",
    "regional_notes.regions": "Notes régionales : régions (codes INSEE)",
}

# Fieldsets, by the record's top-level field.
GROUPS: Mapping[str, str] = {
    "id": "Fiche",
    "name": "Fiche",
    "funder": "Fiche",
    "kind": "Fiche",
    "summary": "Fiche",
    "territory": "Territoire",
    "coverage": "Territoire",
    "commune": "Emplacement",
    "latitude": "Emplacement",
    "longitude": "Emplacement",
    "location_precision": "Emplacement",
    "carriers": "Public",
    "carrier_conditions": "Conditions par porteur",
    "stages": "Public",
    "themes": "Public",
    "themes_scope": "Public",
    "needs": "Public",
    "amount": "Montant",
    "expenses": "Montant",
    "calendar": "Calendrier",
    "requirements": "Critères d'éligibilité",
    "conditions": "Conditions",
    "regional_notes": "Conditions",
    "url": "Sources",
    "official": "Sources",
    "how_to_reach": "Fiche",
    "source": "Sources",
    "compiled": "Sources",
    "confirmed": "Sources",
    "verify": "Sources",
    "verified": "Vérification",
}

HELP: Mapping[str, str] = {
    "id": "Lettres minuscules, chiffres et tirets : c'est aussi le nom du fichier.",
    "url": "Adresse complète, commençant par https://.",
    "official": "Décochez si l'adresse n'est pas le site propre du financeur ou de la structure.",
    "source": "Une adresse ou une référence par ligne.",
    "commune": "Code INSEE à cinq caractères, par exemple 62041 ou 2A004.",
    "latitude": "En degrés décimaux, avec un point ou une virgule ; laissez vide si inconnue.",
    "longitude": "En degrés décimaux, avec un point ou une virgule ; laissez vide si inconnue.",
    "confirmed": "Décochez si aucune source récente ne montre que l'aide existe encore.",
    "calendar.unconfirmed": "Cochez si aucune prochaine édition n'est annoncée.",
    "themes": "Aucun thème coché : l'aide ou la structure est ouverte à tous les thèmes.",
    "verified.page": "La page du financeur ou de la structure sur laquelle vous avez vérifié.",
}
LINES_HELP = "Une valeur par ligne."
ALIGNED_HELP = (
    "Un élément par ligne : la ligne N de chaque champ « {group} » décrit le même élément "
    "(laissez une ligne vide quand un élément n'a pas de valeur)."
)
LIST_IN_LINE_HELP = "Valeurs séparées par des virgules sur la ligne de l'élément ; vide : tous."
APPLIES_HELP = (
    "Rien de coché : pas d'exigence ; « tous les porteurs concernés » ou seulement certains."
)
DATE_HELP = "Au format AAAA-MM-JJ."

APPLIES_ALL = "true"
APPLIES_ALL_LABEL = "Tous les porteurs concernés"

# Choices the vocabulary does not word for staff.
OWN_CHOICES: Mapping[str, str] = {
    "comptoir": "Comptoir d'initiatives",
    "department-service": "Service d'un département",
    "cress": "CRESS",
    "dla": "DLA (dispositif local d'accompagnement)",
    "financer": "Financeur",
    "incubator": "Incubateur",
    "network": "Réseau",
    "development-agency": "Agence de développement",
    "exact": "Adresse exacte",
    "commune": "Centre de la commune",
    "approximate": "Approximative (point de repère)",
    "permanent": "Toute l'année",
    "periodic": "Par sessions",
    "closed": "Fermé",
}


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def choice_labels(knowledge: Knowledge) -> dict[str, str]:
    """French labels of every closed-vocabulary value, themes included."""
    vocabulary = knowledge.vocabulary
    labels = dict(OWN_CHOICES)
    for words in (
        vocabulary.carriers,
        vocabulary.stages,
        vocabulary.needs,
        vocabulary.scheme_kinds,
    ):
        labels.update({str(key): _capitalised(text.fr) for key, text in words.items()})
    labels.update({theme.slug: _capitalised(theme.label.fr) for theme in knowledge.themes})
    return labels


def label(path: str, kind: RecordKind, choices: Mapping[str, str]) -> str:
    """The French label of a form path."""
    parts = path.split(".")
    language = LANGUAGES.get(parts[-1]) if len(parts) > 1 else None
    stem = ".".join(parts[:-1]) if language else path
    if stem.startswith("carrier_conditions."):
        carrier = stem.split(".", 1)[1]
        words = f"Condition pour « {choices.get(carrier, carrier)} »"
    elif kind == "counter" and stem == "official":
        words = "Site propre de la structure"
    else:
        words = LABELS.get(stem, stem)
    return f"{words} ({language})" if language else words


def group(path: str) -> str:
    """The fieldset of a form path."""
    return GROUPS.get(path.split(".")[0], "Fiche")
