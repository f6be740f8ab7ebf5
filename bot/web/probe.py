"""The link checker's HTTP client (aiohttp): one request, redirects followed, errors in French."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp

from bot.services.links import Answer, Fetcher, Method, ProbeFailed

MAX_REDIRECTS = 10


def user_agent(public_url: str | None = None) -> str:
    """Who knocks, so that a site's webmaster can tell (and reach the deployment)."""
    contact = f"; +{public_url}" if public_url else ""
    return f"Comptoir-LinkCheck/1.0 (verification des liens d'une base d'aides{contact})"


class HttpProbe:
    """Opens an aiohttp session for a check; proxies from the environment are not used."""

    def __init__(self, agent: str | None = None) -> None:
        self.agent = agent or user_agent()

    @asynccontextmanager
    async def open(self) -> AsyncIterator[Fetcher]:
        """A session for the length of a check (its connections pooled, closed at the end)."""
        headers = {"User-Agent": self.agent, "Accept": "text/html,*/*;q=0.8"}
        # The checker bounds each request itself (`Politeness.timeout`).
        timeout = aiohttp.ClientTimeout(total=None)
        async with aiohttp.ClientSession(headers=headers, timeout=timeout) as session:
            yield _Session(session)


class _Session:
    """One open session."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def fetch(self, method: Method, url: str) -> Answer:
        """One request, redirects followed; no body is read."""
        try:
            async with self.session.request(
                method, url, allow_redirects=True, max_redirects=MAX_REDIRECTS
            ) as response:
                return Answer(response.status, str(response.url))
        except aiohttp.TooManyRedirects:
            raise ProbeFailed("trop de redirections (le site tourne en rond)") from None
        except (aiohttp.InvalidUrlClientError, aiohttp.NonHttpUrlClientError):
            raise ProbeFailed("adresse invalide") from None
        except aiohttp.ClientConnectorDNSError:
            raise ProbeFailed("le nom du site est introuvable (DNS)") from None
        except (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError, ssl.SSLError):
            raise ProbeFailed("le certificat de sécurité du site n'est pas valide") from None
        except aiohttp.ClientConnectorError:
            raise ProbeFailed("connexion au site impossible") from None
        except aiohttp.ServerDisconnectedError:
            raise ProbeFailed("le serveur a coupé la connexion sans répondre") from None
        except aiohttp.ClientResponseError as error:
            raise ProbeFailed(f"réponse illisible du serveur ({error.status})") from None
        except aiohttp.ClientError:
            raise ProbeFailed("erreur de connexion au site") from None
