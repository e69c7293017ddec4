"""Quiet hours: when a marketing message may reach a customer, in the customer's own time.

French practice for commercial SMS (the operators' and the CNIL's code of
conduct) is the strictest common rule: Monday to Saturday, 08:00 to 20:00, never
on Sundays or public holidays. :data:`DEFAULT_QUIET_HOURS` applies it, in the
recipient's time zone, with the public holidays of the country of the shop that
sends the message (``message.shop_country``, which the composer sets): a German
shop's offers wait over German holidays, a French shop's over French ones —
and for a French shop, those of the recipient's part of France (Martinique's
22 May counts in Martinique, not in Lyon).

A :class:`QuietHours` policy never drops anything: :meth:`QuietHours.hold_until`
says from when a message may go, and the outbox stores it with that
``not_before``. Transactional messages (an order recap, a shipment notice) are
never held; marketing email is held only when the policy lists the email
channel.

Example:
    >>> from datetime import datetime, time
    >>> from zoneinfo import ZoneInfo
    >>> from relationclient import Sms
    >>> sms = Sms(to="+33612345678", sender="MaisonLum", body="-10% ce week-end",
    ...           kind="promo", locale="fr", purpose="marketing",
    ...           idempotency_key="promo-2025-07-12", timezone="Europe/Paris",
    ...           shop_country="FR")
    >>> saturday_night = datetime(2025, 7, 12, 21, 0, tzinfo=ZoneInfo("Europe/Paris"))
    >>> DEFAULT_QUIET_HOURS.hold_until(sms, saturday_night).isoformat()  # Sunday, then 14 July
    '2025-07-15T08:00:00+02:00'
    >>> QuietHours(end=time(21, 30)).hold_until(sms, saturday_night.replace(hour=21)) is None
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import phonenumbers
from phonenumbers import timezone as phone_timezones

from ..errors import ConfigurationError
from ..messages import Channel, Message, Sms

__all__ = [
    "DEFAULT_QUIET_HOURS",
    "FRENCH_OVERSEAS_SUBDIVISIONS",
    "NO_QUIET_HOURS",
    "QuietHours",
]

#: The ``holidays.France`` subdivision of each overseas French time zone, so a
#: recipient there gets their local public holidays (abolition of slavery days…).
FRENCH_OVERSEAS_SUBDIVISIONS: Mapping[str, str] = MappingProxyType(
    {
        "America/Guadeloupe": "971",
        "America/Martinique": "972",
        "America/Cayenne": "973",
        "Indian/Reunion": "974",
        "Indian/Mayotte": "976",
        "America/St_Barthelemy": "BL",
        "America/Marigot": "MF",
        "America/Miquelon": "PM",
        "Pacific/Noumea": "NC",
        "Pacific/Tahiti": "PF",
        "Pacific/Marquesas": "PF",
        "Pacific/Gambier": "PF",
        "Pacific/Wallis": "WF",
        "Indian/Kerguelen": "TF",
    }
)

MONDAY_TO_SATURDAY = frozenset(range(6))
"""``datetime.weekday()`` numbers of Monday to Saturday (Monday is 0, Sunday 6)."""

# Far enough to cross any run of closed days a sane policy has (a Sunday
# followed by a holiday, Christmas to New Year), short enough to fail fast on
# a policy that never opens.
_SEARCH_DAYS = 400


@dataclass(frozen=True)
class QuietHours:
    """A policy saying when marketing messages may be delivered, in the recipient's time.

    A message may go on an allowed weekday that is not a public holiday, from
    ``start`` (included) to ``end`` (excluded), both read on the recipient's
    wall clock. The recipient's zone is the message's ``timezone``; failing
    that, for an SMS, the zone of the phone number when the numbering plan
    gives exactly one; failing that, the shop's (``message.shop_timezone``),
    then ``default_timezone``, then UTC. The public holidays are those of the
    message's shop country unless ``holiday_country`` names one for all.

    Attributes:
        start: First allowed minute of the day (08:00 by default).
        end: First minute no longer allowed (20:00 by default); after ``start``.
        weekdays: Allowed days as ``datetime.weekday()`` numbers, Monday being 0
            (Monday to Saturday by default).
        channels: Channels the policy holds: ``{"sms"}`` by default; add
            ``"email"`` to hold marketing email too; empty to hold nothing.
        holiday_country: ISO 3166 code of the public holidays that close a day
            (via the ``holidays`` package) for every message; None (default):
            the holidays of each message's ``shop_country`` (none when a
            message does not say).
        observe_holidays: False to ignore public holidays altogether.
        holiday_subdivision: The ``holidays`` subdivision for recipients whose
            zone is not in ``zone_subdivisions`` (``"57"`` for Moselle, say).
        zone_subdivisions: Time zone → subdivision, so recipients in an
            overseas zone get their local holidays. None means
            :data:`FRENCH_OVERSEAS_SUBDIVISIONS` for French holidays and no
            mapping otherwise.
        default_timezone: The zone used when neither the message, its phone
            number nor its shop tells (UTC when None).

    Raises:
        ConfigurationError: On construction, for an empty or reversed window,
            an unknown weekday, channel, zone, country or subdivision.
    """

    start: time = time(8, 0)
    end: time = time(20, 0)
    weekdays: frozenset[int] = MONDAY_TO_SATURDAY
    channels: frozenset[Channel] = frozenset({"sms"})
    holiday_country: str | None = None
    observe_holidays: bool = True
    holiday_subdivision: str | None = None
    zone_subdivisions: Mapping[str, str] | None = field(default=None, hash=False)
    default_timezone: str | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ConfigurationError("quiet hours start and end are wall-clock times, without tz")
        if not self.start < self.end:
            raise ConfigurationError(
                f"quiet hours: start {self.start:%H:%M} must come before end {self.end:%H:%M}"
            )
        # Accept any iterable (a set, a range) but store frozensets, so the
        # policy stays hashable and cannot change under a running dispatcher.
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        object.__setattr__(self, "channels", frozenset(self.channels))
        if not self.weekdays or not self.weekdays <= set(range(7)):
            raise ConfigurationError(
                f"quiet hours weekdays must be a non-empty set of 0 (Monday) to 6 (Sunday), "
                f"not {sorted(self.weekdays)}"
            )
        if not self.channels <= {"email", "sms"}:
            raise ConfigurationError(
                f"quiet hours channels must be 'sms' and/or 'email', not {sorted(self.channels)}"
            )
        if self.default_timezone is not None:
            _zone(self.default_timezone, "default_timezone")
        if self.zone_subdivisions is not None:  # a copy of its own (a dict, so it pickles)
            object.__setattr__(self, "zone_subdivisions", dict(self.zone_subdivisions))
        if self.holiday_country is None:
            return
        country = self.holiday_country
        for subdivision in {self.holiday_subdivision, *self._subdivisions(country).values()}:
            try:
                _holidays(country, subdivision, 2000)
            except NotImplementedError as exc:
                raise ConfigurationError(f"quiet hours holidays: {exc}") from exc

    # -- the question the outbox asks ------------------------------------------------
    def hold_until(self, message: Message, now: datetime | None = None) -> datetime | None:
        """Say from when ``message`` may be delivered.

        Args:
            message: The message about to be stored or sent.
            now: The current instant, timezone-aware (now, by default).

        Returns:
            None when the message may go at ``now``; otherwise the first instant
            at which it may, as an aware datetime in the recipient's zone (the
            start of the next allowed day, after nights, closed weekdays and
            holidays, correct across daylight-saving changes).

        Raises:
            ValueError: When ``now`` is naive: quiet hours need a real instant.
        """
        if now is None:
            now = datetime.now(UTC)
        elif now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("quiet hours need an aware datetime for now, not a naive one")
        if message.purpose != "marketing" or message.channel not in self.channels:
            return None
        zone = self.recipient_zone(message)
        country = self.holiday_country or message.shop_country
        instant = now.astimezone(UTC)
        day = instant.astimezone(zone).date()
        for _ in range(_SEARCH_DAYS):
            if self.is_open_day(day, zone, country):
                opens, closes = _at(day, self.start, zone), _at(day, self.end, zone)
                if instant < opens:
                    return opens.astimezone(zone)
                if instant < closes:
                    return None
            day += timedelta(days=1)
        raise ConfigurationError(  # pragma: no cover - every valid policy opens within a year
            f"quiet hours never open within {_SEARCH_DAYS} days of {now.isoformat()}"
        )

    # -- the parts, public for shops that want to show or test them -----------------------
    def recipient_zone(self, message: Message) -> ZoneInfo:
        """The recipient's zone: the message's, its phone number's, its shop's, or the default."""
        if message.timezone:
            return _zone(message.timezone, "message timezone")
        if isinstance(message, Sms):
            found = _phone_zone(message.to)
            if found is not None:
                return found
        if message.shop_timezone:
            return _zone(message.shop_timezone, "message shop_timezone")
        return _zone(self.default_timezone or "UTC", "default_timezone")

    def is_open_day(self, day: date, zone: ZoneInfo | str, country: str | None = None) -> bool:
        """Say whether ``day`` (a date on the recipient's calendar in ``zone``) allows sending.

        ``country`` is the shop's, whose public holidays close a day
        (``holiday_country`` when set takes precedence; no holidays without either).
        """
        if day.weekday() not in self.weekdays:
            return False
        country = self.holiday_country or country
        if country is None or not self.observe_holidays:
            return True
        key = zone.key if isinstance(zone, ZoneInfo) else zone
        subdivision = self._subdivisions(country).get(key, self.holiday_subdivision)
        try:
            return day not in _holidays(country, subdivision, day.year)
        except NotImplementedError as exc:
            raise ConfigurationError(f"quiet hours holidays of {country}: {exc}") from exc

    def _subdivisions(self, country: str) -> Mapping[str, str]:
        if self.zone_subdivisions is not None:
            return self.zone_subdivisions
        return FRENCH_OVERSEAS_SUBDIVISIONS if country == "FR" else {}


def _at(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The instant (UTC) the clocks in ``zone`` show ``wall`` on ``day``.

    A wall time skipped by a spring-forward change resolves to the instant just
    after the gap (02:30 → 03:30); one repeated in autumn to its first occurrence.
    """
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)


@lru_cache(maxsize=256)
def _zone(name: str, what: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigurationError(f"quiet hours: {what} {name!r} is not an IANA time zone") from exc


@lru_cache(maxsize=4096)
def _phone_zone(e164: str) -> ZoneInfo | None:
    """The zone of a phone number when its numbering plan gives exactly one."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    zones: Iterable[str] = phone_timezones.time_zones_for_number(number)
    candidates = [z for z in zones if z != phone_timezones.UNKNOWN_TIMEZONE]
    if len(candidates) != 1:
        return None
    try:
        return ZoneInfo(candidates[0])
    except (ZoneInfoNotFoundError, ValueError):
        return None


@lru_cache(maxsize=512)
def _holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """The public holidays of one year, frozen (``holidays`` objects grow as they are read)."""
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


DEFAULT_QUIET_HOURS = QuietHours()
"""Commercial SMS Monday to Saturday, 08:00-20:00 local time, never on French public holidays."""

NO_QUIET_HOURS = QuietHours(channels=frozenset())
"""A policy that holds nothing (for shops with their own scheduling, and for tests)."""
