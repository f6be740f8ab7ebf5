"""Explainable matching of a project profile to schemes and counters, criterion by criterion."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.applicability import applies
from bot.core.freshness import needs_check
from bot.core.geo import Commune, distance_km
from bot.core.knowledge import Knowledge
from bot.core.matching.calendar import deadline, open_session
from bot.core.matching.explain import Explainer, gives_money
from bot.core.matching.results import (
    CounterMatch,
    MatchResult,
    Profile,
    ProfileError,
    SchemeMatch,
    Verdict,
)
from bot.core.models import Carrier, Counter, Language, Level, Need, Scheme, Stage
from bot.core.money import guaranteed

LEVEL_ORDER = {level: rank for rank, level in enumerate(Level)}
_WEIGHTS = {Verdict.MET: 1.0, Verdict.PARTIAL: 0.75, Verdict.UNKNOWN: 0.5, Verdict.NOT_MET: 0.0}
STAGES = tuple(Stage)

Territorial = Scheme | Counter
_Judged = tuple[tuple[object, ...], "_Prepared", Level, list[Verdict]]


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A scheme with its vocabularies as sets, for cheap assessment."""

    scheme: Scheme
    carriers: frozenset[Carrier]
    stages: frozenset[Stage]
    themes: frozenset[str]
    needs: frozenset[Need]
    gives_money: bool


def _territory_index(records: Iterable[Territorial]) -> dict[tuple[Level, str], list[str]]:
    index: dict[tuple[Level, str], list[str]] = defaultdict(list)
    for record in records:
        territory = record.territory if isinstance(record, Scheme) else record.coverage
        if territory.national:
            index[(Level.NATIONAL, "")].append(record.id)
        for level, codes in (
            (Level.REGION, territory.regions),
            (Level.DEPARTMENT, territory.departments),
            (Level.EPCI, territory.epci),
            (Level.COMMUNE, territory.communes),
        ):
            for code in codes:
                index[(level, code)].append(record.id)
    return index


class Matcher:
    """Match profiles against a loaded knowledge base; build once, call `match` per profile."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge
        self.explainer = Explainer(knowledge)
        self._schemes = {
            s.id: _Prepared(
                s,
                frozenset(s.carriers),
                frozenset(s.stages),
                frozenset(s.themes),
                frozenset(s.needs),
                gives_money(s),
            )
            for s in knowledge.schemes
            if s.calendar.mode != "closed"
        }
        self._counters = {c.id: c for c in knowledge.counters}
        self._scheme_index = _territory_index(knowledge.schemes)
        self._counter_index = _territory_index(knowledge.counters)
        self._radius_counters = [c for c in knowledge.counters if c.coverage.radius_km]
        self._theme_slugs = knowledge.theme_slugs

    # -- public API -------------------------------------------------------------------------

    def check(self, profile: Profile) -> Commune:
        """Return the profile's commune, or raise ProfileError listing what is allowed."""
        commune = self.knowledge.geo.communes.get(profile.commune.upper())
        if commune is None:
            raise ProfileError(
                f"commune inconnue « {profile.commune} » : donnez un code INSEE à 5 caractères"
                " (par exemple 62041 pour Arras)"
            )
        unknown = [t for t in profile.themes if t not in self._theme_slugs]
        if unknown:
            allowed = ", ".join(sorted(self._theme_slugs))
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
        eligible: list[_Judged] = []
        near: list[_Judged] = []
        for scheme_id, level in self._candidates(self._scheme_index, commune):
            prepared = self._schemes.get(scheme_id)
            if prepared is None:
                continue
            verdicts = self._assess(prepared, profile, on)
            misses = 2 if verdicts is None else verdicts.count(Verdict.NOT_MET)
            if verdicts is None or misses > 1:
                continue
            key = self._rank_key(prepared, level, verdicts, profile, on)
            (eligible if misses == 0 else near).append((key, prepared, level, verdicts))
        eligible.sort(key=lambda item: item[0])
        near.sort(key=lambda item: item[0])
        schemes = tuple(
            self._judged(p.scheme, level, v, profile, commune, on, language)
            for _, p, level, v in eligible[:limit]
        )
        near_misses = tuple(
            self._judged(p.scheme, level, v, profile, commune, on, language)
            for _, p, level, v in near[:limit]
        )
        counters = self._match_counters(profile, commune, language, limit, on)
        notice = self.explainer.notice([m.level for m in schemes], language)
        return MatchResult(commune, schemes, near_misses, counters, notice)

    def counters(
        self,
        profile: Profile,
        language: Language = "fr",
        limit: int = 1000,
        on: dt.date | None = None,
    ) -> tuple[CounterMatch, ...]:
        """The counters that can receive this project, in the order the citizen sees them."""
        day = on or dt.date.today()
        return self._match_counters(profile, self.check(profile), language, limit, day)

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

    def _assess(self, prepared: _Prepared, profile: Profile, on: dt.date) -> list[Verdict] | None:
        """Verdicts for every criterion but territory (met by construction); None: excluded.

        Hardness (README, « How results are chosen and shown »): a theme outside the scheme's,
        a stage two steps away or more, a carrier that cannot become an accepted one exclude;
        a carrier that can, an adjacent stage, a need a generalist scheme does not meet and an
        amount under the minimum make a near miss; an amount above the cap, a need a scheme
        made for the project's themes does not meet, an unknown calendar keep it, with a note.
        """
        scheme = prepared.scheme
        if profile.carrier in prepared.carriers:
            known = profile.carrier not in scheme.carrier_conditions
            carrier = Verdict.MET if known else Verdict.UNKNOWN
        elif self.carrier_path(scheme, profile.carrier) is not None:
            carrier = Verdict.NOT_MET
        else:
            return None
        gap = stage_gap(scheme, profile.stage)
        if gap > 1:
            return None
        stage = Verdict.MET if gap == 0 else Verdict.NOT_MET
        themed = bool(prepared.themes.intersection(profile.themes))
        if not prepared.themes:
            theme = Verdict.MET if scheme.themes_scope is None else Verdict.UNKNOWN
        elif not profile.themes:
            theme = Verdict.UNKNOWN
        elif themed:
            theme = Verdict.MET
        else:
            return None
        if not profile.needs:
            need = Verdict.UNKNOWN
        elif prepared.needs.intersection(profile.needs):
            need = Verdict.MET
        else:
            need = Verdict.PARTIAL if themed else Verdict.NOT_MET
        amount = _amount_verdict(prepared, profile.amount)
        calendar = Verdict.MET if open_session(scheme, on) is not None else Verdict.UNKNOWN
        if scheme.calendar.mode == "permanent":
            calendar = Verdict.MET
        if not scheme.confirmed:  # what it would bring, and when, hold only if it still exists
            need = Verdict.UNKNOWN if need == Verdict.MET else need
            calendar = Verdict.UNKNOWN
        return [Verdict.MET, carrier, stage, theme, need, amount, calendar]

    def carrier_path(self, scheme: Scheme, carrier: Carrier) -> Carrier | None:
        """The carrier of `scheme` this one can sensibly become (« en créant une association »)."""
        paths = self.knowledge.vocabulary.carrier_paths.get(carrier, {})
        return next((target for target in paths if target in scheme.carriers), None)

    @staticmethod
    def _rank_key(
        prepared: _Prepared,
        level: Level,
        verdicts: list[Verdict],
        profile: Profile,
        on: dt.date,
    ) -> tuple[object, ...]:
        """Existence, narrowest territory, known calendar, theme fit, nearest deadline, certainty.

        A scheme not confirmed to exist comes after every confirmed one (a door that may not
        exist is never first); among schemes of one territory, one with no next edition known
        comes after those whose calendar is.
        """
        if prepared.themes and prepared.themes.intersection(profile.themes):
            theme_fit = 0
        elif not prepared.themes:
            theme_fit = 1
        else:
            theme_fit = 2
        unsure = doubt(prepared.scheme, on)
        return (
            unsure == EXISTENCE_UNSURE,
            LEVEL_ORDER[level],
            unsure == CALENDAR_UNSURE,
            theme_fit,
            deadline(prepared.scheme, on) or dt.date.max,
            verdicts.count(Verdict.UNKNOWN),
            prepared.scheme.name,
        )

    def _judged(
        self,
        scheme: Scheme,
        level: Level,
        verdicts: list[Verdict],
        profile: Profile,
        commune: Commune,
        on: dt.date,
        language: Language,
    ) -> SchemeMatch:
        """A scheme's verdicts with their sentences, score, reason, remedy and checks."""
        explainer = self.explainer
        criteria = explainer.criteria(scheme, level, verdicts, profile, commune, on, language)
        missed = [a.criterion for a in criteria if a.verdict == Verdict.NOT_MET]
        path = self.carrier_path(scheme, profile.carrier)
        remedy = explainer.remedy(scheme, profile, missed[0], path, language) if missed else None
        return SchemeMatch(
            scheme=scheme,
            score=round(sum(_WEIGHTS[v] for v in verdicts) / len(verdicts), 2),
            criteria=criteria,
            reason=remedy or explainer.reason(criteria),
            remedy=remedy,
            checks=explainer.checks(scheme, profile.carrier, commune.region, language),
            deadline=deadline(scheme, on),
            level=level,
            provenance=explainer.provenance(scheme, language),
        )

    # -- counters ---------------------------------------------------------------------------

    def _match_counters(
        self, profile: Profile, commune: Commune, language: Language, limit: int, on: dt.date
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
            if counter_fits(self._counters[cid], profile)
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
        matches = []
        for counter, level, km in measured[:limit]:
            if km is not None and counter.location_precision == "approximate":
                km = None  # a distance to a placeholder seat would mislead
            reasons = self.explainer.counter_reasons(counter, level, km, profile, language)
            notes = tuple(
                note.get(language)
                for note in counter.regional_notes
                if applies(note, profile.carrier, commune.region)
            )
            if needs_check(counter, on) and counter.location_precision != "approximate":
                # an approximate seat already says its address is to check
                notes += (self.explainer.phrases.counter_unverified.get(language),)
            matches.append(CounterMatch(counter, level, km, reasons, notes))
        return tuple(matches)

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


CALENDAR_UNSURE, EXISTENCE_UNSURE = 1, 2


def doubt(scheme: Scheme, on: dt.date) -> int:
    """0: known to exist, with a known calendar; CALENDAR_UNSURE; EXISTENCE_UNSURE."""
    if not scheme.confirmed:
        return EXISTENCE_UNSURE
    if scheme.calendar.unconfirmed and open_session(scheme, on) is None:
        return CALENDAR_UNSURE
    return 0


def _amount_verdict(prepared: _Prepared, amount: int | None) -> Verdict:
    published = prepared.scheme.amount
    if not prepared.gives_money:
        return Verdict.MET
    if amount is None or published is None or (published.min is None and published.max is None):
        return Verdict.UNKNOWN
    if published.covers_percent is not None:  # a guarantee: part of a loan, never the need
        covered = guaranteed(amount, published.covers_percent)
        return (
            Verdict.PARTIAL
            if published.max is not None and covered > published.max
            else Verdict.MET
        )
    if published.max is not None and amount > published.max:
        return Verdict.PARTIAL  # the scheme pays part of the need: kept
    if published.min is not None and amount < published.min:
        return Verdict.NOT_MET
    return Verdict.MET


def stage_gap(scheme: Scheme, stage: Stage) -> int:
    """How many steps the stage is from the nearest stage the scheme works at (0: one of them)."""
    at = STAGES.index(stage)
    return min(abs(STAGES.index(s) - at) for s in scheme.stages)


def counter_fits(counter: Counter, profile: Profile) -> bool:
    """A counter that states stages, carriers or themes only takes projects that fit them."""
    if counter.stages and profile.stage not in counter.stages:
        return False
    if counter.carriers and profile.carrier not in counter.carriers:
        return False
    return not (counter.themes and profile.themes and not set(counter.themes) & set(profile.themes))
