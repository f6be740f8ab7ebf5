"""How the Bot API refuses: ApiError and Telegram's wording of each refusal."""

from __future__ import annotations

from tests.fakes.telegram.records import JSON

# Descriptions as Telegram words them (seen in the wild). The ones marked "ours" have no
# publicly pinned wording; the status code is what matters to python-telegram-bot.
TEXT_EMPTY = "Bad Request: message text is empty"
TEXT_TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
MARKUP_TOO_LONG = "Bad Request: reply markup is too long"
ROW_TOO_WIDE = "Bad Request: too many buttons in a row"  # ours
TEXT_BUTTON_INLINE = "Bad Request: text buttons are unallowed in the inline keyboard"
MARKUP_UNPARSABLE = "Bad Request: can't parse reply keyboard markup JSON object"
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
CANT_EDIT = "Bad Request: message can't be edited"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
DELETE_NOT_FOUND = "Bad Request: message to delete not found"
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
ANSWER_TOO_LONG = "Bad Request: MESSAGE_TOO_LONG"
SECRET_CHARS = "Bad Request: secret token contains unallowed characters"
SECRET_TOO_LONG = "Bad Request: secret token is too long"
PARSE_MODE_INVALID = "Bad Request: unsupported parse_mode"
CHAT_NOT_FOUND = "Bad Request: chat not found"
ACTION_INVALID = "Bad Request: wrong parameter action in request"
COMMAND_INVALID = "Bad Request: BOT_COMMAND_INVALID"
COMMAND_DESCRIPTION_INVALID = "Bad Request: command description is invalid"  # ours
FILE_ID_INVALID = "Bad Request: invalid file_id"
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_TERMINATED = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
BLOCKED = "Forbidden: bot was blocked by the user"
MIGRATED = "Bad Request: group chat was upgraded to a supergroup chat"


class ApiError(Exception):
    """An error answer of the Bot API: HTTP status, description, optional retry_after."""

    def __init__(
        self,
        status: int,
        description: str,
        retry_after: int | None = None,
        migrate_to: int | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.migrate_to = migrate_to

    def body(self) -> JSON:
        """The JSON body Telegram sends with this error."""
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        if self.migrate_to is not None:
            body["parameters"] = {"migrate_to_chat_id": self.migrate_to}
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, description)
