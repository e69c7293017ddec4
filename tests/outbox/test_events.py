"""Delivery events recorded into the outbox, and the suppression list ``put`` and ``dispatch`` obey.

On a real SQLite file and a real PostgreSQL server, as the rest of the outbox.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from relationclient import Composer, Shop, samples
from relationclient.events import Event, EventType
from relationclient.messages import Email, Sms
from relationclient.outbox import Outbox, RecordReport
from relationclient.outbox import store as store_module
from relationclient.transports import MemoryTransport

from .conftest import Clock, MakeOutbox, connect

CUSTOMER = "camille.dupont@example.fr"
MOBILE = "+33612345678"
SHOP = "maison-lumiere.fr"


def composer(shop: Shop | None = None) -> Composer:
    return Composer(
        shop or samples.shop(),
        unsubscribe_url=samples.UNSUBSCRIBE_URL,
        unsubscribe_secret=samples.UNSUBSCRIBE_SECRET,
    )


def email(kind: str = "order_confirmation", *, shop: Shop | None = None, seed: int = 0) -> Email:
    return composer(shop).email(kind, **samples.context(kind, "fr", seed=seed))


def sms(kind: str = "shipment_sent", *, shop: Shop | None = None, seed: int = 0) -> Sms:
    return composer(shop).sms(kind, **samples.context(kind, "fr", seed=seed))


def second_shop() -> Shop:
    data = samples.shop().model_dump()
    data.update(name="Atelier Papier", website="https://atelier-papier.fr", id=None)
    return Shop.model_validate(data)


def event(kind: EventType, channel: str = "email", **fields: Any) -> Event:
    defaults: dict[str, Any] = {
        "recipient": CUSTOMER if channel == "email" else MOBILE,
        "provider": "postmark" if channel == "email" else "twilio",
        "occurred_at": datetime(2026, 3, 10, 9, 30, tzinfo=UTC),
    }
    return Event(type=kind, channel=channel, **{**defaults, **fields})  # type: ignore[arg-type]


def execute(url: str, statement: str) -> None:
    """One statement on a connection of its own, committed."""
    conn = connect(url)
    conn.execute(statement)
    conn.commit()
    conn.close()


def sent(outbox: Outbox, *messages: Email | Sms) -> MemoryTransport:
    """Put and dispatch ``messages``; the transport that took them."""
    for message in messages:
        outbox.put(message)
    transport = MemoryTransport()
    assert outbox.dispatch(transport).sent == len(messages)
    return transport


# -- recording ------------------------------------------------------------------------------
def test_events_attach_by_echoed_key_or_by_the_receipts_message_id(outbox: Outbox) -> None:
    confirmation, shipment = email(), sms()
    sent(outbox, confirmation, shipment)
    stored = outbox.get(shipment.idempotency_key)
    assert stored is not None
    assert stored.provider_message_id
    assert stored.shop_id == SHOP

    report = outbox.record_events(
        [
            event(EventType.DELIVERED, idempotency_key=confirmation.idempotency_key),
            event(EventType.DELIVERED, "sms", provider_message_id=stored.provider_message_id),
            event(EventType.OPENED, provider_message_id="unknown-to-the-outbox"),
        ]
    )
    assert report == RecordReport(recorded=3, attached=2)
    [by_key] = outbox.events(confirmation.idempotency_key)
    assert (by_key.type, by_key.provider) == (EventType.DELIVERED, "postmark")
    [by_message_id] = outbox.events(shipment.idempotency_key)
    assert by_message_id.idempotency_key == shipment.idempotency_key  # filled in when attached
    assert outbox.events("no-such-key-000") == []


def test_an_event_before_its_entry_was_recorded_sent_still_shows_in_its_history(
    outbox: Outbox,
) -> None:
    # Twilio's callback can beat the dispatcher's commit: the event comes first.
    shipment = sms()
    outbox.put(shipment)
    transport = MemoryTransport()
    outbox.dispatch(transport)
    entry = outbox.get(shipment.idempotency_key)
    assert entry is not None
    early = event(
        EventType.DELIVERED, "sms", provider_message_id=entry.provider_message_id, event_id="e1"
    )
    # As if the dispatcher had not recorded the receipt yet:
    execute(outbox.url, "UPDATE relationclient_outbox SET provider_message_id = NULL")
    assert outbox.record_events([early]).attached == 0
    execute(
        outbox.url,
        f"UPDATE relationclient_outbox SET provider_message_id = '{entry.provider_message_id}'",
    )
    assert [e.type for e in outbox.events(shipment.idempotency_key)] == [EventType.DELIVERED]


def test_the_same_event_twice_is_recorded_once(outbox: Outbox) -> None:
    bounce = event(EventType.BOUNCED, hard=True, event_id="bounce:42")
    assert outbox.record_events([bounce, bounce]) == RecordReport(
        recorded=1, duplicates=1, suppressed=1
    )
    assert outbox.record_events([bounce]) == RecordReport(duplicates=1)
    # Without an event id: the provider, the message id, the type and the time decide.
    delivered = event(EventType.DELIVERED, provider_message_id="m-1")
    assert outbox.record_events([delivered, delivered.model_copy()]).recorded == 1
    later = delivered.model_copy(update={"occurred_at": delivered.occurred_at + timedelta(1)})
    assert outbox.record_events([later]).recorded == 1


def test_the_same_event_from_two_processes_at_once_is_recorded_once(
    make_outbox: MakeOutbox,
) -> None:
    outboxes = [make_outbox() for _ in range(4)]
    outboxes[0].counts()
    outboxes[0].put(email())  # tables made: the race is on the row
    bounce = event(EventType.BOUNCED, hard=True, event_id="bounce:7")
    reports: list[RecordReport] = []
    barrier = threading.Barrier(len(outboxes))

    def record(outbox: Outbox) -> None:
        barrier.wait()
        reports.append(outbox.record_events([bounce]))

    threads = [threading.Thread(target=record, args=(o,)) for o in outboxes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.recorded for r in reports) == [0, 0, 0, 1]
    assert sum(r.suppressed for r in reports) == 1


def test_nothing_is_half_recorded(outbox: Outbox, monkeypatch: pytest.MonkeyPatch) -> None:
    confirmation = email()
    sent(outbox, confirmation)
    original = store_module.Store._suppress
    calls = []

    def fails_the_second_time(self: store_module.Store, cursor: Any, line: Any) -> bool:
        calls.append(line)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return original(self, cursor, line)

    monkeypatch.setattr(store_module.Store, "_suppress", fails_the_second_time)
    batch = [
        event(EventType.DELIVERED, idempotency_key=confirmation.idempotency_key),
        event(EventType.BOUNCED, hard=True, event_id="b1"),
        event(EventType.COMPLAINED, event_id="c1", recipient="zoe@example.fr"),
    ]
    with pytest.raises(RuntimeError, match="went away"):
        outbox.record_events(batch)
    assert outbox.events(confirmation.idempotency_key) == []
    assert outbox.suppressions(SHOP) == []
    assert outbox.suppressions() == []
    monkeypatch.undo()
    assert outbox.record_events(batch).recorded == 3  # the provider's retry records it all


# -- the suppression list, obeyed ---------------------------------------------------------------
def test_a_hard_bounce_stops_every_later_email_to_that_address(outbox: Outbox) -> None:
    confirmation = email()
    sent(outbox, confirmation)
    queued = outbox.put(email("shipment_sent"))  # already waiting when the bounce comes
    soft = event(EventType.BOUNCED, event_id="b0", idempotency_key=confirmation.idempotency_key)
    assert outbox.record_events([soft]).suppressed == 0  # a soft bounce stops nothing
    hard = event(
        EventType.BOUNCED,
        hard=True,
        event_id="b1",
        idempotency_key=confirmation.idempotency_key,
        description="550 5.1.1 unknown user",
    )
    assert outbox.record_events([hard]).suppressed == 1
    [line] = outbox.suppressions(SHOP)
    assert (line.channel, line.recipient, line.scope, line.reason) == (
        "email",
        CUSTOMER,
        "all",
        "bounced",
    )
    assert (line.provider, line.description) == ("postmark", "550 5.1.1 unknown user")

    transport = MemoryTransport()
    report = outbox.dispatch(transport)
    assert (report.claimed, report.sent, report.suppressed) == (1, 0, 1)
    assert transport.outbox == []
    stopped = outbox.get(queued.idempotency_key)
    assert stopped is not None
    assert stopped.state == "suppressed"
    assert stopped.attempts == 0  # not an attempt
    assert "hard bounce reported by postmark on 2026-03-10" in (stopped.last_error or "")

    later = outbox.put(email("delivery_check"))  # at put, now
    assert later.state == "suppressed"
    assert "550 5.1.1" in (later.last_error or "")
    assert outbox.put(sms()).state == "queued"  # the SMS channel is another matter
    assert outbox.counts()["suppressed"] == 2


def test_case_does_not_matter_in_addresses(outbox: Outbox) -> None:
    sent(outbox, email())
    outbox.record_events([event(EventType.COMPLAINED, recipient="Camille.Dupont@Example.FR")])
    assert outbox.put(email("shipment_sent")).state == "suppressed"


def test_an_unsubscribe_stops_marketing_email_only(outbox: Outbox) -> None:
    sent(outbox, email())
    outbox.record_events([event(EventType.UNSUBSCRIBED)])
    assert outbox.put(email("delivery_check")).state == "suppressed"  # marketing
    assert outbox.put(email("shipment_sent")).state == "queued"  # transactional still goes
    assert outbox.dispatch(MemoryTransport()).sent == 1


def test_a_stop_stops_marketing_sms_not_the_shipment_sms_and_start_lifts_it(
    outbox: Outbox,
) -> None:
    sent(outbox, sms("order_confirmation"))
    stop = event(EventType.OPTED_OUT, "sms", event_id="SMin1", shop_address="36111")
    assert outbox.record_events([stop]).suppressed == 1
    promo = outbox.put(sms("delivery_check"))
    shipment = outbox.put(sms("shipment_sent"))
    assert (promo.state, shipment.state) == ("suppressed", "queued")
    assert "texted STOP" in (promo.last_error or "")
    transport = MemoryTransport()
    assert outbox.dispatch(transport).sent == 1
    assert [m.kind for m in transport.outbox] == ["shipment_sent"]

    start = event(EventType.OPTED_IN, "sms", event_id="SMin2")
    assert outbox.record_events([start]) == RecordReport(recorded=1, lifted=1)
    assert outbox.suppressions(SHOP) == []
    assert outbox.requeue([promo]) == 1  # the shop's choice: send the promo after all
    assert outbox.dispatch(transport).sent == 1


def test_a_number_that_cannot_receive_sms_stops_every_sms(outbox: Outbox) -> None:
    shipment = sms()
    sent(outbox, shipment)
    entry = outbox.get(shipment.idempotency_key)
    assert entry is not None
    landline = event(
        EventType.BOUNCED,
        "sms",
        hard=True,
        provider_message_id=entry.provider_message_id,
        event_id="x:undelivered",
    )
    assert outbox.record_events([landline]) == RecordReport(recorded=1, attached=1, suppressed=1)
    assert outbox.put(sms("order_confirmation")).state == "suppressed"
    assert outbox.put(email()).state == "queued"


def test_a_stop_nobody_can_place_goes_to_the_shops_that_texted_the_number(
    make_outbox: MakeOutbox,
) -> None:
    outbox = make_outbox()
    other = second_shop()
    sent(outbox, sms(), sms(shop=other))
    # STOP texted to the short number of the footer: no entry, both shops texted the customer.
    stop = event(EventType.OPTED_OUT, "sms", event_id="SMin1", shop_address="36111")
    assert outbox.record_events([stop]).suppressed == 2
    assert [s.shop_id for s in outbox.suppressions(SHOP)] == [SHOP]
    assert [s.shop_id for s in outbox.suppressions("atelier-papier.fr")] == ["atelier-papier.fr"]
    # Texted to a sender one shop used: that shop only.
    outbox.unsuppress(MOBILE, channel="sms", shop_id=SHOP)
    outbox.unsuppress(MOBILE, channel="sms", shop_id="atelier-papier.fr")
    stop = event(EventType.OPTED_OUT, "sms", event_id="SMin2", shop_address="MaisonLum")
    assert outbox.record_events([stop]).suppressed == 2  # both sent as "MaisonLum": the sample
    # A shop given by the app wins; a number nobody texted goes to "no shop".
    stranger = event(EventType.OPTED_OUT, "sms", event_id="SMin3", recipient="+33698765432")
    assert outbox.record_events([stranger], shop_id="ml-prod").suppressed == 1
    assert [s.recipient for s in outbox.suppressions("ml-prod")] == ["+33698765432"]
    unknown = event(EventType.OPTED_OUT, "sms", event_id="SMin4", recipient="+33698765433")
    assert outbox.record_events([unknown]).suppressed == 1
    assert [s.recipient for s in outbox.suppressions()] == ["+33698765433"]


def test_suppression_lists_are_per_shop(outbox: Outbox) -> None:
    confirmation = email()
    sent(outbox, confirmation)
    bounce = event(EventType.BOUNCED, hard=True, idempotency_key=confirmation.idempotency_key)
    outbox.record_events([bounce])
    assert outbox.put(email("shipment_sent")).state == "suppressed"
    assert outbox.put(email("shipment_sent", shop=second_shop())).state == "queued"


def test_the_list_by_hand(outbox: Outbox, clock: Clock) -> None:
    assert outbox.suppressions() == []  # no tables yet: nothing, and none made
    line = outbox.suppress(
        CUSTOMER.upper(), channel="email", shop_id=SHOP, description="asked by phone"
    )
    assert (line.recipient, line.scope, line.reason, line.provider) == (
        CUSTOMER,
        "all",
        "manual",
        None,
    )
    assert line.created_at == clock.now
    assert outbox.suppress(CUSTOMER, channel="email", shop_id=SHOP, reason="x") == line  # kept
    outbox.suppress(MOBILE, channel="sms", shop_id=SHOP, scope="marketing")
    assert len(outbox.suppressions(SHOP)) == 2
    assert [s.channel for s in outbox.suppressions(SHOP, channel="sms")] == ["sms"]
    assert outbox.suppressions(SHOP, recipient=CUSTOMER)[0].description == "asked by phone"
    assert outbox.suppressions("another-shop") == []

    stopped = outbox.put(email())
    assert stopped.state == "suppressed"
    assert "added by hand" in (stopped.last_error or "")
    assert outbox.unsuppress(CUSTOMER, channel="email", shop_id=SHOP) == 1
    assert outbox.unsuppress(CUSTOMER, channel="email", shop_id=SHOP) == 0
    assert outbox.requeue([stopped]) == 1
    assert outbox.dispatch(MemoryTransport()).sent == 1
    with pytest.raises(ValueError, match="scope"):
        outbox.suppress(CUSTOMER, channel="email", scope="some")  # type: ignore[arg-type]


def test_requeue_of_a_still_suppressed_entry_suppresses_it_again(outbox: Outbox) -> None:
    outbox.suppress(CUSTOMER, channel="email", shop_id=SHOP)
    stopped = outbox.put(email())
    assert outbox.requeue() == 0  # "every dead entry": a suppressed one is not dead
    assert outbox.requeue([stopped]) == 1
    report = outbox.dispatch(MemoryTransport())
    assert (report.sent, report.suppressed) == (0, 1)


# -- the schema ------------------------------------------------------------------------------
#: The outbox's table as version 2 made it (a CHECK with four states).
TABLE_V2 = """CREATE TABLE relationclient_outbox (
    id {id} PRIMARY KEY {auto}, idempotency_key text NOT NULL UNIQUE, channel text NOT NULL,
    kind text NOT NULL, recipient text NOT NULL,
    state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'sent', 'dead')),
    attempts integer NOT NULL DEFAULT 0, not_before {instant} NOT NULL, lease_until {instant},
    owner text, last_error text, receipt text, created_at {instant} NOT NULL,
    updated_at {instant} NOT NULL, message text NOT NULL, lease_token {id} NOT NULL DEFAULT 0,
    size {id} NOT NULL DEFAULT 0, pinned_to text
)"""


def test_tables_of_version_2_are_upgraded_in_place(
    outbox_url: str, make_outbox: MakeOutbox, clock: Clock
) -> None:
    sqlite = outbox_url.startswith("sqlite")
    kinds = {
        "id": "INTEGER" if sqlite else "bigint",
        "auto": "AUTOINCREMENT" if sqlite else "GENERATED BY DEFAULT AS IDENTITY",
        "instant": "REAL" if sqlite else "timestamptz",
    }
    at: Any = clock.now.timestamp() if sqlite else clock.now
    mark = "?" if sqlite else "%s"
    confirmation, shipment, gone = email(), sms(), email("shipment_sent")
    receipt = (
        '{"message_id": "pm-1", "transport": "postmark", '
        '"accepted_at": "2026-03-10T09:00:00+00:00"}'
    )
    conn = connect(outbox_url)
    conn.execute("CREATE TABLE relationclient_outbox_schema (version integer NOT NULL)")
    conn.execute("INSERT INTO relationclient_outbox_schema VALUES (2)")
    conn.execute(TABLE_V2.format(**kinds))
    insert = (
        "INSERT INTO relationclient_outbox (idempotency_key, channel, kind, recipient, state, "
        f"not_before, created_at, updated_at, message, receipt) VALUES ({', '.join([mark] * 10)})"
    )
    for message, state in ((confirmation, "sent"), (shipment, "queued"), (gone, "sent")):
        conn.execute(
            insert,
            [message.idempotency_key, message.channel, message.kind, message.recipient, state,
             at, at, at, message.model_dump_json(), receipt if message is confirmation else None],
        )  # fmt: skip
    conn.execute("DELETE FROM relationclient_outbox WHERE id = 3")  # purged: id 3 never again
    conn.commit()
    conn.close()

    outbox = make_outbox()
    entry = outbox.get(confirmation.idempotency_key)  # a read upgrades them
    assert entry is not None
    assert (entry.shop_id, entry.provider_message_id, entry.state) == (SHOP, "pm-1", "sent")
    assert outbox.record_events([event(EventType.COMPLAINED, provider_message_id="pm-1")]) == (
        RecordReport(recorded=1, attached=1, suppressed=1)
    )
    waiting = outbox.get(shipment.idempotency_key)
    assert waiting is not None
    assert waiting.shop_id == SHOP
    again = outbox.put(email("delivery_check"))
    assert again.state == "suppressed"  # the new state passes the new CHECK
    assert again.id == 4
    conn = connect(outbox_url)
    versions = conn.execute("SELECT version FROM relationclient_outbox_schema").fetchall()
    senders = conn.execute("SELECT sender FROM relationclient_outbox ORDER BY id").fetchall()
    conn.close()
    assert [tuple(row) for row in versions] == [(3,)]
    shop_email = confirmation.sender.address
    assert [row[0] for row in senders] == [shop_email, shipment.sender, shop_email]
