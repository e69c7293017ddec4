"""Working time: public holidays, and when an answer promised in working hours is due.

A shop that promises "an answer within one working day" counts that day in
its own support hours, in its own time zone, skipping the days it is closed
and its country's public holidays (from the ``holidays`` package). The
customer then reads the promise in their own time zone.

Example:
    >>> from datetime import datetime, timedelta, time
    >>> from zoneinfo import ZoneInfo
    >>> from relationclient.models import SupportHours
    >>> hours = (SupportHours(days="mon-fri", opens=time(9), closes=time(18)),)
    >>> friday_evening = datetime(2026, 12, 4, 20, 0, tzinfo=ZoneInfo("Europe/Paris"))
    >>> due = answer_due(friday_evening, timedelta(hours=3), hours, "Europe/Paris", "FR")
    >>> due.at.isoformat()  # Monday, three working hours after opening
    '2026-12-07T12:00:00+01:00'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from .models import SupportHours

__all__ = ["WORKING_DAY", "AnswerDue", "answer_due", "public_holidays"]

#: The length of a working day, for shops that publish no support hours.
WORKING_DAY = timedelta(hours=8)
#: How far ahead a deadline is searched: a shop open at least one day a year finds one.
_SEARCH_DAYS = 2 * 366


@lru_cache(maxsize=1024)
def public_holidays(country: str, year: int, subdivision: str | None = None) -> frozenset[date]:
    """The public holidays of ``country`` (ISO 3166 alpha-2) in ``year``, frozen.

    Unknown countries have none (the ``holidays`` package does not know every
    country); a ``holidays`` object grows as it is read, hence the frozen copy.
    """
    try:
        return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))
    except NotImplementedError:
        return frozenset()


@dataclass(frozen=True)
class AnswerDue:
    """When an answer is due: an instant (``at``), or a number of working days.

    ``working_days`` is set instead of ``at`` for a shop that publishes no
    support hours: then the promise is "within N working days".
    """

    at: datetime | None = None
    working_days: int | None = None


def _windows(hours: Sequence[SupportHours], weekday: int) -> list[tuple[time, time]]:
    """The opening windows of one weekday, sorted and merged where they overlap."""
    spans = sorted((h.opens, h.closes) for h in hours if weekday in h.days)
    merged: list[tuple[time, time]] = []
    for opens, closes in spans:
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return merged


def answer_due(
    received_at: datetime,
    response_time: timedelta,
    support_hours: Sequence[SupportHours],
    timezone: str,
    country: str | None,
) -> AnswerDue:
    """When an answer promised ``response_time`` of working time after ``received_at`` is due.

    Working time is counted only inside ``support_hours`` on the shop's wall
    clock (``timezone``), skipping days without hours and the public holidays
    of ``country``. A message received while the shop is closed starts
    counting at the next opening. Without support hours, the promise is a
    number of working days: ``response_time`` in eight-hour days, rounded up.

    Raises:
        ValueError: ``received_at`` is naive, or ``response_time`` is not positive.
    """
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise ValueError("received_at must be an aware datetime")
    if response_time <= timedelta(0):
        raise ValueError("response_time must be positive")
    if not support_hours:
        return AnswerDue(working_days=math.ceil(response_time / WORKING_DAY))
    zone = ZoneInfo(timezone)
    instant = received_at.astimezone(UTC)
    left = response_time
    day = instant.astimezone(zone).date()
    for _ in range(_SEARCH_DAYS):
        closed = country is not None and day in public_holidays(country, day.year)
        for opens, closes in [] if closed else _windows(support_hours, day.weekday()):
            start = max(instant, datetime.combine(day, opens, tzinfo=zone).astimezone(UTC))
            end = datetime.combine(day, closes, tzinfo=zone).astimezone(UTC)
            if start >= end:
                continue
            if left <= end - start:
                return AnswerDue(at=(start + left).astimezone(zone))
            left -= end - start
            instant = end
        day += timedelta(days=1)
    raise ValueError(  # pragma: no cover - a shop with hours opens within two years
        f"no working time found within {_SEARCH_DAYS} days of {received_at.isoformat()}"
    )
