"""Quiet hours: marketing held outside 08:00-20:00, Sundays and French holidays, locally."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relationclient as rc
from relationclient import ConfigurationError, samples
from relationclient.composer import Composer
from relationclient.messages import Email, Sms
from relationclient.outbox.quiet_hours import (
    DEFAULT_QUIET_HOURS,
    NO_QUIET_HOURS,
    QuietHours,
)

PARIS = ZoneInfo("Europe/Paris")
MARTINIQUE = ZoneInfo("America/Martinique")


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time in Paris."""
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def at(
    zone: ZoneInfo | str, year: int, month: int, day: int, hour: int = 0, minute: int = 0
) -> datetime:
    """A wall-clock time in ``zone``."""
    zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    return datetime(year, month, day, hour, minute, tzinfo=zone)


@pytest.fixture(scope="module")
def composer() -> Composer:
    return Composer(
        samples.shop(),
        unsubscribe_url=samples.UNSUBSCRIBE_URL,
        unsubscribe_secret=samples.UNSUBSCRIBE_SECRET,
    )


@pytest.fixture(scope="module")
def promo_sms(composer: Composer) -> Sms:
    """The delivery check with a promo code to a consenting customer: a marketing SMS."""
    sms = composer.sms(
        "delivery_check",
        order=samples.order("fr"),
        promo=samples.promo(),
        review_url=samples.REVIEW_URL,
    )
    assert sms.purpose == "marketing"
    assert sms.timezone == "Europe/Paris"
    return sms


@pytest.fixture(scope="module")
def promo_email(composer: Composer) -> Email:
    email = composer.email(
        "delivery_check",
        order=samples.order("fr"),
        promo=samples.promo(),
        review_url=samples.REVIEW_URL,
    )
    assert email.purpose == "marketing"
    return email


@pytest.fixture(scope="module")
def transactional_sms(composer: Composer) -> Sms:
    sms = composer.sms("order_confirmation", order=samples.order("fr"))
    assert sms.purpose == "transactional"
    return sms


def sms_to(number: str, timezone: str | None = None, **shop: str) -> Sms:
    """A marketing SMS built directly, with the recipient's zone given or left unknown.

    ``shop``: what the composer would say of the shop (``shop_country``, ``shop_timezone``).
    """
    return Sms(
        to=number,
        sender="MaisonLum",
        body="Maison Lumière : -10 % ce week-end avec MERCI10. STOP au 36111",
        kind="promo",
        locale="fr",
        purpose="marketing",
        idempotency_key="promo-weekend-0001",
        timezone=timezone,
        **shop,  # type: ignore[arg-type]
    )


# -- the default policy, in Paris ------------------------------------------------------------
@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(paris(2025, 7, 9, 7, 59), paris(2025, 7, 9, 8, 0), id="07:59-held-to-08:00"),
        pytest.param(paris(2025, 7, 9, 8, 0), None, id="08:00-allowed"),
        pytest.param(paris(2025, 7, 9, 13, 0), None, id="midday-allowed"),
        pytest.param(paris(2025, 7, 9, 19, 59), None, id="19:59-allowed"),
        pytest.param(paris(2025, 7, 9, 20, 0), paris(2025, 7, 10, 8, 0), id="20:00-next-morning"),
        pytest.param(paris(2025, 7, 9, 23, 59), paris(2025, 7, 10, 8, 0), id="late-evening"),
        pytest.param(paris(2025, 7, 10, 0, 0), paris(2025, 7, 10, 8, 0), id="midnight"),
        pytest.param(paris(2025, 7, 5, 12, 0), None, id="saturday-allowed"),
        pytest.param(paris(2025, 7, 5, 20, 0), paris(2025, 7, 7, 8, 0), id="saturday-20:00-monday"),
        pytest.param(paris(2025, 7, 6, 10, 0), paris(2025, 7, 7, 8, 0), id="sunday"),
        pytest.param(paris(2025, 7, 14, 10, 0), paris(2025, 7, 15, 8, 0), id="14-july"),
        pytest.param(paris(2025, 5, 1, 9, 0), paris(2025, 5, 2, 8, 0), id="1-may"),
        pytest.param(paris(2025, 4, 30, 20, 0), paris(2025, 5, 2, 8, 0), id="eve-of-1-may"),
        pytest.param(
            paris(2025, 7, 12, 20, 0), paris(2025, 7, 15, 8, 0), id="saturday-sunday-14-july"
        ),
        pytest.param(
            paris(2025, 12, 24, 20, 30), paris(2025, 12, 26, 8, 0), id="christmas-eve-evening"
        ),
    ],
)
def test_default_policy_in_paris(promo_sms: Sms, now: datetime, expected: datetime | None) -> None:
    assert DEFAULT_QUIET_HOURS.hold_until(promo_sms, now) == expected


def test_held_until_is_an_aware_instant_in_the_recipients_zone(promo_sms: Sms) -> None:
    until = DEFAULT_QUIET_HOURS.hold_until(promo_sms, paris(2025, 7, 6, 10, 0))
    assert until is not None
    assert until.tzinfo == PARIS
    assert until.astimezone(UTC) == datetime(2025, 7, 7, 6, 0, tzinfo=UTC)


def test_now_in_another_zone_is_read_as_the_same_instant(promo_sms: Sms) -> None:
    # 05:30 UTC in July is 07:30 in Paris: held until 08:00 Paris, 06:00 UTC.
    now = datetime(2025, 7, 9, 5, 30, tzinfo=UTC)
    assert DEFAULT_QUIET_HOURS.hold_until(promo_sms, now) == paris(2025, 7, 9, 8, 0)
    # 18:30 UTC is 20:30 in Paris although still before 20:00 in UTC.
    now = datetime(2025, 7, 9, 18, 30, tzinfo=UTC)
    assert DEFAULT_QUIET_HOURS.hold_until(promo_sms, now) == paris(2025, 7, 10, 8, 0)


def test_naive_now_is_refused(promo_sms: Sms) -> None:
    with pytest.raises(ValueError, match="aware"):
        DEFAULT_QUIET_HOURS.hold_until(promo_sms, datetime(2025, 7, 9, 12, 0))


def test_now_defaults_to_the_current_instant(promo_sms: Sms) -> None:
    until = DEFAULT_QUIET_HOURS.hold_until(promo_sms)
    assert until is None or until > datetime.now(UTC)


# -- what is never held ------------------------------------------------------------------
@pytest.mark.parametrize(
    "now",
    [paris(2025, 7, 6, 3, 0), paris(2025, 7, 14, 23, 0), paris(2025, 7, 9, 20, 0)],
    ids=["sunday-night", "14-july-late", "weekday-20:00"],
)
def test_transactional_sms_is_never_held(transactional_sms: Sms, now: datetime) -> None:
    assert DEFAULT_QUIET_HOURS.hold_until(transactional_sms, now) is None
    strict = QuietHours(channels=frozenset({"sms", "email"}), weekdays=frozenset({0}))
    assert strict.hold_until(transactional_sms, now) is None


def test_no_quiet_hours_holds_nothing(promo_sms: Sms, promo_email: Email) -> None:
    for message in (promo_sms, promo_email):
        assert NO_QUIET_HOURS.hold_until(message, paris(2025, 7, 6, 3, 0)) is None


# -- email ------------------------------------------------------------------------------------
def test_marketing_email_is_not_held_by_default(promo_email: Email) -> None:
    assert DEFAULT_QUIET_HOURS.hold_until(promo_email, paris(2025, 7, 6, 3, 0)) is None


def test_marketing_email_is_held_when_the_policy_covers_email(promo_email: Email) -> None:
    policy = QuietHours(channels=frozenset({"sms", "email"}))
    assert policy.hold_until(promo_email, paris(2025, 7, 6, 3, 0)) == paris(2025, 7, 7, 8, 0)
    assert policy.hold_until(promo_email, paris(2025, 7, 7, 9, 0)) is None


def test_an_email_only_policy_lets_sms_through(promo_sms: Sms, promo_email: Email) -> None:
    policy = QuietHours(channels={"email"})  # type: ignore[arg-type]  # any iterable is accepted
    sunday = paris(2025, 7, 6, 10, 0)
    assert policy.hold_until(promo_sms, sunday) is None
    assert policy.hold_until(promo_email, sunday) == paris(2025, 7, 7, 8, 0)


# -- custom policies -------------------------------------------------------------------
def test_custom_window_08_00_to_21_30(promo_sms: Sms) -> None:
    policy = QuietHours(start=time(8, 0), end=time(21, 30))
    assert policy.hold_until(promo_sms, paris(2025, 7, 9, 20, 0)) is None
    assert policy.hold_until(promo_sms, paris(2025, 7, 9, 21, 29)) is None
    assert policy.hold_until(promo_sms, paris(2025, 7, 9, 21, 30)) == paris(2025, 7, 10, 8, 0)
    assert policy.hold_until(promo_sms, paris(2025, 7, 9, 7, 59)) == paris(2025, 7, 9, 8, 0)


def test_custom_weekdays_monday_to_friday(promo_sms: Sms) -> None:
    policy = QuietHours(weekdays=frozenset(range(5)))
    assert policy.hold_until(promo_sms, paris(2025, 7, 4, 20, 0)) == paris(2025, 7, 7, 8, 0)
    assert policy.hold_until(promo_sms, paris(2025, 7, 5, 12, 0)) == paris(2025, 7, 7, 8, 0)


def test_sundays_allowed_when_configured(promo_sms: Sms) -> None:
    policy = QuietHours(weekdays=frozenset(range(7)))
    assert policy.hold_until(promo_sms, paris(2025, 7, 6, 10, 0)) is None
    assert policy.hold_until(promo_sms, paris(2025, 7, 14, 10, 0)) == paris(2025, 7, 15, 8, 0)


def test_holidays_ignored_when_told(promo_sms: Sms) -> None:
    policy = QuietHours(observe_holidays=False)
    assert policy.hold_until(promo_sms, paris(2025, 7, 14, 10, 0)) is None
    assert policy.hold_until(promo_sms, paris(2025, 7, 13, 10, 0)) == paris(2025, 7, 14, 8, 0)


def test_holidays_are_the_shops_countrys(promo_sms: Sms) -> None:
    # The composer tells the outbox which shop sends: no country is assumed.
    assert promo_sms.shop_country == "FR"
    assert promo_sms.shop_id == samples.shop().id
    bastille_day = paris(2025, 7, 14, 10, 0)
    assert DEFAULT_QUIET_HOURS.hold_until(promo_sms, bastille_day) == paris(2025, 7, 15, 8, 0)
    unknown = promo_sms.model_copy(update={"shop_country": None})
    assert DEFAULT_QUIET_HOURS.hold_until(unknown, bastille_day) is None


def test_alsace_moselle_subdivision_adds_good_friday(promo_sms: Sms) -> None:
    good_friday = paris(2025, 4, 18, 10, 0)
    assert DEFAULT_QUIET_HOURS.hold_until(promo_sms, good_friday) is None
    moselle = QuietHours(holiday_subdivision="57")
    assert moselle.hold_until(promo_sms, good_friday) == paris(2025, 4, 19, 8, 0)


def test_another_countrys_holidays() -> None:
    # 3 October, German Unity Day (a Friday in 2025), for a shop following German holidays.
    berlin = sms_to("+4915123456789", "Europe/Berlin")
    policy = QuietHours(holiday_country="DE")
    unity_day = at("Europe/Berlin", 2025, 10, 3, 10, 0)
    assert policy.hold_until(berlin, unity_day) == at("Europe/Berlin", 2025, 10, 4, 8, 0)
    assert DEFAULT_QUIET_HOURS.hold_until(berlin, unity_day) is None  # no shop country said


def test_a_german_shops_marketing_sms_waits_over_a_german_holiday() -> None:
    shop = samples.shop().model_copy(
        update={
            "id": "kerzenhaus.de",
            "address": rc.Address(
                line1="Torstraße 12", postal_code="10119", city="Berlin", country="DE"
            ),
            "phone": "+493012345678",
            "timezone": "Europe/Berlin",
        }
    )
    shop = rc.Shop.model_validate(shop.model_dump())
    customer = samples.customer("de", timezone=None, phone="+4915123456789", country="DE")
    sms = Composer(shop).sms(
        "delivery_check",
        order=samples.order("de", customer=customer),
        promo=samples.promo(),
        review_url=samples.REVIEW_URL,
    )
    assert (sms.purpose, sms.shop_country, sms.shop_timezone) == (
        "marketing",
        "DE",
        "Europe/Berlin",
    )
    unity_day = at("Europe/Berlin", 2025, 10, 3, 10, 0)  # not a French holiday
    assert DEFAULT_QUIET_HOURS.hold_until(sms, unity_day) == at("Europe/Berlin", 2025, 10, 4, 8, 0)
    bastille_day = at("Europe/Berlin", 2025, 7, 14, 10, 0)  # not a German one
    assert DEFAULT_QUIET_HOURS.hold_until(sms, bastille_day) is None


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"start": time(20, 0), "end": time(8, 0)}, "before end"),
        ({"start": time(8, 0), "end": time(8, 0)}, "before end"),
        ({"start": time(8, 0, tzinfo=UTC)}, "wall-clock"),
        ({"weekdays": frozenset()}, "weekdays"),
        ({"weekdays": frozenset({7})}, "weekdays"),
        ({"channels": frozenset({"fax"})}, "channels"),
        ({"default_timezone": "Europe/Lutece"}, "IANA"),
        ({"holiday_country": "ZZ"}, "ZZ"),
        ({"holiday_country": "FR", "holiday_subdivision": "99"}, "99"),
        ({"holiday_country": "FR", "zone_subdivisions": {"Europe/Paris": "XX"}}, "XX"),
    ],
)
def test_bad_policy_is_refused(options: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        QuietHours(**options)  # type: ignore[arg-type]


def test_policies_are_immutable_hashable_and_picklable() -> None:
    assert QuietHours() == DEFAULT_QUIET_HOURS
    assert hash(QuietHours()) == hash(DEFAULT_QUIET_HOURS)
    with pytest.raises(AttributeError):
        DEFAULT_QUIET_HOURS.start = time(6, 0)  # type: ignore[misc]
    mapping = {"Europe/Paris": "57"}
    moselle = QuietHours(weekdays=range(5), zone_subdivisions=mapping)  # type: ignore[arg-type]
    mapping["Europe/Paris"] = "XX"  # the policy kept a copy
    assert moselle.weekdays == frozenset(range(5))
    assert pickle.loads(pickle.dumps(moselle)) == moselle
    assert moselle.is_open_day(date(2025, 4, 18), "Europe/Paris", "FR") is False  # Good Friday


# -- overseas France -------------------------------------------------------------------------
def test_recipient_in_martinique_is_held_by_the_local_clock(promo_sms: Sms) -> None:
    sms = promo_sms.model_copy(update={"timezone": "America/Martinique"})
    # 13:30 in Paris is 07:30 in Martinique (UTC-4, no daylight saving).
    now = paris(2025, 5, 21, 13, 30)
    assert DEFAULT_QUIET_HOURS.hold_until(promo_sms, now) is None
    until = DEFAULT_QUIET_HOURS.hold_until(sms, now)
    assert until == at(MARTINIQUE, 2025, 5, 21, 8, 0)
    assert until is not None
    assert until.tzinfo == MARTINIQUE
    # 19:30 in Martinique is already 01:30 the next day in Paris.
    assert DEFAULT_QUIET_HOURS.hold_until(sms, at(MARTINIQUE, 2025, 5, 20, 19, 30)) is None
    assert DEFAULT_QUIET_HOURS.hold_until(promo_sms, at(MARTINIQUE, 2025, 5, 20, 19, 30)) == (
        paris(2025, 5, 21, 8, 0)
    )


def test_martinique_local_holiday_22_may(promo_sms: Sms) -> None:
    sms = promo_sms.model_copy(update={"timezone": "America/Martinique"})
    now = at(MARTINIQUE, 2025, 5, 22, 10, 0)  # abolition of slavery in Martinique, a Thursday
    assert DEFAULT_QUIET_HOURS.hold_until(sms, now) == at(MARTINIQUE, 2025, 5, 23, 8, 0)
    # The same instant is 16:00 on an ordinary Thursday in Paris.
    assert DEFAULT_QUIET_HOURS.hold_until(promo_sms, now) is None


@pytest.mark.parametrize(
    ("zone", "holiday"),
    [
        ("America/Guadeloupe", date(2025, 5, 27)),
        ("America/Martinique", date(2025, 5, 22)),
        ("America/Cayenne", date(2025, 6, 10)),
        ("Indian/Reunion", date(2024, 12, 20)),
        ("Indian/Mayotte", date(2026, 4, 27)),
    ],
)
def test_overseas_abolition_of_slavery_days(promo_sms: Sms, zone: str, holiday: date) -> None:
    assert holiday.weekday() < 6  # an otherwise open day
    sms = promo_sms.model_copy(update={"timezone": zone})
    now = at(zone, holiday.year, holiday.month, holiday.day, 12, 0)
    next_day = holiday + timedelta(days=1 if holiday.weekday() < 5 else 2)
    assert DEFAULT_QUIET_HOURS.hold_until(sms, now) == at(
        zone, next_day.year, next_day.month, next_day.day, 8, 0
    )
    # Not a holiday for a recipient in metropolitan France at their own noon.
    assert DEFAULT_QUIET_HOURS.hold_until(promo_sms, now.replace(tzinfo=PARIS)) is None


# -- the zone of the phone number -------------------------------------------------------------
def test_zone_from_the_phone_number_when_the_message_has_none() -> None:
    martinique = sms_to("+596696123456", shop_country="FR")
    assert DEFAULT_QUIET_HOURS.recipient_zone(martinique) == MARTINIQUE
    now = at(MARTINIQUE, 2025, 5, 21, 7, 30)
    assert DEFAULT_QUIET_HOURS.hold_until(martinique, now) == at(MARTINIQUE, 2025, 5, 21, 8, 0)
    assert DEFAULT_QUIET_HOURS.hold_until(martinique, at(MARTINIQUE, 2025, 5, 22, 10, 0)) == (
        at(MARTINIQUE, 2025, 5, 23, 8, 0)
    )


def test_the_messages_zone_wins_over_the_phone_number() -> None:
    # A French mobile whose owner lives in Martinique.
    sms = sms_to("+33612345678", "America/Martinique")
    assert DEFAULT_QUIET_HOURS.recipient_zone(sms) == MARTINIQUE


@pytest.mark.parametrize(
    ("number", "zone"),
    [
        ("+33612345678", "Europe/Paris"),
        ("+594694123456", "America/Cayenne"),
        ("+14155550123", "America/Los_Angeles"),
        ("+262692123456", "Europe/Paris"),  # Réunion or Mayotte: ambiguous, the shop's zone
        ("+447911123456", "Europe/Paris"),  # London, Jersey, Guernsey, Man: ambiguous
    ],
)
def test_phone_number_zones(number: str, zone: str) -> None:
    sms = sms_to(number, shop_timezone="Europe/Paris")
    assert DEFAULT_QUIET_HOURS.recipient_zone(sms) == ZoneInfo(zone)


def test_without_any_zone_the_policy_default_then_utc() -> None:
    ambiguous = sms_to("+262692123456")
    assert DEFAULT_QUIET_HOURS.recipient_zone(ambiguous) == ZoneInfo("UTC")
    policy = QuietHours(default_timezone="Indian/Reunion")
    assert policy.recipient_zone(ambiguous) == ZoneInfo("Indian/Reunion")


def test_email_without_zone_uses_the_policy_default(promo_email: Email) -> None:
    email = promo_email.model_copy(update={"timezone": None, "shop_timezone": None})
    policy = QuietHours(channels=frozenset({"email"}), default_timezone="America/Martinique")
    assert policy.recipient_zone(email) == MARTINIQUE
    assert policy.hold_until(email, paris(2025, 5, 21, 13, 30)) == at(MARTINIQUE, 2025, 5, 21, 8)


# -- daylight saving -----------------------------------------------------------------------
def test_spring_forward_weekend(promo_sms: Sms) -> None:
    # Clocks go from 02:00 CET to 03:00 CEST on Sunday 30 March 2025.
    until = DEFAULT_QUIET_HOURS.hold_until(promo_sms, paris(2025, 3, 29, 20, 0))
    assert until == paris(2025, 3, 31, 8, 0)
    assert until is not None
    assert until.utcoffset() == timedelta(hours=2)
    assert until.astimezone(UTC) == datetime(2025, 3, 31, 6, 0, tzinfo=UTC)


def test_on_the_day_clocks_change(promo_sms: Sms) -> None:
    every_day = QuietHours(weekdays=frozenset(range(7)), holiday_country=None)
    # Spring: 07:30 CEST on the short day is held until 08:00 CEST (06:00 UTC), not CET.
    until = every_day.hold_until(promo_sms, datetime(2025, 3, 30, 5, 30, tzinfo=UTC))
    assert until is not None
    assert until.astimezone(UTC) == datetime(2025, 3, 30, 6, 0, tzinfo=UTC)
    # Saturday 20:00 CET to Sunday 08:00 CEST is 11 hours, not 12 (measured in UTC: Python
    # subtracts two datetimes of the same zone by their wall clocks).
    until = every_day.hold_until(promo_sms, paris(2025, 3, 29, 20, 0))
    assert until == paris(2025, 3, 30, 8, 0)
    assert until.astimezone(UTC) - paris(2025, 3, 29, 20, 0).astimezone(UTC) == timedelta(hours=11)
    # Autumn: 02:00 CEST becomes 01:00 CET on Sunday 26 October 2025; 08:00 CET is 07:00 UTC.
    until = every_day.hold_until(promo_sms, datetime(2025, 10, 26, 6, 30, tzinfo=UTC))
    assert until is not None
    assert until.astimezone(UTC) == datetime(2025, 10, 26, 7, 0, tzinfo=UTC)
    assert every_day.hold_until(promo_sms, datetime(2025, 10, 26, 18, 59, tzinfo=UTC)) is None
    assert every_day.hold_until(promo_sms, datetime(2025, 10, 26, 19, 0, tzinfo=UTC)) is not None


def test_window_opening_in_the_spring_gap(promo_sms: Sms) -> None:
    # 02:30 does not exist in Paris on 30 March 2025: the window opens at 03:30 CEST.
    night = QuietHours(start=time(2, 30), weekdays=frozenset(range(7)), holiday_country=None)
    until = night.hold_until(promo_sms, paris(2025, 3, 30, 1, 0))
    assert until is not None
    assert until.astimezone(UTC) == datetime(2025, 3, 30, 1, 30, tzinfo=UTC)
    assert night.hold_until(promo_sms, until) is None


# -- properties ------------------------------------------------------------------------------
ZONES = [
    "Europe/Paris",
    "America/Martinique",
    "America/Cayenne",
    "Indian/Reunion",
    "America/New_York",
    "Australia/Lord_Howe",  # half-hour daylight saving
    "Pacific/Chatham",
]


@settings(max_examples=300, deadline=None)
@given(
    instant=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(ZONES),
    end=st.sampled_from([time(20, 0), time(21, 30), time(23, 59)]),
)
def test_hold_until_is_the_first_allowed_instant(
    promo_sms: Sms, instant: datetime, zone: str, end: time
) -> None:
    policy = QuietHours(end=end)
    sms = promo_sms.model_copy(update={"timezone": zone})
    until = policy.hold_until(sms, instant)
    local = instant.astimezone(ZoneInfo(zone))
    if until is None:
        assert policy.is_open_day(local.date(), zone, "FR")
        assert time(8, 0) <= local.time() < end
        return
    assert until > instant
    assert until.tzinfo == ZoneInfo(zone)
    assert until.time() == time(8, 0)
    assert policy.is_open_day(until.date(), zone, "FR")
    assert policy.hold_until(sms, until) is None
    # A minute earlier it was still closed, and every earlier day in between was closed.
    assert policy.hold_until(sms, until - timedelta(minutes=1)) == until
    day = local.date() + timedelta(days=1)
    while day < until.date():
        assert not policy.is_open_day(day, zone, "FR")
        day += timedelta(days=1)


def test_module_examples_run() -> None:
    import doctest

    from relationclient.outbox import quiet_hours

    failures, tried = doctest.testmod(quiet_hours)
    assert (failures, tried > 0) == (0, True)
