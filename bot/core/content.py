"""Everything the bot knows and says, loaded and validated as one immutable value."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from bot.core.advisors import AdvisorTexts, load_advisor_texts
from bot.core.catalog import Catalog
from bot.core.dialog.engine import Engine
from bot.core.dialog.lint import load_dialog
from bot.core.dialog.schema import Command, Dialog
from bot.core.qualification import Qualification, QualificationMemo, checks

QUALIFICATION = "qualification"  # the dialog citizens hold: dialogs/qualification.yaml
ADVISORS = "advisors.yaml"  # what advisors and staff read
SHIPPED_DIALOGS = Path(__file__).resolve().parents[2] / "dialogs"


@dataclass(frozen=True)
class Content:
    """The knowledge, the citizens' dialog and the engine that runs it, checked together.

    A running service reads its `Content` on every turn: publishing new content is one
    assignment, made only after the whole of it loaded and validated.
    """

    catalog: Catalog
    dialog: Dialog
    qualification: Qualification
    engine: Engine[QualificationMemo]
    advisors: AdvisorTexts

    @property
    def commands(self) -> tuple[Command, ...]:
        """The commands of the citizens' dialog (a messaging app's menu)."""
        return self.dialog.commands

    @classmethod
    def load(
        cls,
        knowledge_dir: Path,
        dialogs_dir: Path,
        dialog: str = QUALIFICATION,
        today: dt.date | None = None,
    ) -> Content:
        """Load and check the knowledge and the dialog; raise ContentError listing problems."""
        catalog = Catalog.load(knowledge_dir, today)
        qualification = load_qualification(dialogs_dir / f"{dialog}.yaml", catalog)
        advisors = load_advisor_texts(dialogs_dir / ADVISORS)
        return cls.build(catalog, qualification, advisors)

    @classmethod
    def build(
        cls, catalog: Catalog, dialog: Dialog, advisors: AdvisorTexts | None = None
    ) -> Content:
        """Content from a loaded catalog and dialog (and the shipped advisors' texts)."""
        qualification = Qualification(dialog, catalog)
        texts = advisors or load_advisor_texts(SHIPPED_DIALOGS / ADVISORS)
        return cls(catalog, dialog, qualification, Engine(dialog, qualification), texts)


def load_qualification(path: Path, catalog: Catalog) -> Dialog:
    """Load a qualification dialog, checked against the knowledge it relies on."""
    return load_dialog(path, checks=[lambda dialog: checks(dialog, catalog)])
