"""When a scheme can be applied to: the open session, the next one, the date that matters."""

from __future__ import annotations

import datetime as dt

from bot.core.models import Scheme, Session


def open_session(scheme: Scheme, on: dt.date) -> Session | None:
    """The session of a periodic scheme open on `on`, if any."""
    if scheme.calendar.mode != "periodic":
        return None
    for session in scheme.calendar.sessions:
        if (session.opens is None or session.opens <= on) and (
            session.closes is not None and on <= session.closes
        ):
            return session
    return None


def next_session(scheme: Scheme, on: dt.date) -> Session | None:
    """The next session announced (or expected) after `on`, if any."""
    upcoming = [
        s
        for s in (*scheme.calendar.sessions, scheme.calendar.next_expected)
        if s is not None and s.opens is not None and s.opens > on
    ]
    return min(upcoming, key=lambda s: s.opens or dt.date.max, default=None)


def deadline(scheme: Scheme, on: dt.date) -> dt.date | None:
    """The next date that matters: the closing of an open session, else the next opening."""
    if scheme.calendar.mode == "permanent":
        return None
    session = open_session(scheme, on)
    if session is not None:
        return session.closes
    upcoming = next_session(scheme, on)
    return None if upcoming is None else upcoming.closes or upcoming.opens
