"""What a turn asks the service to do besides saving the state, as one typed value per kind."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.conversation import Reply
from bot.core.filing import Filing


@dataclass(frozen=True, slots=True)
class ExportData:
    """Attach everything stored about the citizen to the reply at index `at`."""

    at: int


@dataclass(frozen=True, slots=True)
class ForgetData:
    """Erase everything stored about the citizen (they confirmed /oublier).

    At the end of a conversation kept without consent, the requests filed earlier from the
    chat (with consent, in a former conversation) are kept: `keep_requests`.
    """

    keep_requests: bool = False


@dataclass(frozen=True, slots=True)
class FilePreApplication:
    """File the pre-application; its confirmation, worded with the reference, goes at `at`."""

    filing: Filing
    at: int
    confirmation: str  # the confirmation text, with {reference} and {counter} placeholders

    def confirm(self, reference: str, counter: str) -> Reply:
        """The confirmation once the reference and the receiving counter are known."""
        return Reply(self.confirmation.format(reference=reference, counter=counter))


Effect = ExportData | ForgetData | FilePreApplication
