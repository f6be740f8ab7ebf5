"""Typed records of the knowledge base (themes, markers, schemes, counters) as staff write them."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

Language = Literal["fr", "en"]
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=64)]


def _check_url(value: str) -> str:
    if not re.fullmatch(r"https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?::\d+)?(?:[/?#]\S*)?", value):
        raise ValueError("doit être une adresse web complète commençant par http:// ou https://")
    return value


Url = Annotated[str, AfterValidator(_check_url)]


class Record(BaseModel):
    """Base of every knowledge record: immutable, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Record):
    """A user-facing text in French and English."""

    fr: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, language: Language) -> str:
        """The text in `language`."""
        return self.en if language == "en" else self.fr

    def format(self, language: Language, **values: object) -> str:
        """The text in `language` with its {placeholders} filled in."""
        return self.get(language).format(**values)


class Carrier(StrEnum):
    """Who carries the project."""

    HABITANT = "habitant"
    COLLECTIF_INFORMEL = "collectif-informel"
    ASSOCIATION = "association"
    COOPERATIVE = "cooperative"
    ENTREPRISE_ESS = "entreprise-ess"
    ENTREPRISE_ESUS = "entreprise-esus"
    ENTREPRISE = "entreprise"  # a company outside the ESS (SAS, SARL…)
    COLLECTIVITE = "collectivite"


class Stage(StrEnum):
    """How far the project has come."""

    IDEE = "idee"
    EMERGENCE = "emergence"
    EXPERIMENTATION = "experimentation"
    DEVELOPPEMENT = "developpement"
    ESSAIMAGE = "essaimage"


class Need(StrEnum):
    """What help the project holder wants."""

    FINANCEMENT = "financement"
    ACCOMPAGNEMENT = "accompagnement"
    FORMATION = "formation"
    RESEAU = "reseau"
    LOCAUX = "locaux"
    VISIBILITE = "visibilite"


class SchemeKind(StrEnum):
    """Nature of a funding or support scheme."""

    GRANT = "grant"
    LOAN = "loan"
    GUARANTEE = "guarantee"
    SUPPORT = "support"
    PRIZE = "prize"
    PARTICIPATORY_BUDGET = "participatory-budget"
    CALL_FOR_PROJECTS = "call-for-projects"
    CALL_FOR_INTEREST = "call-for-interest"
    LABEL = "label"


class CounterKind(StrEnum):
    """Nature of a support structure."""

    COMPTOIR = "comptoir"
    DEPARTMENT_SERVICE = "department-service"
    CRESS = "cress"
    DLA = "dla"
    FINANCER = "financer"
    INCUBATOR = "incubator"
    NETWORK = "network"
    DEVELOPMENT_AGENCY = "development-agency"


class Territory(Record):
    """Where a scheme applies or a counter works: national, or lists of INSEE/SIREN codes."""

    national: bool = False
    regions: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    epci: tuple[str, ...] = ()
    communes: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _not_empty(self) -> Territory:
        listed = self.regions or self.departments or self.epci or self.communes
        if self.national and listed:
            raise ValueError("« national: true » exclut les listes de territoires")
        if not self.national and not listed:
            raise ValueError("indiquez « national: true » ou au moins une liste de codes")
        return self


class Coverage(Territory):
    """Where a counter takes people in: a territory, optionally widened by a radius."""

    radius_km: float | None = Field(default=None, gt=0, le=500)

    @model_validator(mode="after")
    def _not_empty(self) -> Coverage:
        listed = self.regions or self.departments or self.epci or self.communes
        if self.national and (listed or self.radius_km):
            raise ValueError("« national: true » exclut les listes de territoires et le rayon")
        if not (self.national or listed or self.radius_km):
            raise ValueError("indiquez « national: true », une liste de codes ou « radius_km »")
        return self


class Amount(Record):
    """Published amounts in euros; absent bounds mean not published.

    For a guarantee, `max` is the ceiling guaranteed and `covers_percent` the share of the
    bank loan it covers: the citizen's need is then compared with what the guarantee covers.
    """

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)
    covers_percent: int | None = Field(default=None, ge=1, le=100)
    note: Text | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Amount:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("« min » dépasse « max »")
        return self


class Session(Record):
    """One application window of a periodic scheme."""

    opens: dt.date | None = None
    closes: dt.date | None = None
    label: Text | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Session:
        if self.opens and self.closes and self.opens > self.closes:
            raise ValueError("« opens » est après « closes »")
        return self


class Calendar(Record):
    """When one can apply: always, in sessions, or no more; `unconfirmed`: no next edition known."""

    mode: Literal["permanent", "periodic", "closed"]
    sessions: tuple[Session, ...] = ()
    next_expected: Session | None = None
    note: Text | None = None
    unconfirmed: bool = False

    @model_validator(mode="after")
    def _label_after_a_colon(self) -> Calendar:
        label = self.next_expected.label if self.next_expected else None
        if label and (":" in label.fr or ":" in label.en):
            # the sentence puts it after a colon: « Prochaine session attendue : {label} »
            raise ValueError(
                "« next_expected.label » suit un deux-points dans la phrase : n'en mettez pas"
            )
        return self


class Verification(Record):
    """A person checked the record against the funder's or the structure's own page."""

    on: dt.date
    by: str = Field(min_length=2, max_length=120)
    page: Url
    note: str | None = None


# A requirement is `true` (it concerns every carrier it can concern, see bot/core/applicability)
# or the list of carriers it concerns.
Applies = bool | tuple[Carrier, ...]


class Requirements(Record):
    """Structured eligibility conditions the matcher can reason about or ask to check."""

    seat_in_territory: Applies = False
    structure_min_age_years: int | None = Field(default=None, ge=0, le=50)
    min_employees: int | None = Field(default=None, ge=0)
    esus_approval: Applies = False
    sponsor: Applies = False
    prior_workshop: Applies = False
    cofunding: Applies = False


class Condition(Text):
    """A condition to check, for some carriers only or in some regions only (empty: all)."""

    carriers: tuple[Carrier, ...] = ()
    regions: tuple[str, ...] = ()


class Scheme(Record):
    """A funding or support scheme a project holder can apply to."""

    id: Slug
    name: str = Field(min_length=3, max_length=120)
    funder: str = Field(min_length=2)
    kind: SchemeKind
    summary: Text
    territory: Territory
    carriers: tuple[Carrier, ...] = Field(min_length=1)
    carrier_conditions: dict[Carrier, Text] = Field(default_factory=dict)
    stages: tuple[Stage, ...] = Field(min_length=1)
    themes: tuple[Slug, ...] = ()
    themes_scope: Text | None = None  # with no `themes`: what the call says of them, to check
    needs: tuple[Need, ...] = Field(min_length=1)
    amount: Amount | None = None
    expenses: tuple[Text, ...] = ()
    calendar: Calendar
    requirements: Requirements = Requirements()
    conditions: tuple[Condition, ...] = ()
    url: Url
    official: bool = True  # false: `url` is not the funder's own page (none is known)
    source: tuple[str, ...] = Field(min_length=1)
    compiled: dt.date
    verified: Verification | None = None
    confirmed: bool = True  # false: no recent source shows the scheme still exists
    verify: Text | None = None

    @model_validator(mode="after")
    def _scope_without_themes(self) -> Scheme:
        if self.themes_scope is not None and self.themes:
            raise ValueError("« themes_scope » va avec une liste « themes » vide")
        return self


class Counter(Record):
    """An initiative counter or support structure that can receive a citizen."""

    id: Slug
    name: str = Field(min_length=3, max_length=120)
    kind: CounterKind
    summary: Text
    commune: str = Field(pattern=r"^(?:\d{5}|2[AB]\d{3})$")
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    location_precision: Literal["exact", "commune", "approximate"]
    coverage: Coverage
    themes: tuple[Slug, ...] = ()
    stages: tuple[Stage, ...] = ()
    carriers: tuple[Carrier, ...] = ()
    url: Url
    official: bool = True  # false: `url` is a page about it, its own site is not known
    how_to_reach: Text | None = None
    regional_notes: tuple[Condition, ...] = ()  # said only in their regions (« En Bretagne… »)
    source: tuple[str, ...] = Field(min_length=1)
    compiled: dt.date
    verified: Verification | None = None

    @model_validator(mode="after")
    def _both_coordinates(self) -> Counter:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("« latitude » et « longitude » vont ensemble")
        return self


class Theme(Record):
    """A theme of the taxonomy with its French lexicon."""

    slug: Slug
    label: Text
    keywords: tuple[str, ...] = Field(min_length=5)
    hints: tuple[str, ...] = ()


class ThemesFile(Record):
    """The themes.yaml document."""

    source: tuple[str, ...] = Field(min_length=1)
    themes: tuple[Theme, ...]


class Marker(Record):
    """A social-innovation marker with a question a citizen can answer."""

    id: Slug
    number: int | None = Field(default=None, ge=0, le=20)
    label: Text
    meaning: Text
    question: Text
    dimension: Literal["contexte", "processus", "resultats", "impacts", "diffusion"]
    status: Literal["verified", "reconstruction", "unverified"]
    source: tuple[str, ...] = Field(min_length=1)


class MarkersFile(Record):
    """The markers.yaml document."""

    source: tuple[str, ...] = Field(min_length=1)
    status_note: Text
    scale: tuple[Text, ...] = Field(min_length=2)
    markers: tuple[Marker, ...] = Field(min_length=1)


class Level(StrEnum):
    """How precisely a counter's coverage answered for a commune, narrowest first."""

    COMMUNE = "commune"
    RADIUS = "radius"
    EPCI = "epci"
    DEPARTMENT = "department"
    REGION = "region"
    NATIONAL = "national"
