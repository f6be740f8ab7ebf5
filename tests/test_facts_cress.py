"""The regional chambers of the ESS (CRESS): each citizen is sent to their own region's chamber.

Facts checked on 2026-12-03 against stored copies of the chambers' pages (notes: research/cress.md).
Overseas citizens used to get only Paris-based national networks; four overseas CRESS now exist as
records (Guadeloupe, Guyane, La Réunion, Mayotte; no recent source was found for Martinique). The
PACA record named one source twice, and several metropolitan records pointed to ESS France while
the chamber's own site is known.
"""

from __future__ import annotations

from collections import Counter as Tally
from urllib.parse import urlparse

import pytest

from bot.core.catalog import Catalog
from bot.core.matching import MatchResult
from bot.core.models import CounterKind, Level
from tests.knowledge_probe import AUDIT as TODAY
from tests.knowledge_probe import counter as _counter
from tests.knowledge_probe import match as _match

AGGREGATORS = (
    "wikipedia.org",
    "vvikipidea.org",
    "fdocuments",
    "studylibfr",
    "docplayer",
    "pdfslide",
    "doczz",
    "issuu.com",
    "yumpu.com",
    "123dok",
    "readkong",
    "cupdf",
)


def _individual_in(catalog: Catalog, commune: str) -> MatchResult:
    return _match(
        catalog,
        commune=commune,
        carrier="habitant",
        stage="idee",
        themes=["solidarites"],
        needs=["accompagnement"],
    )


@pytest.mark.parametrize(
    ("commune", "cress_id", "region"),
    [
        ("97411", "cress-la-reunion", "04"),  # Saint-Denis (La Réunion)
        ("97120", "cress-guadeloupe", "01"),  # Pointe-à-Pitre
        ("97302", "cress-guyane", "03"),  # Cayenne
        ("97611", "cress-mayotte", "06"),  # Mamoudzou
    ],
)
def test_an_overseas_individual_gets_the_cress_of_their_region_first(
    catalog: Catalog, commune: str, cress_id: str, region: str
) -> None:
    result = _individual_in(catalog, commune)
    first = result.counters[0]
    assert first.counter.id == cress_id
    assert first.level == Level.REGION
    assert first.counter.kind == CounterKind.CRESS
    assert first.counter.coverage.regions == (region,)


def test_fort_de_france_is_never_sent_to_another_region_s_cress(catalog: Catalog) -> None:
    result = _individual_in(catalog, "97209")
    assert result.counters, "someone to talk to"
    for match in result.counters:
        if match.counter.kind == CounterKind.CRESS:
            assert "02" in match.counter.coverage.regions


def test_a_marseille_association_gets_the_paca_cress_at_regional_level(catalog: Catalog) -> None:
    result = _match(
        catalog,
        commune="13055",
        carrier="association",
        stage="emergence",
        themes=["economie-circulaire"],
        needs=["accompagnement"],
    )
    cress = [m for m in result.counters if m.counter.kind == CounterKind.CRESS]
    assert [m.counter.id for m in cress] == ["cress-provence-alpes-cote-d-azur"]
    assert cress[0].level == Level.REGION


def test_the_paca_record_lists_no_source_twice(catalog: Catalog) -> None:
    sources = _counter(catalog, "cress-provence-alpes-cote-d-azur").source
    assert len(sources) == len(set(sources))


def test_no_scheme_or_counter_lists_a_source_twice(catalog: Catalog) -> None:
    records = (*catalog.knowledge.schemes, *catalog.knowledge.counters)
    repeated = {
        record.id: [s for s, n in Tally(record.source).items() if n > 1]
        for record in records
        if len(record.source) != len(set(record.source))
    }
    assert repeated == {}


def test_every_cress_url_is_not_a_wikipedia_or_aggregator_address(catalog: Catalog) -> None:
    for counter in catalog.knowledge.counters:
        if counter.kind == CounterKind.CRESS:
            host = urlparse(counter.url).netloc.lower()
            assert not any(name in host for name in AGGREGATORS), counter.id


@pytest.mark.parametrize(
    ("cress_id", "host"),
    [
        ("cress-auvergne-rhone-alpes", "www.cress-aura.org"),
        ("cress-bourgogne-franche-comte", "ess-bfc.org"),
        ("cress-centre-val-de-loire", "www.cresscentre.org"),
        ("cress-ile-de-france", "www.cressidf.org"),
        ("cress-normandie", "www.essnormandie.org"),
        ("cress-provence-alpes-cote-d-azur", "www.cresspaca.org"),
        ("cress-la-reunion", "www.cress-reunion.com"),
        ("cress-mayotte", "cress-mayotte.org"),
    ],
)
def test_a_cress_whose_own_site_is_known_links_to_it(
    catalog: Catalog, cress_id: str, host: str
) -> None:
    assert urlparse(_counter(catalog, cress_id).url).netloc == host


def test_the_reunion_cress_is_verified_on_its_own_site(catalog: Catalog) -> None:
    counter = _counter(catalog, "cress-la-reunion")
    assert counter.verified is not None
    assert urlparse(counter.verified.page).netloc == "www.cress-reunion.com"
    assert counter.verified.on == TODAY


@pytest.mark.parametrize(
    "cress_id", ["cress-guadeloupe", "cress-guyane", "cress-mayotte", "cress-pays-de-la-loire"]
)
def test_a_cress_checked_only_on_third_party_pages_is_not_marked_verified(
    catalog: Catalog, cress_id: str
) -> None:
    assert _counter(catalog, cress_id).verified is None


@pytest.mark.parametrize(
    ("cress_id", "commune"),
    [
        ("cress-la-reunion", "97411"),
        ("cress-guadeloupe", "97105"),
        ("cress-guyane", "97302"),
        ("cress-mayotte", "97611"),
    ],
)
def test_an_overseas_cress_with_no_published_seat_sits_approximately_in_the_chief_town(
    catalog: Catalog, cress_id: str, commune: str
) -> None:
    counter = _counter(catalog, cress_id)
    assert counter.commune == commune
    assert counter.location_precision == "approximate"


def test_no_record_is_invented_for_martinique(catalog: Catalog) -> None:
    ids = {counter.id for counter in catalog.knowledge.counters}
    assert "cress-martinique" not in ids  # no recent source found (see research notes)
