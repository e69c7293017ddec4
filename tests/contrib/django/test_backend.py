"""Django's own mail through relationclient's EmailBackend: stored in the outbox as Django built it.

Text-only mails stay text-only, cc, bcc, reply-to, extra headers, HTML
alternatives and attachments are kept; the outbox's dispatch then sends them
through DjangoTransport — to Anymail's test ESP and, through Django's SMTP
backend, to a real SMTP server on loopback — and what arrives is parsed back
with the standard library.
"""

from __future__ import annotations

import email.policy
import io
import mailbox
from email.message import EmailMessage as ParsedMessage
from email.mime.image import MIMEImage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives, send_mail
from pydantic import ValidationError

from relationclient.contrib.django import get_outbox, get_transport, mail_message, put
from relationclient.contrib.django.transport import DjangoTransport
from relationclient.errors import (
    ConfigurationError,
    PermanentTransportError,
    UnsupportedMessageError,
)
from relationclient.messages import MailMessage
from relationclient.transports import (
    ConsoleTransport,
    FailoverTransport,
    MaildirTransport,
    MemoryTransport,
    PostmarkTransport,
    SMTPTransport,
)

from ...transports.sample_messages import composed_email
from ...transports.smtp_server import SMTPServer

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8


def notice() -> EmailMessage:
    """What a shop's code builds: text only, cc, bcc, reply-to, a header, two attachments."""
    message = EmailMessage(
        subject="Réclamation n° 2026-0457 — pièce jointe",
        body="Bonjour,\n\nVoici la facture demandée.\n\n-- \nMaison Lumière\n",
        from_email="Service client <service@maison-lumiere.fr>",
        to=["Camille Dupont <camille.dupont@example.fr>"],
        cc=["compta@maison-lumiere.fr"],
        bcc=["archives@maison-lumiere.fr"],
        reply_to=["sav@maison-lumiere.fr"],
        headers={"X-Ticket": "2026-0457"},
    )
    message.attach("facture.pdf", PDF, "application/pdf")
    message.attach("note.txt", "Livrée le 10 mars.\n", "text/plain")
    return message


def parse(data: bytes) -> ParsedMessage:
    parsed = BytesParser(policy=email.policy.default).parsebytes(data)
    assert isinstance(parsed, ParsedMessage)
    return parsed


def assert_same_mail(parsed: ParsedMessage, sent: EmailMessage) -> None:
    """``parsed`` says what Django's ``sent`` said: headers, body, attachments; no Bcc."""
    # Django's own writer (its SMTP backend's) folds a long encoded subject after the colon,
    # which reads back with a leading space; ours does not.
    assert parsed["Subject"].lstrip() == sent.subject
    assert parsed["Message-ID"] == sent.extra_headers["Message-ID"]
    assert parsed["X-Ticket"] == sent.extra_headers["X-Ticket"]
    assert "Bcc" not in parsed
    for header, values in (("From", [sent.from_email]), ("To", sent.to), ("Cc", sent.cc)):
        expected = [
            a.addr_spec
            for a in parse(f"{header}: {', '.join(values)}\n\n".encode())[header].addresses
        ]
        assert [a.addr_spec for a in parsed[header].addresses] == expected
    assert [a.addr_spec for a in parsed["Reply-To"].addresses] == sent.reply_to
    body = parsed.get_body(("plain",))
    assert body is not None
    assert body.get_content().replace("\r\n", "\n") == sent.body
    assert parsed.get_body(("html",)) is None  # text only: no HTML part was invented
    attachments = {part.get_filename(): part for part in parsed.iter_attachments()}
    assert attachments["facture.pdf"].get_content() == PDF
    assert attachments["facture.pdf"].get_content_type() == "application/pdf"
    assert attachments["note.txt"].get_content_type() == "text/plain"


def test_a_django_mail_is_stored_in_its_own_shape(shop_settings: Any) -> None:
    sent = notice()
    assert sent.send() == 1
    message_id = sent.extra_headers["Message-ID"]  # set by the backend, written back
    stored = mail_message(sent)  # the same message again: same Message-ID, same key
    entry = get_outbox().get(stored.idempotency_key)
    assert entry is not None
    assert (entry.channel, entry.kind, entry.state) == ("email", "django_mail", "queued")
    assert entry.recipient == "camille.dupont@example.fr"
    kept = entry.message
    assert isinstance(kept, MailMessage)
    assert kept.message_id == message_id
    assert kept.recipients == (
        "camille.dupont@example.fr",
        "compta@maison-lumiere.fr",
        "archives@maison-lumiere.fr",
    )
    assert (kept.body, kept.body_subtype, kept.alternatives) == (sent.body, "plain", ())
    assert [a.filename for a in kept.attachments] == ["facture.pdf", "note.txt"]
    assert_same_mail(parse(kept.as_bytes()), sent)


def test_the_same_mail_sent_twice_is_stored_once(shop_settings: Any) -> None:
    sent = notice()
    sent.send()
    sent.send()  # a retried job: same Message-ID
    assert get_outbox().counts()["queued"] == 1


def test_send_mail_with_an_html_alternative_is_dispatched_to_the_esp(shop_settings: Any) -> None:
    html = "<p>Lien : <a href='https://www.maison-lumiere.fr/reset/abc'>ici</a></p>"
    text = "Lien : https://www.maison-lumiere.fr/reset/abc\n"
    assert send_mail("Mot de passe", text, None, ["camille.dupont@example.fr"], html_message=html)
    report = get_outbox().dispatch(get_transport())
    assert (report.sent, report.dead) == (1, 0)
    [delivered] = mail.outbox  # Anymail's test ESP, through RELATIONCLIENT["EMAIL_BACKEND"]
    params = delivered.anymail_test_params
    assert (params["text_body"], params["html_body"]) == (text, html)
    assert params["from"].addr_spec == "boutique@maison-lumiere.fr"  # DEFAULT_FROM_EMAIL


def test_cc_bcc_and_attachments_reach_the_esp(shop_settings: Any) -> None:
    sent = notice()
    sent.send()
    assert get_outbox().dispatch(get_transport()).sent == 1
    [delivered] = mail.outbox
    params = delivered.anymail_test_params
    assert [a.addr_spec for a in params["cc"]] == ["compta@maison-lumiere.fr"]
    assert [a.addr_spec for a in params["bcc"]] == ["archives@maison-lumiere.fr"]
    assert "html_body" not in params  # text only
    assert params["extra_headers"]["Message-ID"] == sent.extra_headers["Message-ID"]
    assert [(a.name, a.content) for a in params["attachments"]] == [
        ("facture.pdf", PDF),
        ("note.txt", "Livrée le 10 mars.\n"),
    ]


def test_dispatched_through_django_smtp_to_a_real_server(
    shop_settings: Any, start_smtp_server: Any
) -> None:
    server: SMTPServer = start_smtp_server()
    sent = notice()
    sent.send()
    smtp = DjangoTransport(
        "django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1", port=server.port
    )
    with smtp:
        assert get_outbox().dispatch(smtp).sent == 1
    [received] = server.received
    assert received.rcpt_tos == [
        "camille.dupont@example.fr",
        "compta@maison-lumiere.fr",
        "archives@maison-lumiere.fr",
    ]
    assert_same_mail(parse(received.data), sent)


def test_fail_silently_skips_what_cannot_be_stored(shop_settings: Any) -> None:
    def bad() -> EmailMessage:
        message = notice()
        message.extra_headers["Bcc"] = "leak@example.com"  # would reveal the bcc: refused
        return message

    with pytest.raises(ValidationError, match="Bcc"):
        bad().send()
    assert bad().send(fail_silently=True) == 0
    assert get_outbox().counts()["queued"] == 0


def test_fail_silently_without_an_outbox(shop_settings: Any) -> None:
    shop_settings.RELATIONCLIENT = {**shop_settings.RELATIONCLIENT, "OUTBOX": None}
    assert notice().send(fail_silently=True) == 0
    with pytest.raises(ConfigurationError, match=r'RELATIONCLIENT\["OUTBOX"\]'):
        notice().send()


def test_several_messages_one_put_each(shop_settings: Any) -> None:
    messages = [notice(), notice(), notice()]
    with mail.get_connection() as connection:
        assert connection.send_messages(messages) == 3
    assert get_outbox().counts()["queued"] == 3
    assert len({m.extra_headers["Message-ID"] for m in messages}) == 3


def test_dispatched_through_memory_from_the_transport_url(shop_settings: Any) -> None:
    shop_settings.RELATIONCLIENT = {**shop_settings.RELATIONCLIENT, "TRANSPORT": "memory://"}
    sent = notice()
    sent.send()
    transport = get_transport()
    assert isinstance(transport, MemoryTransport)
    assert get_outbox().dispatch(transport).sent == 1
    [kept] = transport.outbox
    assert isinstance(kept, MailMessage)
    assert transport.receipts[0].message_id == sent.extra_headers["Message-ID"]
    assert_same_mail(parse(kept.as_bytes()), sent)


def test_dispatched_into_a_maildir(shop_settings: Any, tmp_path: Path) -> None:
    sent = notice()
    sent.send()
    assert get_outbox().dispatch(MaildirTransport(tmp_path / "mail")).sent == 1
    [(_, stored)] = mailbox.Maildir(tmp_path / "mail", create=False).items()
    assert_same_mail(parse(stored.as_bytes()), sent)


def test_printed_by_the_console(shop_settings: Any) -> None:
    sent = notice()
    sent.send()
    printed = io.StringIO()
    assert get_outbox().dispatch(ConsoleTransport(printed)).sent == 1
    text = printed.getvalue()
    for line in ("Cc:", "Bcc:", "archives@maison-lumiere.fr", "facture.pdf", sent.body.strip()):
        assert line in text


def test_http_providers_refuse_it_naming_the_type(shop_settings: Any) -> None:
    sent = notice()
    sent.send()
    postmark = PostmarkTransport("server-token", base_url="http://127.0.0.1:9")
    with pytest.raises(UnsupportedMessageError, match="MailMessage"):
        postmark.send(mail_message(sent))
    report = get_outbox().dispatch(postmark)
    assert (report.sent, report.dead) == (0, 1)


def test_dispatched_through_the_smtp_transport_url(
    shop_settings: Any, start_smtp_server: Any
) -> None:
    server: SMTPServer = start_smtp_server()
    shop_settings.RELATIONCLIENT = {
        **shop_settings.RELATIONCLIENT,
        "TRANSPORT": f"smtp://127.0.0.1:{server.port}?security=none",
    }
    sent = notice()
    sent.send()
    assert get_outbox().dispatch(get_transport()).sent == 1
    [received] = server.received
    assert received.rcpt_tos == [
        "camille.dupont@example.fr",
        "compta@maison-lumiere.fr",
        "archives@maison-lumiere.fr",
    ]
    assert_same_mail(parse(received.data), sent)


def test_one_refused_recipient_sends_to_none(shop_settings: Any, start_smtp_server: Any) -> None:
    server: SMTPServer = start_smtp_server()
    smtp = SMTPTransport("127.0.0.1", server.port, security="none")
    server.reply("RCPT", "250 OK", "550 5.1.1 no such user")  # the cc is refused
    with pytest.raises(PermanentTransportError) as refused:
        smtp.send(mail_message(notice()))
    assert refused.value.code == 550
    smtp.close()
    assert server.received == []


def test_put_joins_the_django_transaction(shop_settings: Any, django_db_blocker: Any) -> None:
    from django.conf import settings
    from django.db import transaction

    database = settings.DATABASES["default"]["NAME"]
    shop_settings.RELATIONCLIENT = {
        **shop_settings.RELATIONCLIENT,
        "OUTBOX": f"sqlite:///{database}",
        "DATABASE": "default",
    }
    outbox = get_outbox()
    with django_db_blocker.unblock():
        rolled_back, committed = notice(), notice()
        confirmation = composed_email()

        def order_that_fails() -> None:
            with transaction.atomic():
                put(confirmation)
                rolled_back.send()
                raise RuntimeError("the order failed")

        with pytest.raises(RuntimeError):
            order_that_fails()
        assert outbox.get(confirmation.idempotency_key) is None
        assert outbox.get(mail_message(rolled_back).idempotency_key) is None
        with transaction.atomic():
            put(confirmation)
            committed.send()
        assert outbox.get(confirmation.idempotency_key) is not None
        assert outbox.get(mail_message(committed).idempotency_key) is not None


def test_database_must_be_a_django_database(shop_settings: Any) -> None:
    shop_settings.RELATIONCLIENT = {**shop_settings.RELATIONCLIENT, "DATABASE": "elsewhere"}
    with pytest.raises(ConfigurationError, match=r'RELATIONCLIENT\["DATABASE"\]'):
        put(composed_email())


LOGO = b"\x89PNG\r\n\x1a\n" + bytes(64)


def with_logo_and_forward() -> EmailMultiAlternatives:
    """HTML showing an inline logo by its Content-ID, and a forwarded mail attached."""
    message = EmailMultiAlternatives(
        "Votre commande est partie",
        "Votre commande est partie.\n",
        None,
        ["camille.dupont@example.fr"],
    )
    message.attach_alternative('<p><img src="cid:logo@maison-lumiere.fr"> Partie.</p>', "text/html")
    logo = MIMEImage(LOGO, "png")
    logo["Content-ID"] = "<logo@maison-lumiere.fr>"
    logo.add_header("Content-Disposition", "inline", filename="logo.png")
    message.attach(logo)
    message.attach(
        "transporteur.eml",
        EmailMessage("Colis pris en charge", "Pris en charge.", None, ["x@example.com"]),
        "message/rfc822",
    )
    return message


def test_inline_images_and_forwarded_mail_are_kept(shop_settings: Any) -> None:
    sent = with_logo_and_forward()
    sent.send()
    entry = get_outbox().get(mail_message(sent).idempotency_key)
    assert entry is not None
    kept = entry.message
    assert isinstance(kept, MailMessage)
    parsed = parse(kept.as_bytes())
    logo = next(p for p in parsed.walk() if p["Content-ID"] == "<logo@maison-lumiere.fr>")
    assert (logo.get_content_disposition(), logo.get_content()) == ("inline", LOGO)
    forwarded = next(p for p in parsed.walk() if p.get_content_type() == "message/rfc822")
    assert forwarded.get_content()["Subject"] == "Colis pris en charge"
    assert get_outbox().dispatch(get_transport()).sent == 1
    [delivered] = mail.outbox
    [inline, attached] = delivered.anymail_test_params["attachments"]
    assert (inline.inline, inline.content_id, inline.content) == (
        True,
        "<logo@maison-lumiere.fr>",
        LOGO,
    )
    assert attached.mimetype == "message/rfc822"


def test_failover_moves_past_a_provider_that_cannot_carry_it(shop_settings: Any) -> None:
    sent = notice()
    sent.send()
    memory = MemoryTransport()
    postmark = PostmarkTransport("server-token", base_url="http://127.0.0.1:9")
    assert get_outbox().dispatch(FailoverTransport([postmark, memory])).sent == 1
    [kept] = memory.outbox
    assert isinstance(kept, MailMessage)
    assert kept.message_id == sent.extra_headers["Message-ID"]
