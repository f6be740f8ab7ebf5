"""The geography a `commune` question uses, from the catalog's communes and resolver."""

from __future__ import annotations

from bot.core.catalog import Catalog
from bot.core.geo import Commune
from bot.core.matching.snapshot import commune_label
from bot.core.resolver import Resolution


class CatalogPlaces:
    """Resolve typed or shared places to communes of the built geography table."""

    def __init__(self, catalog: Catalog) -> None:
        self._communes = catalog.knowledge.geo.communes
        self._resolver = catalog.resolver

    def resolve(self, text: str) -> Resolution:
        """The communes a typed answer may mean."""
        return self._resolver.resolve(text)

    def nearest(self, latitude: float, longitude: float) -> Commune | None:
        """The commune at a shared position, if any is close enough."""
        found = self._resolver.nearest(latitude, longitude)
        return None if found is None else found[0]

    def commune(self, code: str) -> Commune | None:
        """The commune with this INSEE code, if any."""
        return self._communes.get(code)

    def label(self, code: str) -> str | None:
        """A commune as people read it, « Arras (62) », from its code."""
        commune = self._communes.get(code)
        return None if commune is None else commune_label(commune)
