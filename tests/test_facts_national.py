"""National schemes and networks say what their sources say (facts rechecked on 2026-12-03).

One test per corrected fact: the profile that exposed the error and the verdict now expected,
plus the national scenario (an employer association far from any local record gets the DLA first,
and a narrower counter before the national ones).
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlparse

from bot.core.catalog import Catalog
from bot.core.models import Scheme, Text
from tests.knowledge_probe import AUDIT as TODAY
from tests.knowledge_probe import found as _found
from tests.knowledge_probe import match as _match
from tests.knowledge_probe import scheme as _scheme
from tests.knowledge_probe import sentences as _verdicts


def _texts(scheme: Scheme) -> Iterator[Text]:
    """Every citizen-facing text of a scheme, in both languages."""
    yield scheme.summary
    yield from scheme.carrier_conditions.values()
    yield from scheme.expenses
    yield from scheme.conditions
    for optional in (scheme.themes_scope, scheme.verify, scheme.calendar.note):
        if optional is not None:
            yield optional
    if scheme.amount is not None and scheme.amount.note is not None:
        yield scheme.amount.note
    for session in (*scheme.calendar.sessions, scheme.calendar.next_expected):
        if session is not None and session.label is not None:
            yield session.label


def _host(url: str) -> str:
    return (urlparse(url).hostname or "").removeprefix("www.")


def test_france_active_guarantee_speaks_of_a_share_of_a_bank_loan(catalog: Catalog) -> None:
    result = _match(
        catalog,
        commune="62041",
        carrier="association",
        stage="emergence",
        needs=["financement"],
        amount=8000,
    )
    guarantee = next(m for m in result.schemes if m.scheme.id == "france-active-garantie")
    verdict, detail = _verdicts(guarantee)["amount"]
    assert verdict == "met"
    assert "65" in detail and "%" in detail and "prêt" in detail
    assert "fourchette" not in detail
    amount = guarantee.scheme.amount
    assert amount is not None and (amount.covers_percent, amount.max) == (65, 200000)


def test_territoires_zero_chomeur_runs_to_31_december_2026_and_never_says_june(
    catalog: Catalog,
) -> None:
    scheme = _scheme(catalog, "territoires-zero-chomeur")
    texts = list(_texts(scheme))
    assert not any("juin 2026" in t.fr.lower() or "june 2026" in t.en.lower() for t in texts)
    assert any("31 décembre 2026" in t.fr for t in texts)
    assert any("31 December 2026" in t.en for t in texts)
    assert "Assemblée nationale" in scheme.summary.fr


def test_territoires_zero_chomeur_has_no_known_call_so_its_calendar_is_unknown(
    catalog: Catalog,
) -> None:
    result = _match(
        catalog,
        commune="54395",
        carrier="collectivite",
        stage="idee",
        themes=["insertion-emploi"],
        needs=["accompagnement"],
    )
    verdict, detail = _verdicts(_found(result, "territoires-zero-chomeur"))["calendar"]
    assert verdict == "unknown"
    assert "non confirmée" in detail


def test_energie_partagee_label_has_15_criteria(catalog: Catalog) -> None:
    scheme = _scheme(catalog, "energie-partagee")
    assert "15 critères" in scheme.summary.fr and "15 criteria" in scheme.summary.en
    assert not any("12 critères" in t.fr for t in _texts(scheme))
    assert scheme.verified is not None and _host(scheme.verified.page) == "energie-partagee.org"


def test_bpifrance_loan_is_unconfirmed_ranked_last_and_its_calendar_unknown(
    catalog: Catalog,
) -> None:
    result = _match(
        catalog,
        commune="33063",
        carrier="association",
        stage="developpement",
        needs=["financement"],
        amount=30000,
    )
    ids = [m.scheme.id for m in result.schemes]
    loan = ids.index("bpifrance-pret-ess")
    assert not result.schemes[loan].scheme.confirmed
    confirmed = [i for i, m in enumerate(result.schemes) if m.scheme.confirmed]
    assert confirmed and all(i < loan for i in confirmed)
    assert _verdicts(result.schemes[loan])["calendar"][0] == "unknown"
    scheme = result.schemes[loan].scheme
    assert not scheme.official and scheme.verify is not None and "2015" in scheme.verify.fr


def test_france_active_counter_links_franceactive_org_not_wikipedia(catalog: Catalog) -> None:
    counter = next(c for c in catalog.knowledge.counters if c.id == "france-active")
    assert _host(counter.url) == "franceactive.org"
    assert not any("wikipedia" in s for s in (counter.url, *counter.source))
    assert counter.how_to_reach is not None
    assert "n'est pas reprise" not in counter.how_to_reach.fr


def test_dla_scheme_and_counter_agree_on_stages_after_creation(catalog: Catalog) -> None:
    scheme = _scheme(catalog, "dla")
    counter = next(c for c in catalog.knowledge.counters if c.id == "dla")
    assert set(scheme.stages) == set(counter.stages)
    assert {s.value for s in scheme.stages} == {"experimentation", "developpement", "essaimage"}


def test_a_project_being_created_is_not_offered_the_dla(catalog: Catalog) -> None:
    result = _match(
        catalog,
        commune="23096",
        carrier="association",
        stage="idee",
        needs=["accompagnement"],
    )
    assert "dla" not in [m.scheme.id for m in (*result.schemes, *result.near_misses)]


def test_employer_association_far_from_local_records_gets_the_dla_first(catalog: Catalog) -> None:
    result = _match(
        catalog,
        commune="23096",  # Guéret (Creuse): no départemental record
        carrier="association",
        stage="developpement",
        needs=["accompagnement"],
    )
    assert result.schemes[0].scheme.id == "dla"
    assert _verdicts(result.schemes[0])["stage"][0] == "met"
    counters = [c.counter.id for c in result.counters]
    assert "dla" in counters
    assert result.counters[0].level.value != "national"


def test_national_schemes_link_the_funders_own_pages(catalog: Catalog) -> None:
    hosts = {
        "territoires-zero-chomeur": "tzcld.fr",
        "energie-partagee": "energie-partagee.org",
        "france-active-garantie": "franceactive.org",
        "france-active-pacte-emergence": "franceactive.org",
        "dla": "avise.org",
        "fabrique-a-initiatives": "avise.org",
        "incubateurs-ess": "avise.org",
    }
    for scheme_id, host in hosts.items():
        scheme = _scheme(catalog, scheme_id)
        assert (_host(scheme.url), scheme.official) == (host, True), scheme_id


def test_schemes_without_an_official_page_say_so(catalog: Catalog) -> None:
    for scheme_id in ("bpifrance-pret-ess", "fdva-fonctionnement-innovation", "prets-d-honneur"):
        scheme = _scheme(catalog, scheme_id)
        assert not scheme.official, scheme_id
        assert scheme.verify is not None and "officielle" in scheme.verify.fr, scheme_id


def test_every_record_was_compiled_at_or_after_the_2026_audit(catalog: Catalog) -> None:
    records = (*catalog.knowledge.schemes, *catalog.knowledge.counters)
    assert all(record.compiled >= TODAY for record in records)  # nothing left from before it
