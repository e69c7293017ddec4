"""When a promised answer is due: working time inside support hours, holidays skipped.

Expected values are counted here by another method: minute by minute over the
shop's wall clock, asking the ``holidays`` package at test time.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relationclient.models import SupportHours
from relationclient.workdays import AnswerDue, answer_due

PARIS = ZoneInfo("Europe/Paris")
WEEK = (
    SupportHours(days="mon-fri", opens=time(9), closes=time(18)),
    SupportHours(days="sat", opens=time(10), closes=time(13)),
)
SPLIT = (
    SupportHours(days="mon-fri", opens=time(9), closes=time(12, 30)),
    SupportHours(days="mon-fri", opens=time(14), closes=time(18)),
)


def open_at(
    instant: datetime, hours: tuple[SupportHours, ...], zone: ZoneInfo, country: str
) -> bool:
    local = instant.astimezone(zone)
    if local.date() in holidays.country_holidays(country, years=local.year):
        return False
    wall = local.time()
    return any(local.weekday() in h.days and h.opens <= wall < h.closes for h in hours)


def count_minutes(
    start: datetime, minutes: int, hours: tuple[SupportHours, ...], zone: ZoneInfo, country: str
) -> datetime:
    """The instant when ``minutes`` open minutes have passed since ``start`` (minute steps, UTC)."""
    instant = start.astimezone(UTC).replace(second=0, microsecond=0)
    if instant < start:
        instant += timedelta(minutes=1)
    while minutes:
        if open_at(instant, hours, zone, country):
            minutes -= 1
        instant += timedelta(minutes=1)
    return instant


@settings(max_examples=30, deadline=None)
@given(
    received=st.datetimes(
        min_value=datetime(2026, 4, 1), max_value=datetime(2027, 1, 10), timezones=st.just(UTC)
    ),
    minutes=st.integers(min_value=1, max_value=16 * 60),
    hours=st.sampled_from([WEEK, SPLIT]),
    shop=st.sampled_from([("Europe/Paris", "FR"), ("Europe/Berlin", "DE"), ("Asia/Dubai", "AE")]),
)
def test_the_deadline_is_the_working_time_counted_minute_by_minute(
    received: datetime,
    minutes: int,
    hours: tuple[SupportHours, ...],
    shop: tuple[str, str],
) -> None:
    received = received.replace(second=0, microsecond=0)
    zone_name, country = shop
    zone = ZoneInfo(zone_name)
    due = answer_due(received, timedelta(minutes=minutes), hours, zone_name, country)
    assert due.at is not None
    assert due.at.tzinfo is not None
    assert due.at == count_minutes(received, minutes, hours, zone, country)


def test_a_friday_evening_question_is_answered_on_monday() -> None:
    friday_evening = datetime(2026, 12, 4, 19, 20, tzinfo=PARIS)
    due = answer_due(friday_evening, timedelta(hours=8), WEEK, "Europe/Paris", "FR")
    # Saturday 10:00–13:00 counts three hours, Monday 09:00–14:00 the other five.
    assert due.at == datetime(2026, 12, 7, 14, 0, tzinfo=PARIS)


def test_public_holidays_of_the_shops_country_are_skipped() -> None:
    # 24 December 2026 is a Thursday; 25 December a holiday in France and Germany.
    christmas_eve = datetime(2026, 12, 24, 17, 0, tzinfo=PARIS)
    due = answer_due(christmas_eve, timedelta(hours=2), WEEK, "Europe/Paris", "FR")
    assert due.at == datetime(2026, 12, 26, 11, 0, tzinfo=PARIS)  # the Saturday
    # Without a country, no holiday: Friday morning.
    due = answer_due(christmas_eve, timedelta(hours=2), WEEK, "Europe/Paris", None)
    assert due.at == datetime(2026, 12, 25, 10, 0, tzinfo=PARIS)


def test_a_shop_without_support_hours_promises_working_days() -> None:
    monday = datetime(2026, 12, 7, 10, 0, tzinfo=PARIS)
    assert answer_due(monday, timedelta(hours=8), (), "Europe/Paris", "FR") == AnswerDue(
        working_days=1
    )
    assert answer_due(monday, timedelta(hours=20), (), "Europe/Paris", "FR").working_days == 3


@pytest.mark.parametrize("bad", [timedelta(0), timedelta(hours=-1)])
def test_bad_inputs_are_refused(bad: timedelta) -> None:
    with pytest.raises(ValueError, match="response_time"):
        answer_due(datetime(2026, 12, 7, tzinfo=PARIS), bad, WEEK, "Europe/Paris", "FR")
    with pytest.raises(ValueError, match="aware"):
        answer_due(datetime(2026, 12, 7), timedelta(hours=1), WEEK, "Europe/Paris", "FR")
