"""« Détails » asked aside: by a card's button or typed (« détails 2 »), from a fresh match."""

from __future__ import annotations

import datetime as dt
import re

from rapidfuzz import fuzz

from bot.core.catalog import Catalog
from bot.core.conversation import Reply
from bot.core.geo import fold
from bot.core.matching import Profile, snapshot
from bot.core.matching.snapshot import SchemeView
from bot.core.models import Language
from bot.core.qualification import messages

MIN_QUERY = 4  # letters of a name typed after « détails » (« détails budget »)
MIN_SIMILARITY = 90  # a typed name close enough to one scheme's name, and to one only


class Details:
    """Finds which scheme a « Détails » request is about and writes its details."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        vocabulary = catalog.knowledge.vocabulary
        self.words = vocabulary.results
        keywords = "|".join(re.escape(fold(k)) for k in self.words.details_keywords)
        self._typed = re.compile(rf"^(?:{keywords})s?\s+(?:du\s+|of\s+)?(?:n\W*\s*)?(.+)$")

    def typed(self, text: str) -> str | None:
        """What follows « détails » in a typed text (« 2 », « budget citoyen »), or None."""
        found = self._typed.match(fold(text).strip())
        return found.group(1).strip() if found else None

    def answer(
        self, request: str, profile: Profile | None, today: dt.date, language: Language
    ) -> list[Reply] | None:
        """The details of the scheme `request` names (button data or typed words).

        None when a typed request names nothing shown: the text is then an ordinary answer.
        """
        typed = not request.startswith((messages.DETAILS_BY_ID, messages.DETAILS_BY_NUMBER))
        if profile is None:
            return None if typed else [Reply(self.words.details_gone.get(language))]
        matcher = self.catalog.matcher
        result = matcher.match(profile, today, language, limit=messages.MAX_SCHEMES)
        communes = self.catalog.knowledge.geo.communes
        shown = messages.shown(snapshot(result, language, communes))
        number = self._find(request, shown)
        if number is None:
            return None if typed else [Reply(self.words.details_gone.get(language))]
        return [messages.details(shown[number - 1], number, self.words, language)]

    @staticmethod
    def _find(request: str, shown: list[SchemeView]) -> int | None:
        """The card number a request is about, if it is one of the schemes shown."""
        kind, rest = request[:2], request[2:]
        if kind == messages.DETAILS_BY_ID:
            return next((i for i, s in enumerate(shown, 1) if s.id == rest), None)
        query = rest if kind == messages.DETAILS_BY_NUMBER else request
        if query.isdigit():
            number = int(query)
            return number if 1 <= number <= len(shown) else None
        query = fold(query)
        if len(query) < MIN_QUERY:
            return None
        scores = [fuzz.partial_ratio(query, fold(s.name)) for s in shown]
        best = max(scores, default=0)
        if best < MIN_SIMILARITY or scores.count(best) > 1:
            return None
        return scores.index(best) + 1
