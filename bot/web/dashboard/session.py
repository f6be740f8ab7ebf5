"""The dashboard's sessions: an encrypted cookie, who signed in, CSRF tokens, one-time notices."""

from __future__ import annotations

import base64
import hmac
import secrets
import time
from dataclasses import dataclass

from aiohttp import web
from aiohttp_session import AbstractStorage, Session, get_session, new_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography import fernet

from bot.services.ports_advisors import Person
from bot.web.keys import COMPTOIR, SETTINGS

COOKIE = "comptoir_conseillers"
PATH = "/conseillers"
LIFETIME = 12 * 3600  # seconds: a working day, then sign in again
KEY_LABEL = "dashboard-session-cookie"  # what the session key is derived for
CSRF_FIELD = "csrf"


class LateKeyedCookies(AbstractStorage):
    """Encrypted, HttpOnly, SameSite=Lax cookies whose key is known once the bot has started."""

    def __init__(self, secure: bool) -> None:
        super().__init__(
            cookie_name=COOKIE,
            max_age=LIFETIME,
            path=PATH,
            secure=secure,
            httponly=True,
            samesite="Lax",
        )
        self._secure = secure
        self._inner: EncryptedCookieStorage | None = None

    def key(self, secret: bytes) -> None:
        """Encrypt with a key derived from this secret (32 bytes or more)."""
        derived = hmac.digest(secret, KEY_LABEL.encode(), "sha256")
        self._inner = EncryptedCookieStorage(
            fernet.Fernet(base64.urlsafe_b64encode(derived)),
            cookie_name=COOKIE,
            max_age=LIFETIME,
            path=PATH,
            secure=self._secure,
            httponly=True,
            samesite="Lax",
        )

    def _keyed(self) -> EncryptedCookieStorage:
        if self._inner is None:
            raise web.HTTPServiceUnavailable(text="Comptoir démarre : réessayez dans un instant.")
        return self._inner

    async def load_session(self, request: web.Request) -> Session:
        """The session of the request's cookie (a new one when absent, stale or forged)."""
        return await self._keyed().load_session(request)

    async def save_session(
        self, request: web.Request, response: web.StreamResponse, session: Session
    ) -> None:
        """Write the session into the response's cookie."""
        await self._keyed().save_session(request, response, session)


@dataclass(frozen=True, slots=True)
class Visit:
    """Who is signed in on this request, and the session's CSRF token."""

    person: Person
    csrf: str


async def csrf_token(request: web.Request) -> str:
    """The session's CSRF token (made on first use: the sign-in form has one too)."""
    session = await get_session(request)
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


async def check_csrf(request: web.Request, form: dict[str, str]) -> None:
    """Refuse (403) a form without the session's token, or from another site."""
    origin = request.headers.get("Origin")
    # "null": a browser that hides where the form came from; the token below decides then.
    if origin and origin != "null" and not _same_site(request, origin):
        raise web.HTTPForbidden(text=FORBIDDEN)
    session = await get_session(request)
    expected = session.get(CSRF_FIELD)
    given = form.get(CSRF_FIELD, "")
    if not isinstance(expected, str) or not hmac.compare_digest(expected, given):
        raise web.HTTPForbidden(text=FORBIDDEN)


FORBIDDEN = (
    "Ce formulaire a expiré ou ne vient pas du tableau de bord : rechargez la page et recommencez."
)


def _same_site(request: web.Request, origin: str) -> bool:
    """Whether a form's Origin is this server (as reached, or as configured publicly)."""
    own = {f"http://{request.host}", f"https://{request.host}"}
    public = request.app[SETTINGS].public_url
    if public:
        own.add(public.rstrip("/"))
    return origin.rstrip("/") in own


async def sign_in_session(request: web.Request, person: Person, generation: int) -> None:
    """A fresh session for who just signed in (never the one from before: no fixation)."""
    session = await new_session(request)
    session["person"] = person.id
    session["generation"] = generation
    session["since"] = int(time.time())
    session[CSRF_FIELD] = secrets.token_urlsafe(32)


async def visitor(request: web.Request) -> Visit | None:
    """Who is signed in, if the session names a person whose generation still holds."""
    session = await get_session(request)
    person_id, generation = session.get("person"), session.get("generation")
    if not isinstance(person_id, int) or not isinstance(generation, int):
        return None
    person = await request.app[COMPTOIR].signin.session_person(person_id, generation)
    if person is None:
        session.invalidate()
        return None
    return Visit(person, await csrf_token(request))


async def flash(request: web.Request, text: str, refused: bool = False) -> None:
    """Say something on the next page shown (after the redirect of a form)."""
    session = await get_session(request)
    notices = list(session.get("notices") or [])[-4:]
    notices.append([text, refused])
    session["notices"] = notices


async def notices(request: web.Request) -> list[tuple[str, bool]]:
    """What was to be said, said once."""
    session = await get_session(request)
    found = session.pop("notices", None) or []
    return [(str(text), bool(refused)) for text, refused in found]
