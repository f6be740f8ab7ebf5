"""Dashboard links from the command line: `users add … --invite`, `users invite EMAIL`."""

from __future__ import annotations

from bot.bootstrap import Comptoir
from bot.config import Settings
from bot.services.ports_advisors import Person
from bot.services.signin import INVITATION_PATH, INVITATION_VALID


def dashboard_base(settings: Settings) -> str:
    """Where people open the dashboard: the public address, else the server's own."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    return f"http://{host}:{settings.port}"


async def invitation_url(comptoir: Comptoir, settings: Settings, person: Person) -> str:
    """A new one-time link for this person to choose (or reset) their dashboard password."""
    token = await comptoir.signin.invite(person)
    return f"{dashboard_base(settings)}{INVITATION_PATH}{token}"


def invitation_lines(url: str) -> str:
    """What the staff member reads, to pass the link on."""
    return (
        f"Lien du tableau de bord, à transmettre à la personne (une seule fois, valable "
        f"{INVITATION_VALID.days} jours ; il lui permet de choisir son mot de passe) :\n  {url}"
    )
