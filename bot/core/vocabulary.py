"""The closed vocabularies' labels and the matcher's sentences, in French and English."""

from __future__ import annotations

from pydantic import Field, model_validator

from bot.core.models import Carrier, Level, Need, Record, SchemeKind, Stage, Text


class Phrases(Record):
    """Sentence templates the matcher fills in (placeholders in braces)."""

    territory_national: Text
    territory_region: Text
    territory_department: Text
    territory_epci: Text
    territory_commune: Text
    territory_not_met: Text
    carrier_met: Text
    carrier_conditional: Text
    carrier_not_met: Text
    stage_met: Text
    stage_not_met: Text
    theme_any: Text
    theme_met: Text
    theme_unknown: Text
    theme_not_met: Text
    need_met: Text
    need_unknown: Text
    need_not_met: Text
    need_unconfirmed: Text  # {offered}, for a scheme not confirmed to exist
    amount_not_applicable: Text
    amount_unknown: Text
    amount_unpublished: Text
    amount_within: Text
    amount_below: Text
    amount_partial: Text
    amount_guarantee: Text  # {percent} {max} {covered} {amount}
    amount_guarantee_capped: Text  # {percent} {max} {amount}
    amount_guarantee_unknown: Text  # {percent} {max}
    unverified_fact: Text  # {fact}: a fact of a record never verified on the official page
    calendar_permanent: Text
    calendar_open: Text
    calendar_open_no_end: Text
    calendar_next: Text
    calendar_next_undated: Text
    calendar_unannounced: Text
    calendar_unconfirmed: Text
    calendar_scheme_unconfirmed: Text  # the scheme itself is not confirmed to exist
    provenance_verified: Text  # {date}: when a person checked it on the official page
    provenance_compiled: Text  # {date}: compiled from sources, never verified
    remedy_carrier: Text
    remedy_stage_later: Text
    remedy_stage_earlier: Text
    remedy_need: Text
    remedy_amount_below: Text
    remedy_calendar: Text
    requirement_seat_in_territory: Text
    requirement_structure_min_age: Text
    requirement_min_employees: Text
    requirement_min_employees_one: Text
    requirement_structure_min_age_one: Text
    requirement_esus: Text
    requirement_sponsor: Text
    requirement_prior_workshop: Text
    requirement_cofunding: Text
    counter_level: Text
    counter_distance: Text
    counter_nearby: Text
    counter_themes: Text
    counter_location_approximate: Text
    counter_unverified: Text
    nothing_local: Text
    nothing_at_all: Text
    list_separator: Text
    list_last_separator: Text
    range_between: Text
    range_up_to: Text
    range_from: Text
    first_of_month: Text
    quoted: Text  # {label}: a stage named as the citizen chose it


class ResultTexts(Record):
    """How the chat shows results beyond the dialog's `results_*` texts: details, verdicts."""

    card_expenses: Text  # {expenses}: what the scheme pays for, on its card
    details_button: Text  # {number}; a label that can also be typed (« Détails 2 »)
    details_keywords: tuple[str, ...] = Field(min_length=1)  # typed « détails 2 », folded
    details_title: Text  # {number} {name}
    details_funder: Text
    details_criteria: Text
    details_expenses: Text
    details_amount: Text
    details_calendar: Text
    details_checks: Text
    details_link: Text
    details_unofficial_link: Text  # {url}: no official page is known
    card_unofficial_link: Text  # {url}
    counter_unofficial_link: Text  # {url}: a page about the counter, its own site not known
    details_gone: Text
    verdict_met: Text
    verdict_partial: Text
    verdict_unknown: Text
    verdict_not_met: Text
    counters_national_only: Text


class Vocabulary(Record):
    """Labels of the closed vocabularies and the matcher's sentences, in French and English."""

    carriers: dict[Carrier, Text]
    # How a carrier can become another one, worded to end « Accessible {path} »: only the
    # changes that make sense (an individual can create an association, not the reverse).
    carrier_paths: dict[Carrier, dict[Carrier, Text]] = Field(default_factory=dict)
    stages: dict[Stage, Text]
    needs: dict[Need, Text]
    scheme_kinds: dict[SchemeKind, Text]
    levels: dict[Level, Text]
    months: tuple[Text, ...] = Field(min_length=12, max_length=12)
    phrases: Phrases
    results: ResultTexts

    @model_validator(mode="after")
    def _complete(self) -> Vocabulary:
        for name, enum in (
            ("carriers", Carrier),
            ("stages", Stage),
            ("needs", Need),
            ("scheme_kinds", SchemeKind),
            ("levels", Level),
        ):
            missing = [m.value for m in enum if m not in getattr(self, name)]
            if missing:
                raise ValueError(f"libellés manquants dans « {name} » : {', '.join(missing)}")
        for source, targets in self.carrier_paths.items():
            if source in targets:
                raise ValueError(f"« carrier_paths.{source.value} » ne peut mener à lui-même")
        return self
