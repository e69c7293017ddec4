"""``transport_from_url``: every scheme builds its transport; no secret is taken from a URL.

Construction only: no transport connects before its first message, so nothing
here touches the network.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from relationclient import ConfigurationError
from relationclient.transports import (
    BrevoEmailTransport,
    BrevoSmsTransport,
    ConsoleTransport,
    HTTPTransport,
    MaildirTransport,
    MailgunTransport,
    MailjetTransport,
    MemoryTransport,
    PostmarkTransport,
    SendGridTransport,
    SMTPTransport,
    TwilioSmsTransport,
    VonageSmsTransport,
)
from relationclient.transports.url import SCHEMES, transport_from_url

ENV = {
    "RELATIONCLIENT_SMTP_PASSWORD": "smtp-secret",
    "BREVO_API_KEY": "xkeysib-test",
    "POSTMARK_SERVER_TOKEN": "pm-token",
    "SENDGRID_API_KEY": "SG.test",
    "MAILGUN_API_KEY": "mg-key",
    "MAILJET_API_KEY": "mj-key",
    "MAILJET_SECRET_KEY": "mj-secret",
    "TWILIO_ACCOUNT_SID": "AC0123456789abcdef",
    "TWILIO_AUTH_TOKEN": "tw-token",
    "VONAGE_API_KEY": "vn-key",
    "VONAGE_API_SECRET": "vn-secret",
}

# scheme -> (a URL, its transport class, the environment variables it needs)
CASES = {
    "smtp": ("smtp://shop@smtp.example.net", SMTPTransport, ["RELATIONCLIENT_SMTP_PASSWORD"]),
    "smtps": ("smtps://shop@smtp.example.net", SMTPTransport, ["RELATIONCLIENT_SMTP_PASSWORD"]),
    "maildir": ("maildir:///var/mail/shop", MaildirTransport, []),
    "console": ("console://", ConsoleTransport, []),
    "memory": ("memory://", MemoryTransport, []),
    "brevo": ("brevo://", BrevoEmailTransport, ["BREVO_API_KEY"]),
    "brevo-sms": ("brevo-sms://", BrevoSmsTransport, ["BREVO_API_KEY"]),
    "postmark": ("postmark://", PostmarkTransport, ["POSTMARK_SERVER_TOKEN"]),
    "sendgrid": ("sendgrid://", SendGridTransport, ["SENDGRID_API_KEY"]),
    "mailgun": ("mailgun://mg.example.fr", MailgunTransport, ["MAILGUN_API_KEY"]),
    "mailjet": ("mailjet://", MailjetTransport, ["MAILJET_API_KEY", "MAILJET_SECRET_KEY"]),
    "twilio": ("twilio://", TwilioSmsTransport, ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"]),
    "vonage": ("vonage://", VonageSmsTransport, ["VONAGE_API_KEY", "VONAGE_API_SECRET"]),
}
HTTP_SCHEMES = [
    "brevo",
    "brevo-sms",
    "postmark",
    "sendgrid",
    "mailgun",
    "mailjet",
    "twilio",
    "vonage",
]


def test_every_scheme_is_covered() -> None:
    assert set(SCHEMES) == set(CASES)


@pytest.mark.parametrize("scheme", sorted(CASES))
def test_each_scheme_builds_its_transport(scheme: str) -> None:
    url, cls, _ = CASES[scheme]
    transport = transport_from_url(url, ENV)
    assert type(transport) is cls
    assert isinstance(transport.name, str)


@pytest.mark.parametrize("scheme", sorted(s for s in CASES if CASES[s][2]))
def test_each_missing_variable_is_named(scheme: str) -> None:
    url, _, variables = CASES[scheme]
    for name in variables:
        environ = {k: v for k, v in ENV.items() if k != name}
        with pytest.raises(ConfigurationError, match=name) as caught:
            transport_from_url(url, environ)
        assert "in the environment" in str(caught.value)
    with pytest.raises(ConfigurationError, match=variables[0]):
        transport_from_url(url, {variables[0]: ""})  # empty counts as missing


def test_smtp_takes_where_from_the_url_and_the_password_from_the_environment() -> None:
    smtp = transport_from_url("smtp://shop%40example.fr@smtp.example.net:2525?timeout=7", ENV)
    assert isinstance(smtp, SMTPTransport)
    assert (smtp.host, smtp.port, smtp.security, smtp.timeout) == (
        "smtp.example.net",
        2525,
        "starttls",
        7.0,
    )
    assert (smtp.username, smtp.password) == ("shop@example.fr", "smtp-secret")
    relay = transport_from_url("smtp://relay.internal?security=none", {})
    assert isinstance(relay, SMTPTransport)
    assert (relay.port, relay.security, relay.username, relay.password) == (587, "none", None, None)
    tls = transport_from_url("smtps://shop@smtp.example.net", ENV)
    assert isinstance(tls, SMTPTransport)
    assert (tls.port, tls.security) == (465, "ssl")


def test_local_transports(tmp_path: Path) -> None:
    maildir = transport_from_url(f"maildir://{tmp_path}/box", {})
    assert isinstance(maildir, MaildirTransport)
    assert maildir.path == tmp_path / "box"
    relative = transport_from_url("maildir://outbox/shop", {})
    assert isinstance(relative, MaildirTransport)
    assert relative.path == Path("outbox/shop")
    console = transport_from_url("console://?html=1", {})
    assert isinstance(console, ConsoleTransport)
    assert console.show_html
    memory = transport_from_url("memory://", {})
    assert isinstance(memory, MemoryTransport)
    assert memory.outbox == []


def test_http_providers_take_their_credentials_and_options() -> None:
    brevo = transport_from_url("brevo://", ENV)
    assert isinstance(brevo, BrevoEmailTransport)
    assert brevo.auth() == {"api-key": "xkeysib-test"}
    assert brevo.base_url == "https://api.brevo.com"
    sendgrid = transport_from_url("sendgrid://?timeout=3", ENV)
    assert isinstance(sendgrid, SendGridTransport)
    assert sendgrid.auth() == {"Authorization": "Bearer SG.test"}
    assert sendgrid.timeout == 3.0
    postmark = transport_from_url("postmark://?stream=broadcast", ENV)
    assert isinstance(postmark, PostmarkTransport)
    assert postmark.message_stream == "broadcast"
    assert postmark.auth() == {"X-Postmark-Server-Token": "pm-token"}
    default_stream = transport_from_url("postmark://", ENV)
    assert isinstance(default_stream, PostmarkTransport)
    assert default_stream.message_stream == "outbound"
    mailgun = transport_from_url("mailgun://mg.example.fr?region=eu", ENV)
    assert isinstance(mailgun, MailgunTransport)
    assert (mailgun.domain, mailgun.region) == ("mg.example.fr", "eu")
    assert mailgun.base_url == "https://api.eu.mailgun.net"
    mailjet = transport_from_url("mailjet://", ENV)
    assert isinstance(mailjet, MailjetTransport)
    assert isinstance(mailjet.auth(), httpx.BasicAuth)
    twilio = transport_from_url("twilio://", ENV)
    assert isinstance(twilio, TwilioSmsTransport)
    assert twilio.account_sid == "AC0123456789abcdef"
    vonage = transport_from_url("vonage://", ENV)
    assert isinstance(vonage, VonageSmsTransport)
    assert vonage.channels == frozenset({"sms"})


@pytest.mark.parametrize("scheme", HTTP_SCHEMES)
def test_http_providers_accept_a_base_url(scheme: str) -> None:
    url, _, _ = CASES[scheme]
    separator = "&" if "?" in url else "?"
    transport = transport_from_url(f"{url}{separator}base_url=http://127.0.0.1:8080/api/", ENV)
    assert isinstance(transport, HTTPTransport)
    assert transport.base_url == "http://127.0.0.1:8080/api"


@pytest.mark.parametrize("scheme", HTTP_SCHEMES)
def test_http_providers_take_a_bound_on_requests_in_flight(scheme: str) -> None:
    url, _, _ = CASES[scheme]
    separator = "&" if "?" in url else "?"
    bounded = transport_from_url(f"{url}{separator}concurrency=16", ENV)
    default = transport_from_url(url, ENV)
    assert isinstance(bounded, HTTPTransport)
    assert isinstance(default, HTTPTransport)
    assert bounded.concurrency == 16
    assert default.concurrency == type(default).default_concurrency


@pytest.mark.parametrize("value", ["0", "-2", "many", "1.5", ""])
def test_a_bad_bound_on_requests_in_flight_is_named(value: str) -> None:
    with pytest.raises(ConfigurationError, match=r"postmark://: concurrency must be a whole"):
        transport_from_url(f"postmark://?concurrency={value}", ENV)


@pytest.mark.parametrize(
    "url",
    [
        "smtp://shop:hunter2@smtp.example.net",
        "smtps://shop:hunter2@smtp.example.net:465",
        "brevo://:hunter2@",
        "twilio://AC123:hunter2@",
    ],
)
def test_a_password_in_the_url_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="contains a password") as caught:
        transport_from_url(url, ENV)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    ["brevo://?api_key=hunter2", "sendgrid://?token=hunter2", "smtp://h?password=hunter2"],
)
def test_a_secret_in_the_query_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="secrets come from the environment") as caught:
        transport_from_url(url, ENV)
    assert "hunter2" not in str(caught.value)


def test_a_key_as_user_name_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="takes no user name or key"):
        transport_from_url("sendgrid://SG.hunter2@", ENV)


def test_unknown_scheme_lists_the_known_ones() -> None:
    with pytest.raises(ConfigurationError) as caught:
        transport_from_url("sms://gateway", ENV)
    message = str(caught.value)
    assert "unknown transport URL 'sms://gateway'" in message
    for scheme in SCHEMES:
        assert f"{scheme}://" in message


@pytest.mark.parametrize(
    ("url", "match"),
    [
        (
            "sendgrid://?region=eu",
            "does not take 'region'; it takes: base_url, concurrency, timeout",
        ),
        ("mailgun://mg.example.fr?region=asia", "region must be us or eu"),
        ("mailgun://", "needs the sending domain"),
        ("smtp://shop@?security=starttls", "needs a host"),
        ("smtp://h?security=tls", "security must be starttls, ssl or none"),
        ("smtp://h?timeout=soon", "timeout must be seconds"),
        ("smtp://h:99999", "bad port"),
        ("maildir://", "needs a folder"),
    ],
)
def test_bad_urls_are_explained(url: str, match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        transport_from_url(url, ENV)


def test_the_process_environment_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENDGRID_API_KEY", "from-the-process")
    transport = transport_from_url("sendgrid://")
    assert isinstance(transport, SendGridTransport)
    assert transport.auth() == {"Authorization": "Bearer from-the-process"}
