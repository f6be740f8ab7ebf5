"""The qualification conversation's subject: themes, the match, the filing, the markers."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from bot.core.catalog import Catalog
from bot.core.conversation import Context, Event, EventValue, Reply
from bot.core.dialog.schema import Dialog, Location, Node
from bot.core.dialog.state import AnswerValue, Memo, State
from bot.core.dialog.turn import Options, TurnBuilder
from bot.core.effects import FilePreApplication, ForgetData
from bot.core.filing import Contact, Filing, MarkerLevel
from bot.core.matching import MatchSnapshot, Profile, snapshot
from bot.core.models import Carrier, Language, Level, Need, Stage
from bot.core.qualification import messages
from bot.core.qualification.details import Details
from bot.core.qualification.places import CatalogPlaces

PRESELECT_SCORE = 0.5  # a theme backed by at least one keyword is ticked in advance
THEMES, MARKERS_SCALE = "themes", "markers_scale"
ACTIONS = frozenset({"detect_themes", "match", "file", "log_gap", "erase"})
BLOCKS = frozenset({"results", "assessment"})
SNAPSHOT_LIMIT = max(messages.MAX_SCHEMES, messages.MAX_COUNTERS)


class QualificationMemo(Memo):
    """What the qualification keeps between turns."""

    detected: tuple[str, ...] = ()  # themes found in the idea, ticked in advance
    # The match of this turn, shown right away. Not stored: it is most of a state's size, and
    # filing (a later turn) runs the match again, on the knowledge of the day.
    results: MatchSnapshot | None = Field(default=None, exclude=True)
    filed: bool = False
    matched: bool = False  # the results were shown: « détails 2 » typed may ask about them


QualificationState = State[QualificationMemo]


class Qualification:
    """The domain of the qualification dialog: options, actions and blocks it needs."""

    memo = QualificationMemo
    slow_actions = frozenset({"match"})

    def __init__(self, dialog: Dialog, catalog: Catalog) -> None:
        self.dialog = dialog
        self.catalog = catalog
        self.places = CatalogPlaces(catalog)
        self.details = Details(catalog)
        knowledge = catalog.knowledge
        self._theme_labels = {t.slug: t.label for t in knowledge.themes}
        self._scale = knowledge.markers.scale
        if dialog.profile is None:
            raise ValueError("the qualification dialog must declare its `profile` keys")
        self.keys = dialog.profile

    # -- the questions ----------------------------------------------------------------------

    def options(self, source: str, language: Language) -> Options:
        """Themes of the taxonomy, or the levels of the self-assessment scale."""
        if source == THEMES:
            return [(slug, label.get(language)) for slug, label in self._theme_labels.items()]
        return [(str(level), text.get(language)) for level, text in enumerate(self._scale)]

    def preselected(self, node: Node, state: QualificationState) -> tuple[str, ...]:
        """The clear themes of the idea, ticked when the themes question is first shown."""
        return state.memo.detected if node.options_from == THEMES else ()

    def intro(self, node: Node, state: QualificationState, dialog: Dialog) -> str | None:
        """Before the themes question: what was found in the idea."""
        if node.options_from != THEMES:
            return None
        language = state.language
        detected = [self._theme_labels[s].get(language) for s in state.memo.detected]
        if detected:
            return dialog.texts.themes_detected.format(language, themes=", ".join(detected))
        return dialog.texts.themes_none.get(language)

    # -- actions and blocks -----------------------------------------------------------------

    def act(self, action: str, turn: TurnBuilder[QualificationMemo], context: Context) -> None:
        """detect_themes, match, file, log_gap or erase (the end of a conversation unkept)."""
        state = turn.state
        if action == "detect_themes":
            found = self.catalog.themes.detect(str(self._answer(state, self.keys.idea) or ""), 3)
            # Pre-select the clear themes only; weaker ones stay one tap away.
            detected = tuple(t.slug for t in found if t.score >= PRESELECT_SCORE)
            state.memo = state.memo.model_copy(update={"detected": detected})
            state.pending = state.pending.model_copy(update={"selection": None})
        elif action == "match":
            self._match(turn, context)
        elif action == "erase":
            turn.effects.append(ForgetData(keep_requests=True))
        elif action == "file" and not state.memo.filed and not self._refused(state):
            if state.memo.results is None:
                self._match(turn, context, log=False)
            filing = self._filing(turn.state)
            if filing is not None:
                state.memo = state.memo.model_copy(update={"filed": True})
                template = self.dialog.texts.filed.get(state.language)
                turn.effects.append(FilePreApplication(filing, len(turn.replies), template))
        elif action == "log_gap":
            turn.events.append(Event("gap", state.node, self._gap(state)))

    def show(self, block: str, state: QualificationState) -> list[Reply]:
        """The results of the match, or the self-assessment read back."""
        if block == "assessment":
            levels = [(m.marker, m.level) for m in self._assessment(state)]
            knowledge = self.catalog.knowledge
            return messages.assessment(levels, knowledge.markers, self.dialog.texts, state.language)
        words = self.catalog.knowledge.vocabulary.results
        return messages.results(state.memo.results, self.dialog.texts, words, state.language)

    def recognise(self, source: str, text: str) -> tuple[str, ...]:
        """Themes a typed text names by their keywords (« seniors », « potager »)."""
        if source != THEMES:
            return ()
        return tuple(t.slug for t in self.catalog.themes.detect(text, 3) if t.score >= 1.0)

    def aside(
        self, request: str | None, text: str | None, state: QualificationState, context: Context
    ) -> list[Reply] | None:
        """A scheme's « Détails », from its card's button or typed (« détails 2 »).

        The match is not kept in the state: it runs again from the answers (pure, on
        context.today). A typed text counts only once the results were shown, and only when
        it names a scheme shown; otherwise it is an ordinary answer.
        """
        if text is not None:
            if not state.memo.matched:
                return None
            request = self.details.typed(text)
        if request is None:
            return None
        return self.details.answer(request, self.profile(state), context.today, state.language)

    # -- what the answers say ---------------------------------------------------------------

    def profile(self, state: QualificationState) -> Profile | None:
        """The project's profile from the answers, once the main questions are answered."""
        keys = self.keys
        commune = self._answer(state, keys.commune)
        if not isinstance(commune, str) or self.places.commune(commune) is None:
            return None
        try:
            return Profile(
                commune=commune,
                carrier=Carrier(str(self._answer(state, keys.carrier))),
                stage=Stage(str(self._answer(state, keys.stage))),
                themes=tuple(
                    t for t in self._listed(state, keys.themes) if t in self._theme_labels
                ),
                needs=tuple(Need(n) for n in self._listed(state, keys.needs) if n in set(Need)),
                amount=_int(self._answer(state, keys.amount)),
            )
        except ValueError:
            return None

    def _match(
        self, turn: TurnBuilder[QualificationMemo], context: Context, log: bool = True
    ) -> None:
        state = turn.state
        profile = self.profile(state)
        if profile is None:
            state.memo = state.memo.model_copy(update={"results": None})
            return
        result = self.catalog.matcher.match(profile, context.today, state.language, limit=10)
        communes = self.catalog.knowledge.geo.communes
        kept = snapshot(result, state.language, communes, limit=SNAPSHOT_LIMIT)
        state.memo = state.memo.model_copy(update={"results": kept, "matched": True})
        if not log:
            return
        department = result.commune.department
        detail: dict[str, EventValue] = {
            "schemes": len(result.schemes),
            "near_misses": len(result.near_misses),
            "counters": len(result.counters),
            "department": department,
            # What the observatory and the upkeep lists read: no answer text, only ids.
            "themes": list(profile.themes),
            "local_schemes": sum(1 for m in result.schemes if m.level != Level.NATIONAL),
            "local_counters": sum(1 for m in result.counters if m.level != Level.NATIONAL),
            "scheme_ids": [m.scheme.id for m in (*result.schemes, *result.near_misses)],
            "counter_ids": [m.counter.id for m in result.counters],
        }
        turn.events.append(Event("match_run", state.node, detail))
        if not result.schemes or result.notice:
            turn.events.append(Event("gap", state.node, self._gap(state)))

    def _gap(self, state: QualificationState) -> dict[str, str | list[str] | None]:
        """What a gap is about, without anything personal: where, who, which stage and themes."""
        profile = self.profile(state)
        commune = self.places.commune(profile.commune) if profile else None
        return {
            "department": commune.department if commune else None,
            "carrier": profile.carrier.value if profile else None,
            "stage": profile.stage.value if profile else None,
            "themes": list(profile.themes) if profile else [],
            "needs": [n.value for n in profile.needs] if profile else [],
        }

    def _filing(self, state: QualificationState) -> Filing | None:
        profile = self.profile(state)
        results = state.memo.results
        if profile is None or results is None or state.started_at is None:
            return None
        keys = self.keys
        contact = Contact(
            first_name=_text(self._answer(state, keys.first_name)),
            contact=_text(self._answer(state, keys.contact)),
            preferred_time=_text(self._answer(state, keys.preferred_time)),
            language=state.language,
        )
        return Filing(
            idempotency_key=state.started_at.isoformat(),
            profile=profile,
            idea=_text(self._answer(state, keys.idea)),
            assessment=self._assessment(state),
            snapshot=results,
            contact=contact,
            consent_at=state.consent_at or state.started_at,
            consent_version=self.dialog.consent_version,
            counter_id=results.counters[0].id if results.counters else None,
            campaign=state.campaign,
        )

    def _assessment(self, state: QualificationState) -> tuple[MarkerLevel, ...]:
        levels = []
        for node in self.dialog.nodes.values():
            value = state.answers.get(node.key or "")
            if node.marker and isinstance(value, str) and value.isdigit():
                levels.append(MarkerLevel(marker=node.marker, level=int(value)))
        return tuple(levels)

    def _refused(self, state: QualificationState) -> bool:
        """Whether the citizen refused consent: nothing of them may be filed."""
        consent = self.dialog.consent
        return consent is not None and state.answers.get(consent.key, consent.value) != (
            consent.value
        )

    @staticmethod
    def _answer(state: QualificationState, key: str) -> AnswerValue:
        return state.answers.get(key)

    def _listed(self, state: QualificationState, key: str) -> list[str]:
        value = self._answer(state, key)
        return value if isinstance(value, list) else []


def checks(dialog: Dialog, catalog: Catalog) -> Iterator[tuple[Location, str]]:
    """Actions, option sources, blocks, markers and profile keys the qualification needs."""
    markers = {m.id for m in catalog.knowledge.markers.markers}
    for node_id, node in dialog.nodes.items():
        where = ("nodes", node_id)
        if node.action is not None and node.action not in ACTIONS:
            yield (*where, "action"), f"action inconnue « {node.action} » ({_listing(ACTIONS)})"
        if node.options_from not in (None, THEMES, MARKERS_SCALE):
            yield (*where, "options_from"), f"source inconnue « {node.options_from} »"
        if node.show is not None and node.show not in BLOCKS:
            yield (*where, "show"), f"bloc inconnu « {node.show} » ({_listing(BLOCKS)})"
        if node.marker is not None and node.marker not in markers:
            yield (*where, "marker"), f"marqueur inconnu « {node.marker} » ({_listing(markers)})"
    keys = dialog.profile
    if keys is None:
        yield ("profile",), "le dialogue doit déclarer ses clés « profile »"
        return
    asked = {n.key: n for n in dialog.nodes.values() if n.key}
    expected: dict[str, tuple[str, frozenset[str] | None]] = {
        "idea": ("text", None),
        "themes": ("multi", None),
        "commune": ("commune", None),
        "carrier": ("choice", frozenset(Carrier)),
        "stage": ("choice", frozenset(Stage)),
        "needs": ("multi", frozenset(Need)),
        "amount": ("amount", None),
        "first_name": ("text", None),
        "contact": ("text", None),
        "preferred_time": ("choice", None),
    }
    for field, key in keys:
        asker = asked.get(key)
        kind, values = expected[field]
        if asker is None:
            continue  # the generic linter already says so
        if asker.kind != kind:
            yield ("profile", field), f"la clé « {key} » doit être posée par un nœud « {kind} »"
        if values is not None:
            unknown = sorted({o.value for o in asker.options} - values)
            if unknown:
                yield (
                    ("profile", field),
                    f"valeurs inconnues du moteur pour « {key} » : {', '.join(unknown)} "
                    f"(permises : {_listing(values)})",
                )
    themes = asked.get(keys.themes)
    if themes is not None and themes.options_from != THEMES:
        yield ("profile", "themes"), "la question des thèmes doit prendre « options_from: themes »"


def _listing(names: frozenset[str] | set[str]) -> str:
    return ", ".join(sorted(names))


def _int(value: AnswerValue) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: AnswerValue) -> str | None:
    return value if isinstance(value, str) and value else None
