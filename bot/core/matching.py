"""Explainable matching of a project profile to schemes and counters, criterion by criterion."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import Field

from bot.core.geo import Commune, distance_km
from bot.core.knowledge import Knowledge
from bot.core.models import (
    Carrier,
    Counter,
    Level,
    Need,
    Record,
    Scheme,
    Session,
    Slug,
    Stage,
    Text,
    Vocabulary,
)

Language = Literal["fr", "en"]
LEVEL_ORDER = {level: rank for rank, level in enumerate(Level)}
MONEY_NEEDS = frozenset({Need.FINANCEMENT})
# Who can usually carry a project for someone who is not (yet) organised, in order of ease.
CARRIER_SUGGESTIONS = (
    Carrier.ASSOCIATION,
    Carrier.COLLECTIF_INFORMEL,
    Carrier.COOPERATIVE,
    Carrier.ENTREPRISE_ESS,
    Carrier.ENTREPRISE_ESUS,
    Carrier.COLLECTIVITE,
    Carrier.HABITANT,
)


class Profile(Record):
    """What we know of a project: where, who carries it, its stage, themes, needs and amount."""

    commune: str = Field(min_length=1)
    carrier: Carrier
    stage: Stage
    themes: tuple[Slug, ...] = ()
    needs: tuple[Need, ...] = ()
    amount: int | None = Field(default=None, ge=0, le=100_000_000)


class ProfileError(ValueError):
    """A profile refers to something the knowledge base does not know."""


class Verdict(StrEnum):
    """Outcome of one criterion."""

    MET = "met"
    UNKNOWN = "unknown"
    NOT_MET = "not_met"


class Criterion(StrEnum):
    """The criteria every scheme is judged on, in the order they are shown."""

    TERRITORY = "territory"
    CARRIER = "carrier"
    STAGE = "stage"
    THEME = "theme"
    NEED = "need"
    AMOUNT = "amount"
    CALENDAR = "calendar"


@dataclass(frozen=True, slots=True)
class Assessment:
    """One criterion's verdict and its explanation."""

    criterion: Criterion
    verdict: Verdict
    detail: str


@dataclass(frozen=True, slots=True)
class SchemeMatch:
    """A scheme judged against a profile."""

    scheme: Scheme
    score: float
    criteria: tuple[Assessment, ...]
    reason: str
    remedy: str | None
    checks: tuple[str, ...]
    deadline: dt.date | None
    level: Level


@dataclass(frozen=True, slots=True)
class CounterMatch:
    """A counter whose coverage includes the profile's commune."""

    counter: Counter
    level: Level
    distance_km: float | None
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Eligible schemes, near misses and counters, plus a notice when nothing local fits."""

    commune: Commune
    schemes: tuple[SchemeMatch, ...]
    near_misses: tuple[SchemeMatch, ...]
    counters: tuple[CounterMatch, ...]
    notice: str | None


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A scheme with its vocabularies as sets, for cheap assessment."""

    scheme: Scheme
    carriers: frozenset[Carrier]
    stages: frozenset[Stage]
    themes: frozenset[str]
    needs: frozenset[Need]
    gives_money: bool


def _territory_index(
    records: Iterable[tuple[str, Scheme | Counter]],
) -> dict[tuple[Level, str], list[str]]:
    index: dict[tuple[Level, str], list[str]] = defaultdict(list)
    for record_id, record in records:
        territory = record.territory if isinstance(record, Scheme) else record.coverage
        if territory.national:
            index[(Level.NATIONAL, "")].append(record_id)
        for level, codes in (
            (Level.REGION, territory.regions),
            (Level.DEPARTMENT, territory.departments),
            (Level.EPCI, territory.epci),
            (Level.COMMUNE, territory.communes),
        ):
            for code in codes:
                index[(level, code)].append(record_id)
    return index


class Matcher:
    """Match profiles against a loaded knowledge base; build once, call `match` per profile."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge
        self.vocabulary: Vocabulary = knowledge.vocabulary
        self._schemes = {
            s.id: _Prepared(
                s,
                frozenset(s.carriers),
                frozenset(s.stages),
                frozenset(s.themes),
                frozenset(s.needs),
                bool(MONEY_NEEDS & set(s.needs)),
            )
            for s in knowledge.schemes
            if s.calendar.mode != "closed"
        }
        self._counters = {c.id: c for c in knowledge.counters}
        self._scheme_index = _territory_index((s.id, s) for s in knowledge.schemes)
        self._counter_index = _territory_index((c.id, c) for c in knowledge.counters)
        self._radius_counters = [c for c in knowledge.counters if c.coverage.radius_km]
        self._theme_labels = {t.slug: t.label for t in knowledge.themes}

    # -- public API -------------------------------------------------------------------------

    def check(self, profile: Profile) -> Commune:
        """Return the profile's commune, or raise ProfileError listing what is allowed."""
        commune = self.knowledge.geo.communes.get(profile.commune.upper())
        if commune is None:
            raise ProfileError(
                f"commune inconnue « {profile.commune} » : donnez un code INSEE à 5 caractères"
                " (par exemple 62041 pour Arras)"
            )
        unknown = [t for t in profile.themes if t not in self._theme_labels]
        if unknown:
            allowed = ", ".join(sorted(self._theme_labels))
            raise ProfileError(
                f"thème inconnu « {', '.join(unknown)} » ; valeurs permises : {allowed}"
            )
        return commune

    def match(
        self,
        profile: Profile,
        on: dt.date,
        language: Language = "fr",
        limit: int = 20,
    ) -> MatchResult:
        """Rank eligible schemes, near misses and covering counters for a profile on a date."""
        commune = self.check(profile)
        eligible: list[tuple[tuple[object, ...], _Prepared, Level, list[Verdict]]] = []
        near: list[tuple[tuple[object, ...], _Prepared, Level, list[Verdict]]] = []
        for scheme_id, level in self._candidates(self._scheme_index, commune):
            prepared = self._schemes.get(scheme_id)
            if prepared is None:
                continue
            verdicts = self._assess(prepared, profile, on)
            misses = verdicts.count(Verdict.NOT_MET)
            if misses > 1:
                continue
            key = self._rank_key(prepared, level, verdicts, profile, on)
            (eligible if misses == 0 else near).append((key, prepared, level, verdicts))
        eligible.sort(key=lambda item: item[0])
        near.sort(key=lambda item: item[0])
        schemes = tuple(
            self._explain(p, level, v, profile, commune, on, language)
            for _, p, level, v in eligible[:limit]
        )
        near_misses = tuple(
            self._explain(p, level, v, profile, commune, on, language)
            for _, p, level, v in near[:limit]
        )
        counters = self._match_counters(profile, commune, language, limit)
        notice = None
        if not schemes:
            notice = self._text(self.vocabulary.phrases.nothing_at_all, language)
        elif all(m.level == Level.NATIONAL for m in schemes):
            notice = self._text(self.vocabulary.phrases.nothing_local, language)
        return MatchResult(commune, schemes, near_misses, counters, notice)

    # -- schemes ----------------------------------------------------------------------------

    def _candidates(
        self, index: dict[tuple[Level, str], list[str]], commune: Commune
    ) -> list[tuple[str, Level]]:
        """Record ids whose territory includes the commune, each with its narrowest level."""
        found: dict[str, Level] = {}
        for level, code in (
            (Level.COMMUNE, commune.insee),
            (Level.COMMUNE, commune.municipality),
            (Level.EPCI, commune.epci),
            (Level.DEPARTMENT, commune.department),
            (Level.REGION, commune.region),
            (Level.NATIONAL, ""),
        ):
            for record_id in index.get((level, code), ()):
                found.setdefault(record_id, level)
        return list(found.items())

    @staticmethod
    def _assess(prepared: _Prepared, profile: Profile, on: dt.date) -> list[Verdict]:
        """Cheap verdicts for every criterion but territory (already met by construction)."""
        scheme = prepared.scheme
        if profile.carrier not in prepared.carriers:
            carrier = Verdict.NOT_MET
        elif profile.carrier in scheme.carrier_conditions:
            carrier = Verdict.UNKNOWN
        else:
            carrier = Verdict.MET
        stage = Verdict.MET if profile.stage in prepared.stages else Verdict.NOT_MET
        if not prepared.themes:
            theme = Verdict.MET
        elif not profile.themes:
            theme = Verdict.UNKNOWN
        else:
            theme = Verdict.MET if prepared.themes.intersection(profile.themes) else Verdict.NOT_MET
        if not profile.needs:
            need = Verdict.UNKNOWN
        else:
            need = Verdict.MET if prepared.needs.intersection(profile.needs) else Verdict.NOT_MET
        amount = _amount_verdict(prepared, profile.amount)
        calendar = Verdict.MET if _open_session(scheme, on) is not None else Verdict.UNKNOWN
        if scheme.calendar.mode == "permanent":
            calendar = Verdict.MET
        return [Verdict.MET, carrier, stage, theme, need, amount, calendar]

    def _rank_key(
        self,
        prepared: _Prepared,
        level: Level,
        verdicts: list[Verdict],
        profile: Profile,
        on: dt.date,
    ) -> tuple[object, ...]:
        """Narrowest territory, then theme fit, then nearest deadline, then certainty."""
        if prepared.themes and prepared.themes.intersection(profile.themes):
            theme_fit = 0
        elif not prepared.themes:
            theme_fit = 1
        else:
            theme_fit = 2
        deadline = _deadline(prepared.scheme, on) or dt.date.max
        return (
            LEVEL_ORDER[level],
            theme_fit,
            deadline,
            verdicts.count(Verdict.UNKNOWN),
            prepared.scheme.name,
        )

    def _explain(
        self,
        prepared: _Prepared,
        level: Level,
        verdicts: list[Verdict],
        profile: Profile,
        commune: Commune,
        on: dt.date,
        language: Language,
    ) -> SchemeMatch:
        """Turn verdicts into sentences, a one-line reason, a remedy and things to check."""
        scheme = prepared.scheme
        p = self.vocabulary.phrases
        t = self._text
        details = [
            self._territory_detail(scheme, level, commune, language),
            self._carrier_detail(prepared, profile, verdicts[1], language),
            t(
                p.stage_met,
                language,
                stage=self._label(self.vocabulary.stages[profile.stage], language),
            )
            if verdicts[2] == Verdict.MET
            else t(p.stage_not_met, language, allowed=self._join(self._stages(scheme), language)),
            self._theme_detail(prepared, profile, verdicts[3], language),
            self._need_detail(prepared, profile, verdicts[4], language),
            self._amount_detail(prepared, profile.amount, verdicts[5], language),
            self._calendar_detail(scheme, on, language),
        ]
        criteria = tuple(
            Assessment(criterion, verdict, detail)
            for criterion, verdict, detail in zip(Criterion, verdicts, details, strict=True)
        )
        weights = {Verdict.MET: 1.0, Verdict.UNKNOWN: 0.5, Verdict.NOT_MET: 0.0}
        score = round(sum(weights[v] for v in verdicts) / len(verdicts), 2)
        remedy = None
        missed = [a for a in criteria if a.verdict == Verdict.NOT_MET]
        if missed:
            remedy = self._remedy(prepared, profile, missed[0].criterion, language)
        useful = [
            a.detail
            for a in criteria
            if a.verdict == Verdict.MET
            and a.criterion in (Criterion.TERRITORY, Criterion.THEME, Criterion.STAGE)
        ]
        reason = remedy if remedy else " · ".join(useful)
        return SchemeMatch(
            scheme=scheme,
            score=score,
            criteria=criteria,
            reason=reason,
            remedy=remedy,
            checks=self._checks(scheme, language),
            deadline=_deadline(scheme, on),
            level=level,
        )

    def _territory_detail(
        self, scheme: Scheme, level: Level, commune: Commune, language: Language
    ) -> str:
        p = self.vocabulary.phrases
        geo = self.knowledge.geo
        if level == Level.NATIONAL:
            return self._text(p.territory_national, language)
        if level == Level.REGION:
            region = geo.regions.get(commune.region)
            return self._text(p.territory_region, language, place=region.name if region else "")
        if level == Level.DEPARTMENT:
            department = geo.departments.get(commune.department)
            place = department.name if department else commune.department
            return self._text(p.territory_department, language, place=place)
        if level == Level.EPCI:
            epci = geo.epcis.get(commune.epci)
            return self._text(p.territory_epci, language, place=epci.name if epci else "")
        return self._text(p.territory_commune, language, place=commune.name)

    def _carrier_detail(
        self, prepared: _Prepared, profile: Profile, verdict: Verdict, language: Language
    ) -> str:
        p = self.vocabulary.phrases
        carrier = self._label(self.vocabulary.carriers[profile.carrier], language)
        if verdict == Verdict.NOT_MET:
            allowed = [
                self._label(self.vocabulary.carriers[c], language) for c in prepared.scheme.carriers
            ]
            return self._text(p.carrier_not_met, language, allowed=self._join(allowed, language))
        condition = prepared.scheme.carrier_conditions.get(profile.carrier)
        if condition is not None:
            return self._text(
                p.carrier_conditional,
                language,
                carrier=carrier,
                condition=self._label(condition, language),
            )
        return self._text(p.carrier_met, language, carrier=carrier)

    def _theme_detail(
        self, prepared: _Prepared, profile: Profile, verdict: Verdict, language: Language
    ) -> str:
        p = self.vocabulary.phrases
        if not prepared.themes:
            return self._text(p.theme_any, language)
        if verdict == Verdict.UNKNOWN:
            return self._text(p.theme_unknown, language)
        if verdict == Verdict.MET:
            shared = [s for s in prepared.scheme.themes if s in profile.themes]
            return self._text(p.theme_met, language, themes=self._themes(shared, language))
        return self._text(
            p.theme_not_met, language, allowed=self._themes(prepared.scheme.themes, language)
        )

    def _need_detail(
        self, prepared: _Prepared, profile: Profile, verdict: Verdict, language: Language
    ) -> str:
        p = self.vocabulary.phrases
        offered = self._join(
            [self._label(self.vocabulary.needs[n], language) for n in prepared.scheme.needs],
            language,
            last=False,
        )
        if verdict == Verdict.MET:
            shared = [
                self._label(self.vocabulary.needs[n], language)
                for n in prepared.scheme.needs
                if n in profile.needs
            ]
            return self._text(p.need_met, language, needs=self._join(shared, language, last=False))
        template = p.need_unknown if verdict == Verdict.UNKNOWN else p.need_not_met
        return self._text(template, language, offered=offered)

    def _amount_detail(
        self, prepared: _Prepared, amount: int | None, verdict: Verdict, language: Language
    ) -> str:
        p = self.vocabulary.phrases
        published = prepared.scheme.amount
        if not prepared.gives_money:
            return self._text(p.amount_not_applicable, language)
        if published is None or (published.min is None and published.max is None):
            return self._text(p.amount_unpublished, language)
        bounds = self._range(published.min, published.max, language)
        if amount is None:
            return self._text(p.amount_unknown, language, range=bounds)
        asked = format_euros(amount, language)
        if verdict == Verdict.MET:
            return self._text(p.amount_within, language, amount=asked, range=bounds)
        if published.max is not None and amount > published.max:
            maximum = format_euros(published.max, language)
            return self._text(p.amount_above, language, amount=asked, max=maximum)
        minimum = format_euros(published.min or 0, language)
        return self._text(p.amount_below, language, amount=asked, min=minimum)

    def _calendar_detail(self, scheme: Scheme, on: dt.date, language: Language) -> str:
        p = self.vocabulary.phrases
        if scheme.calendar.mode == "permanent":
            return self._text(p.calendar_permanent, language)
        session = _open_session(scheme, on)
        if session is not None:
            if session.closes is None:
                return self._text(p.calendar_open_no_end, language)
            return self._text(p.calendar_open, language, date=self._date(session.closes, language))
        upcoming = _next_session(scheme, on)
        if upcoming is not None and upcoming.opens is not None:
            return self._text(p.calendar_next, language, date=self._date(upcoming.opens, language))
        expected = scheme.calendar.next_expected
        if expected is not None and expected.label:
            return self._text(p.calendar_next_undated, language, label=expected.label)
        return self._text(p.calendar_unannounced, language)

    def _remedy(
        self, prepared: _Prepared, profile: Profile, criterion: Criterion, language: Language
    ) -> str:
        p = self.vocabulary.phrases
        scheme = prepared.scheme
        if criterion == Criterion.CARRIER:
            suggestion = next(c for c in CARRIER_SUGGESTIONS if c in prepared.carriers)
            label = self._label(self.vocabulary.carriers[suggestion], language)
            return self._text(p.remedy_carrier, language, suggestion=label[:1].upper() + label[1:])
        if criterion == Criterion.STAGE:
            return self._text(
                p.remedy_stage, language, allowed=self._join(self._stages(scheme), language)
            )
        if criterion == Criterion.THEME:
            return self._text(
                p.remedy_theme, language, allowed=self._themes(scheme.themes, language)
            )
        if criterion == Criterion.NEED:
            offered = [self._label(self.vocabulary.needs[n], language) for n in scheme.needs]
            return self._text(
                p.remedy_need, language, offered=self._join(offered, language, last=False)
            )
        if criterion == Criterion.AMOUNT and scheme.amount is not None:
            if scheme.amount.max is not None and (profile.amount or 0) > scheme.amount.max:
                return self._text(
                    p.remedy_amount_above, language, max=format_euros(scheme.amount.max, language)
                )
            return self._text(
                p.remedy_amount_below, language, min=format_euros(scheme.amount.min or 0, language)
            )
        return self._text(p.remedy_calendar, language)

    def _checks(self, scheme: Scheme, language: Language) -> tuple[str, ...]:
        """What the citizen should verify before applying."""
        p = self.vocabulary.phrases
        r = scheme.requirements
        checks: list[str] = []
        if r.prior_workshop:
            checks.append(self._text(p.requirement_prior_workshop, language))
        if r.sponsor:
            checks.append(self._text(p.requirement_sponsor, language))
        if r.seat_in_territory:
            checks.append(self._text(p.requirement_seat_in_territory, language))
        if r.structure_min_age_years:
            checks.append(
                self._text(
                    p.requirement_structure_min_age, language, years=r.structure_min_age_years
                )
            )
        if r.min_employees:
            checks.append(self._text(p.requirement_min_employees, language, count=r.min_employees))
        if r.esus_approval:
            checks.append(self._text(p.requirement_esus, language))
        if r.cofunding:
            checks.append(self._text(p.requirement_cofunding, language))
        checks.extend(self._label(c, language) for c in scheme.conditions)
        if scheme.verify is not None:
            checks.append(self._label(scheme.verify, language))
        return tuple(checks)

    # -- counters ---------------------------------------------------------------------------

    def _match_counters(
        self, profile: Profile, commune: Commune, language: Language, limit: int
    ) -> tuple[CounterMatch, ...]:
        found = dict(self._candidates(self._counter_index, commune))
        for counter in self._radius_counters:
            km = self._counter_distance(counter, commune)
            radius = counter.coverage.radius_km or 0
            if (
                km is not None
                and km <= radius
                and LEVEL_ORDER[Level.RADIUS] < LEVEL_ORDER[found.get(counter.id, Level.NATIONAL)]
            ):
                found[counter.id] = Level.RADIUS
        fitting = [
            (self._counters[cid], level)
            for cid, level in found.items()
            if _counter_fits(self._counters[cid], profile)
        ]
        if not fitting:  # never leave a citizen without someone to talk to
            fitting = [
                (self._counters[cid], Level.NATIONAL)
                for cid in self._counter_index.get((Level.NATIONAL, ""), ())
            ]
        measured = [(c, level, self._counter_distance(c, commune)) for c, level in fitting]
        measured.sort(
            key=lambda item: (
                LEVEL_ORDER[item[1]],
                item[2] if item[2] is not None else float("inf"),
                item[0].name,
                item[0].id,
            )
        )
        return tuple(
            self._explain_counter(counter, level, km, profile, language)
            for counter, level, km in measured[:limit]
        )

    def _counter_distance(self, counter: Counter, commune: Commune) -> float | None:
        if commune.lat is None or commune.lon is None:
            return None
        lat, lon = counter.latitude, counter.longitude
        if lat is None or lon is None:
            seat = self.knowledge.geo.communes.get(counter.commune)
            if seat is None or seat.lat is None or seat.lon is None:
                return None
            lat, lon = seat.lat, seat.lon
        return round(distance_km(commune.lat, commune.lon, lat, lon), 1)

    def _explain_counter(
        self,
        counter: Counter,
        level: Level,
        km: float | None,
        profile: Profile,
        language: Language,
    ) -> CounterMatch:
        p = self.vocabulary.phrases
        reasons = [
            self._text(
                p.counter_level,
                language,
                level=self._label(self.vocabulary.levels[level], language),
            )
        ]
        if km is not None and counter.location_precision == "approximate":
            km = None  # a distance to a placeholder seat would mislead
        if km is not None and km < 1:  # same commune: « 0,0 km » reads like a glitch
            reasons.append(self._text(p.counter_nearby, language))
        elif km is not None:
            shown = (
                f"{km:.0f}"
                if km >= 10
                else f"{km:.1f}".replace(".", "," if language == "fr" else ".")
            )
            reasons.append(self._text(p.counter_distance, language, km=shown))
        shared = [s for s in counter.themes if s in profile.themes]
        if shared:
            reasons.append(
                self._text(p.counter_themes, language, themes=self._themes(shared, language))
            )
        if counter.location_precision == "approximate":
            reasons.append(self._text(p.counter_location_approximate, language))
        return CounterMatch(counter, level, km, tuple(reasons))

    # -- wording ----------------------------------------------------------------------------

    @staticmethod
    def _label(text: Text, language: Language) -> str:
        return text.fr if language == "fr" else text.en

    def _text(self, template: Text, language: Language, **values: object) -> str:
        return self._label(template, language).format(**values)

    def _join(self, items: Sequence[str], language: Language, last: bool = True) -> str:
        p = self.vocabulary.phrases
        separator = self._label(p.list_separator, language)
        if len(items) < 2 or not last:
            return separator.join(items)
        return separator.join(items[:-1]) + self._label(p.list_last_separator, language) + items[-1]

    def _stages(self, scheme: Scheme) -> list[str]:
        return [self._label(self.vocabulary.stages[s], "fr") for s in scheme.stages]

    def _themes(self, slugs: Iterable[str], language: Language) -> str:
        labels = [
            self._label(self._theme_labels[s], language) for s in slugs if s in self._theme_labels
        ]
        return self._join(labels, language, last=False)

    def _range(self, low: int | None, high: int | None, language: Language) -> str:
        if low is not None and high is not None:
            return f"{format_euros(low, language)} – {format_euros(high, language)}"
        if high is not None:
            return ("jusqu'à " if language == "fr" else "up to ") + format_euros(high, language)
        return ("à partir de " if language == "fr" else "from ") + format_euros(low or 0, language)

    def _date(self, day: dt.date, language: Language) -> str:
        month = self._label(self.vocabulary.months[day.month - 1], language)
        if language == "fr":
            return f"{'1er' if day.day == 1 else day.day} {month} {day.year}"
        return f"{day.day} {month} {day.year}"


def format_euros(amount: int, language: Language = "fr") -> str:
    """Format an amount the French way (15 000 €) or the English way (€15,000)."""
    if language == "fr":
        return f"{amount:,}".replace(",", "\u202f") + "\u00a0€"
    return f"€{amount:,}"


def _amount_verdict(prepared: _Prepared, amount: int | None) -> Verdict:
    published = prepared.scheme.amount
    if not prepared.gives_money:
        return Verdict.MET
    if amount is None or published is None or (published.min is None and published.max is None):
        return Verdict.UNKNOWN
    if published.max is not None and amount > published.max:
        return Verdict.NOT_MET
    if published.min is not None and amount < published.min:
        return Verdict.NOT_MET
    return Verdict.MET


def _open_session(scheme: Scheme, on: dt.date) -> Session | None:
    if scheme.calendar.mode != "periodic":
        return None
    for session in scheme.calendar.sessions:
        if (session.opens is None or session.opens <= on) and (
            session.closes is not None and on <= session.closes
        ):
            return session
    return None


def _next_session(scheme: Scheme, on: dt.date) -> Session | None:
    upcoming = [
        s
        for s in (*scheme.calendar.sessions, scheme.calendar.next_expected)
        if s is not None and s.opens is not None and s.opens > on
    ]
    return min(upcoming, key=lambda s: s.opens or dt.date.max, default=None)


def _deadline(scheme: Scheme, on: dt.date) -> dt.date | None:
    """The next date that matters: the closing of an open session, else the next opening."""
    if scheme.calendar.mode == "permanent":
        return None
    session = _open_session(scheme, on)
    if session is not None:
        return session.closes
    upcoming = _next_session(scheme, on)
    return None if upcoming is None else upcoming.closes or upcoming.opens


def _counter_fits(counter: Counter, profile: Profile) -> bool:
    """A counter that states stages, carriers or themes only takes projects that fit them."""
    if counter.stages and profile.stage not in counter.stages:
        return False
    if counter.carriers and profile.carrier not in counter.carriers:
        return False
    return not (counter.themes and profile.themes and not set(counter.themes) & set(profile.themes))
