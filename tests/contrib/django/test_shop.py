"""The shop's order view, the dispatch command and the system checks, in the real project.

Django's test client places an order: the confirmation (relationclient's
Email) and the staff's notice (a Django ``send_mail``) both land in the outbox,
nothing is sent during the request; ``call_command("relationclient_dispatch")``
sends both through DjangoTransport to Anymail's test ESP.
"""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.test import Client
from shopsite.mail import ScriptedESP

from relationclient import Email
from relationclient.contrib.django import get_outbox

from .test_transport import SCRIPTED, FakeResponse


def place_order(seed: int = 0) -> dict[str, Any]:
    answer = Client().post("/orders/", {"locale": "fr", "seed": str(seed)})
    assert answer.status_code == 200, answer.content
    return dict(answer.json())


def dispatch(*args: str) -> str:
    out = StringIO()
    call_command("relationclient_dispatch", *args, stdout=out)
    return out.getvalue()


def test_an_order_stores_both_mails_and_the_command_sends_them(shop_settings: Any) -> None:
    placed = place_order()
    assert placed["state"] == "queued"
    assert get_outbox().counts()["queued"] == 2
    assert mail.outbox == []  # nothing left during the request
    printed = dispatch()
    assert "sent 2" in printed
    assert get_outbox().counts()["sent"] == 2
    subjects = sorted(m.anymail_test_params["subject"] for m in mail.outbox)
    entry = get_outbox().get(placed["confirmation"])
    assert entry is not None
    assert entry.receipt is not None
    assert entry.receipt.transport == "django"
    confirmation = entry.message
    assert isinstance(confirmation, Email)
    assert subjects == sorted([confirmation.subject, f"Nouvelle commande {placed['order']}"])


def test_limit_sends_no_more(shop_settings: Any) -> None:
    place_order(0)
    place_order(1)
    assert "sent 3" in dispatch("--limit", "3")
    counts = get_outbox().counts()
    assert (counts["sent"], counts["queued"]) == (3, 1)
    assert "sent 1" in dispatch("--workers", "2")


def test_loop_runs_its_rounds(shop_settings: Any) -> None:
    place_order()
    printed = dispatch("--loop", "0.01", "--rounds", "3")
    assert printed.count("Dispatched:") == 1  # rounds with nothing to do print nothing
    assert get_outbox().counts()["sent"] == 2


def test_an_entry_parked_dead_fails_the_command(shop_settings: Any) -> None:
    shop_settings.RELATIONCLIENT = {**shop_settings.RELATIONCLIENT, "EMAIL_BACKEND": SCRIPTED}
    place_order()
    from anymail.exceptions import AnymailAPIError

    ScriptedESP.answers[:] = [
        AnymailAPIError("invalid recipient", status_code=422, response=FakeResponse(422))
    ]
    try:
        with pytest.raises(CommandError, match="1 entry parked dead") as failed:
            dispatch()
    finally:
        ScriptedESP.answers[:] = []
    assert failed.value.returncode == 1
    assert get_outbox().counts()["dead"] == 1


def test_missing_settings_fail_the_command_naming_them(shop_settings: Any) -> None:
    shop_settings.RELATIONCLIENT = {"OUTBOX": shop_settings.RELATIONCLIENT["OUTBOX"]}
    with pytest.raises(CommandError, match=r'RELATIONCLIENT\["TRANSPORT"\] is not set'):
        dispatch()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, []),
        ({"OUTBOX": None}, ["relationclient.E002"]),
        ({"OUTBOX": "mysql://shop@db/shop"}, ["relationclient.E003"]),
        ({"TRANSPORT": None}, ["relationclient.E004"]),
        ({"TRANSPORT": "smtp://shop:secret@smtp.example.net"}, ["relationclient.E005"]),
        ({"TRANSPORT": "pigeon://"}, ["relationclient.E005"]),
        ({"EMAIL_BACKEND": "relationclient.contrib.django.EmailBackend"}, ["relationclient.E006"]),
        ({"EMAIL_BACKEND": "anymail.backends.nowhere.EmailBackend"}, ["relationclient.E007"]),
        ({"WEBHOOKS": {"pigeon": "x"}}, ["relationclient.E008"]),
        ({"WEBHOOKS": {"twilio": "token"}}, ["relationclient.E008"]),  # no WEBHOOK_PUBLIC_URL
        ({"OUTBOUND": "typo"}, ["relationclient.E001"]),
        ({"DATABASE": "elsewhere"}, ["relationclient.E009"]),
        ({"OUTBOX": None, "TRANSPORT": None}, ["relationclient.E002", "relationclient.E004"]),
    ],
)
def test_system_checks(shop_settings: Any, changes: dict[str, Any], expected: list[str]) -> None:
    shop_settings.RELATIONCLIENT = {**shop_settings.RELATIONCLIENT, **changes}
    messages = run_checks(tags=["relationclient"])
    assert sorted(m.id for m in messages) == expected
    for message in messages:
        assert "RELATIONCLIENT" in message.msg


def test_checks_run_with_manage_py_check(shop_settings: Any) -> None:
    shop_settings.RELATIONCLIENT = {**shop_settings.RELATIONCLIENT, "OUTBOX": None}
    with pytest.raises(SystemCheckError, match=r"relationclient\.E002"):
        call_command("check", stdout=StringIO(), stderr=StringIO())
