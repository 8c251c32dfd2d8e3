"""Oslo dates: every rule in the portal speaks of dates in Europe/Oslo.

Timestamps are stored in UTC. A rule "from D" holds from 00:00 Oslo time on D;
"through D" holds until the last instant of D in Oslo. These helpers are the
only place that turns a moment into a date or a date into moments.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.formats import date_format

OSLO = ZoneInfo("Europe/Oslo")


def oslo_date(moment: dt.datetime) -> dt.date:
    """The Oslo calendar date of an aware moment (2022-11-11T23:30Z is 12.11.2022)."""
    if timezone.is_naive(moment):
        raise ValueError("oslo_date needs an aware datetime")
    return moment.astimezone(OSLO).date()


def today() -> dt.date:
    """Today's date in Oslo."""
    return oslo_date(timezone.now())


def start_of_day(day: dt.date) -> dt.datetime:
    """The first instant of ``day`` in Oslo ("from D")."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=OSLO)


def end_of_day_exclusive(day: dt.date) -> dt.datetime:
    """The first instant after ``day`` in Oslo; "through D" means before this moment."""
    return start_of_day(day + dt.timedelta(days=1))


def is_from(day: dt.date, moment: dt.datetime | None = None) -> bool:
    """Whether ``moment`` (default: now) falls on or after Oslo date ``day``."""
    return (moment or timezone.now()) >= start_of_day(day)


def is_through(day: dt.date, moment: dt.datetime | None = None) -> bool:
    """Whether ``moment`` (default: now) falls on or before Oslo date ``day``."""
    return (moment or timezone.now()) < end_of_day_exclusive(day)


def shown_moment(moment: dt.datetime) -> str:
    """An aware moment as staff and customers read it: Oslo time, the portal's
    DATETIME_FORMAT (dd.mm.yyyy HH:MM). Never format a stored moment with strftime."""
    return date_format(timezone.localtime(moment, OSLO), "DATETIME_FORMAT")


def shown_date(day: dt.date) -> str:
    """A calendar date in the portal's DATE_FORMAT (dd.mm.yyyy)."""
    return date_format(day, "DATE_FORMAT")
