"""The wording of a match: one sentence per criterion, the reason, the remedy, what to check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from bot.core import applicability
from bot.core.freshness import needs_check
from bot.core.geo import Commune
from bot.core.knowledge import Knowledge
from bot.core.matching.calendar import next_session, open_session
from bot.core.matching.results import Assessment, Criterion, Profile, Verdict
from bot.core.models import (
    Amount,
    Carrier,
    Counter,
    Language,
    Level,
    Need,
    Scheme,
    Stage,
    Text,
)
from bot.core.money import format_euros, guaranteed

STAGES = tuple(Stage)
_PHRASE = {"esus_approval": "esus"}  # requirement → its phrase, where the names differ


class Explainer:
    """Writes the sentences of `vocabulary.yaml` for verdicts the matcher reached."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge
        self.vocabulary = knowledge.vocabulary
        self.phrases = knowledge.vocabulary.phrases
        self._theme_labels = {t.slug: t.label for t in knowledge.themes}

    # -- schemes ----------------------------------------------------------------------------

    def criteria(
        self,
        scheme: Scheme,
        level: Level,
        verdicts: Sequence[Verdict],
        profile: Profile,
        commune: Commune,
        on: dt.date,
        language: Language,
    ) -> tuple[Assessment, ...]:
        """Each criterion's verdict with its sentence, in the order of `Criterion`."""
        unsure = needs_check(scheme, on)  # never verified: its amounts and dates are « à vérifier »
        details = [
            self._territory(level, commune, language),
            self._carrier(scheme, profile, verdicts[1], language),
            self._stage(scheme, profile, verdicts[2], language),
            self._theme(scheme, profile, verdicts[3], language),
            self._need(scheme, profile, verdicts[4], language),
            self._amount(scheme, profile.amount, verdicts[5], language, unsure),
            self._calendar(scheme, on, language, unsure),
        ]
        return tuple(
            Assessment(criterion, verdict, detail)
            for criterion, verdict, detail in zip(Criterion, verdicts, details, strict=True)
        )

    def reason(self, criteria: Sequence[Assessment]) -> str:
        """Why a scheme fits: where it is open, to whom, at which stage, the themes shared."""
        shown = (Criterion.TERRITORY, Criterion.CARRIER, Criterion.STAGE, Criterion.THEME)
        return " · ".join(
            a.detail for a in criteria if a.verdict == Verdict.MET and a.criterion in shown
        )

    def remedy(
        self,
        scheme: Scheme,
        profile: Profile,
        criterion: Criterion,
        path: Carrier | None,
        language: Language,
    ) -> str:
        """What would make a near miss fit, for its one unmet criterion (never the theme)."""
        p = self.phrases
        if criterion == Criterion.CARRIER and path is not None:
            change = self.vocabulary.carrier_paths[profile.carrier][path]
            return p.remedy_carrier.format(language, path=change.get(language))
        if criterion == Criterion.STAGE:
            later = max(STAGES.index(s) for s in scheme.stages) > STAGES.index(profile.stage)
            template = p.remedy_stage_later if later else p.remedy_stage_earlier
            return template.format(language, allowed=self._stages(scheme, language))
        if criterion == Criterion.NEED:
            return p.remedy_need.format(language, offered=self._needs(scheme.needs, language))
        if criterion == Criterion.AMOUNT and scheme.amount is not None:
            return p.remedy_amount_below.format(
                language, min=format_euros(scheme.amount.min or 0, language)
            )
        return p.remedy_calendar.get(language)

    def checks(
        self, scheme: Scheme, carrier: Carrier, region: str, language: Language
    ) -> tuple[str, ...]:
        """What this citizen should verify before applying: only what concerns their carrier.

        Their carrier's condition, a broad call's themes, the requirements and conditions that
        concern them, then what to check on the official page.
        """
        checks: list[str] = []
        condition = scheme.carrier_conditions.get(carrier)
        if condition is not None:
            checks.append(condition.get(language))
        if scheme.themes_scope is not None:  # a broad call: whether the project fits is to check
            checks.append(scheme.themes_scope.get(language))
        for requirement in applicability.requirements(scheme, carrier):
            checks.append(self._requirement(requirement, language))
        checks.extend(
            c.get(language) for c in scheme.conditions if applicability.applies(c, carrier, region)
        )
        if scheme.verify is not None:
            checks.append(scheme.verify.get(language))
        return tuple(checks)

    def _requirement(self, requirement: applicability.Applicable, language: Language) -> str:
        p = self.phrases
        count = requirement.value or 0
        if requirement.name == "structure_min_age_years":
            if count == 1:
                return p.requirement_structure_min_age_one.get(language)
            return p.requirement_structure_min_age.format(language, years=count)
        if requirement.name == "min_employees":
            if count == 1:
                return p.requirement_min_employees_one.get(language)
            return p.requirement_min_employees.format(language, count=count)
        phrase: Text = getattr(p, f"requirement_{_PHRASE.get(requirement.name, requirement.name)}")
        return phrase.get(language)

    def provenance(self, scheme: Scheme, language: Language) -> str:
        """Where the record's facts come from: checked on the official page, or compiled."""
        if scheme.verified is not None:
            day = self.date(scheme.verified.on, language)
            return self.phrases.provenance_verified.format(language, date=day)
        return self.phrases.provenance_compiled.format(
            language, date=self.date(scheme.compiled, language)
        )

    def notice(self, levels: Sequence[Level], language: Language) -> str | None:
        """A word when nothing fits, or when only national schemes do."""
        if not levels:
            return self.phrases.nothing_at_all.get(language)
        if all(level == Level.NATIONAL for level in levels):
            return self.phrases.nothing_local.get(language)
        return None

    # -- counters ---------------------------------------------------------------------------

    def counter_reasons(
        self, counter: Counter, level: Level, km: float | None, profile: Profile, language: Language
    ) -> tuple[str, ...]:
        """Why a counter is shown: the level it covers, its distance, its specialities."""
        p = self.phrases
        where = self.vocabulary.levels[level].get(language)
        reasons = [p.counter_level.format(language, level=where)]
        if km is not None and km < 1:  # same commune: « 0,0 km » reads like a glitch
            reasons.append(p.counter_nearby.get(language))
        elif km is not None:
            shown = (
                f"{km:.0f}"
                if km >= 10
                else f"{km:.1f}".replace(".", "," if language == "fr" else ".")
            )
            reasons.append(p.counter_distance.format(language, km=shown))
        shared = [s for s in counter.themes if s in profile.themes]
        if shared:
            reasons.append(p.counter_themes.format(language, themes=self._themes(shared, language)))
        if counter.location_precision == "approximate":
            reasons.append(p.counter_location_approximate.get(language))
        return tuple(reasons)

    # -- one sentence per criterion ---------------------------------------------------------

    def _territory(self, level: Level, commune: Commune, language: Language) -> str:
        p = self.phrases
        geo = self.knowledge.geo
        if level == Level.NATIONAL:
            return p.territory_national.get(language)
        if level == Level.REGION:
            region = geo.regions.get(commune.region)
            return p.territory_region.format(language, place=region.name if region else "")
        if level == Level.DEPARTMENT:
            department = geo.departments.get(commune.department)
            place = department.name if department else commune.department
            return p.territory_department.format(language, place=place)
        if level == Level.EPCI:
            epci = geo.epcis.get(commune.epci)
            return p.territory_epci.format(language, place=epci.name if epci else "")
        return p.territory_commune.format(language, place=commune.name)

    def _carrier(
        self, scheme: Scheme, profile: Profile, verdict: Verdict, language: Language
    ) -> str:
        p = self.phrases
        carriers = self.vocabulary.carriers
        if verdict == Verdict.NOT_MET:
            allowed = [carriers[c].get(language) for c in scheme.carriers]
            return p.carrier_not_met.format(language, allowed=self._join(allowed, language))
        carrier = carriers[profile.carrier].get(language)
        condition = scheme.carrier_conditions.get(profile.carrier)
        if condition is not None:
            return p.carrier_conditional.format(
                language, carrier=carrier, condition=condition.get(language)
            )
        return p.carrier_met.format(language, carrier=carrier)

    def _stage(self, scheme: Scheme, profile: Profile, verdict: Verdict, language: Language) -> str:
        p = self.phrases
        if verdict == Verdict.MET:
            label = self.vocabulary.stages[profile.stage].get(language)
            return p.stage_met.format(language, stage=p.quoted.format(language, label=label))
        return p.stage_not_met.format(language, allowed=self._stages(scheme, language))

    def _theme(self, scheme: Scheme, profile: Profile, verdict: Verdict, language: Language) -> str:
        p = self.phrases
        if scheme.themes_scope is not None:  # a broad call, in its own words (no theme list)
            return scheme.themes_scope.get(language)
        if not scheme.themes:
            return p.theme_any.get(language)
        if verdict == Verdict.UNKNOWN:
            return p.theme_unknown.get(language)
        if verdict == Verdict.MET:
            shared = [s for s in scheme.themes if s in profile.themes]
            return p.theme_met.format(language, themes=self._themes(shared, language))
        return p.theme_not_met.format(language, allowed=self._themes(scheme.themes, language))

    def _need(self, scheme: Scheme, profile: Profile, verdict: Verdict, language: Language) -> str:
        p = self.phrases
        if not scheme.confirmed and verdict != Verdict.NOT_MET:
            return p.need_unconfirmed.format(language, offered=self._needs(scheme.needs, language))
        if verdict == Verdict.MET:
            shared = [n for n in scheme.needs if n in profile.needs]
            return p.need_met.format(language, needs=self._needs(shared, language))
        template = p.need_unknown if verdict == Verdict.UNKNOWN else p.need_not_met  # or partial
        return template.format(language, offered=self._needs(scheme.needs, language))

    def _amount(
        self,
        scheme: Scheme,
        amount: int | None,
        verdict: Verdict,
        language: Language,
        unsure: bool,
    ) -> str:
        p = self.phrases
        published = scheme.amount
        if not gives_money(scheme):
            return p.amount_not_applicable.get(language)
        if published is None or (published.min is None and published.max is None):
            return p.amount_unpublished.get(language)
        if published.covers_percent is not None:
            sentence = self._guarantee(published, amount, verdict, language)
        else:
            sentence = self._published(published, amount, verdict, language)
        return p.unverified_fact.format(language, fact=sentence) if unsure else sentence

    def _published(
        self, published: Amount, amount: int | None, verdict: Verdict, language: Language
    ) -> str:
        """A grant's or a loan's published range, compared with the citizen's need."""
        p = self.phrases
        bounds = self._range(published.min, published.max, language)
        if amount is None:
            return p.amount_unknown.format(language, range=bounds)
        asked = format_euros(amount, language)
        if verdict == Verdict.MET:
            return p.amount_within.format(language, amount=asked, range=bounds)
        if published.max is not None and amount > published.max:
            return p.amount_partial.format(
                language, amount=asked, max=format_euros(published.max, language)
            )
        return p.amount_below.format(
            language, amount=asked, min=format_euros(published.min or 0, language)
        )

    def _guarantee(
        self, published: Amount, amount: int | None, verdict: Verdict, language: Language
    ) -> str:
        """A guarantee pays nothing: what share of a bank loan of the need it would cover."""
        p = self.phrases
        percent = published.covers_percent or 0
        ceiling = format_euros(published.max, language) if published.max is not None else "—"
        if amount is None:
            return p.amount_guarantee_unknown.format(language, percent=percent, max=ceiling)
        loan = format_euros(amount, language)
        if verdict == Verdict.PARTIAL:  # what it would cover passes the ceiling guaranteed
            return p.amount_guarantee_capped.format(
                language, percent=percent, max=ceiling, amount=loan
            )
        return p.amount_guarantee.format(
            language,
            percent=percent,
            max=ceiling,
            covered=format_euros(guaranteed(amount, percent), language),
            amount=loan,
        )

    def _calendar(self, scheme: Scheme, on: dt.date, language: Language, unsure: bool) -> str:
        p = self.phrases
        calendar = scheme.calendar
        session = open_session(scheme, on)
        if not scheme.confirmed:
            return p.calendar_scheme_unconfirmed.get(language)
        if calendar.unconfirmed and session is None:
            return p.calendar_unconfirmed.get(language)
        if calendar.mode == "permanent":
            fact = p.calendar_permanent.get(language)
        elif session is not None and session.closes is None:
            fact = p.calendar_open_no_end.get(language)
        elif session is not None and session.closes is not None:
            fact = p.calendar_open.format(language, date=self.date(session.closes, language))
        else:
            upcoming = next_session(scheme, on)
            if upcoming is not None and upcoming.opens is not None:  # already « à vérifier »
                return p.calendar_next.format(language, date=self.date(upcoming.opens, language))
            expected = calendar.next_expected
            if expected is None or expected.label is None:
                return p.calendar_unannounced.get(language)
            # an expectation in staff's words, who say themselves what is to be checked
            return p.calendar_next_undated.format(language, label=expected.label.get(language))
        return p.unverified_fact.format(language, fact=fact) if unsure else fact

    # -- lists, amounts, dates --------------------------------------------------------------

    def _join(self, items: Sequence[str], language: Language, last: bool = True) -> str:
        separator = self.phrases.list_separator.get(language)
        if len(items) < 2 or not last:
            return separator.join(items)
        final = self.phrases.list_last_separator.get(language)
        return separator.join(items[:-1]) + final + items[-1]

    def _stages(self, scheme: Scheme, language: Language) -> str:
        stages = self.vocabulary.stages
        quoted = self.phrases.quoted
        labels = [quoted.format(language, label=stages[s].get(language)) for s in scheme.stages]
        return self._join(labels, language)

    def _needs(self, needs: Iterable[Need], language: Language) -> str:
        labels = self.vocabulary.needs
        return self._join([labels[n].get(language) for n in needs], language, last=False)

    def _themes(self, slugs: Iterable[str], language: Language) -> str:
        labels = [self._theme_labels[s].get(language) for s in slugs if s in self._theme_labels]
        return self._join(labels, language, last=False)

    def _range(self, low: int | None, high: int | None, language: Language) -> str:
        p = self.phrases
        if low is not None and high is not None:
            return p.range_between.format(
                language, low=format_euros(low, language), high=format_euros(high, language)
            )
        if high is not None:
            return p.range_up_to.format(language, high=format_euros(high, language))
        return p.range_from.format(language, low=format_euros(low or 0, language))

    def date(self, day: dt.date, language: Language) -> str:
        """A date the way people write it: « 1er mars 2027 », "1 March 2027"."""
        month = self.vocabulary.months[day.month - 1].get(language)
        number = self.phrases.first_of_month.get(language) if day.day == 1 else str(day.day)
        return f"{number} {month} {day.year}"


def gives_money(scheme: Scheme) -> bool:
    """Whether a scheme offers funding (its amount is then relevant)."""
    return Need.FINANCEMENT in scheme.needs
