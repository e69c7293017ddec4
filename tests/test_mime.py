"""What :meth:`Email.to_mime` writes: list headers as they are, bodies that read back intact.

The list headers are folded between their ``<…>`` items, never encoded. Every
body is read back by the standard library's parser and compared with what the
standard library alone gives for the same text.
"""

from __future__ import annotations

import base64
import copy
import email.policy
import pickle
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest

from relationclient import samples
from relationclient.composer import Composer
from relationclient.messages import Attachment, Email, Kind, Mailbox
from relationclient.mime import (
    MAX_LINE_OCTETS,
    SMTP_POLICY,
    SMTPUTF8_POLICY,
    ListHeader,
    encode_text,
)

LONG = "https://www.maison-lumiere.fr/desinscription?" + "&".join(
    f"p{i}=" + "v" * 30 for i in range(9)
)
MAILTO = "mailto:bonjour@maison-lumiere.fr?subject=unsubscribe"


def written(value: str, policy: email.policy.EmailPolicy = SMTP_POLICY) -> bytes:
    """The bytes of a small message whose List-Unsubscribe is ``value``."""
    message = EmailMessage(policy=policy)
    message["Subject"] = "Offre"
    message["List-Unsubscribe"] = value
    message.set_content("Bonjour")
    return message.as_bytes()


def header_of(raw: bytes) -> str:
    """The List-Unsubscribe header of ``raw`` as it is on the wire (folds included)."""
    parsed = BytesParser(policy=email.policy.default).parsebytes(raw)
    [value] = [v for name, v in parsed.raw_items() if name == "List-Unsubscribe"]
    return str(value)


def test_the_standard_library_alone_encodes_a_long_list_header() -> None:
    # Why these policies exist: email.policy.SMTP turns the URL into encoded words.
    assert "=?utf-8?q?=3Chttps" in header_of(written(f"<{LONG}>, <{MAILTO}>", email.policy.SMTP))


def test_a_long_item_stays_whole_and_the_next_one_goes_on_the_next_line() -> None:
    assert len(LONG) > 300
    assert header_of(written(f"<{LONG}>, <{MAILTO}>")) == f"<{LONG}>,\r\n <{MAILTO}>"


def test_short_items_share_a_line_until_it_is_full() -> None:
    items = [f"<https://x.example/{c * 8}>" for c in "abcd"]  # 28 characters each
    assert header_of(written(", ".join(items))) == (
        f"{items[0]}, {items[1]},\r\n {items[2]}, {items[3]}"
    )


def test_a_short_header_is_one_line() -> None:
    raw = written("<https://x.example/u/t>, <mailto:a@x.example>")
    assert b"\r\nList-Unsubscribe: <https://x.example/u/t>, <mailto:a@x.example>\r\n" in raw


def test_the_line_ends_follow_the_policy() -> None:
    message = EmailMessage(policy=SMTP_POLICY)
    message["List-Unsubscribe"] = f"<{LONG}>, <{MAILTO}>"
    raw = message.as_bytes(policy=message.policy.clone(linesep="\n"))  # as a Maildir writes
    assert f"List-Unsubscribe: <{LONG}>,\n <{MAILTO}>\n".encode() in raw


@pytest.mark.parametrize("value", ["NO (posting is not allowed)", "<https://x.example/a> junk"])
def test_other_values_are_folded_the_standard_way(value: str) -> None:
    assert header_of(written(value)) == value


def test_non_ascii_is_encoded_by_a_7bit_policy_and_kept_by_smtputf8() -> None:
    value = "<https://x.example/désinscription>"
    assert "=?utf-8?" in header_of(written(value))
    raw = written(value, SMTPUTF8_POLICY)
    assert f"List-Unsubscribe: {value}".encode() in raw


# -- the bodies: encoded once, with the standard library's C codecs, and read back intact ------
def _composer() -> Composer:
    return Composer(
        samples.shop(),
        unsubscribe_url=samples.UNSUBSCRIBE_URL,
        unsubscribe_secret=samples.UNSUBSCRIBE_SECRET,
    )


def parse(raw: bytes) -> EmailMessage:
    """``raw`` as the standard library's parser reads it."""
    parsed = BytesParser(policy=email.policy.default).parsebytes(raw)
    assert isinstance(parsed, EmailMessage)
    return parsed


def stdlib_content(text: str, subtype: str = "plain") -> str:
    """What the standard library alone gives back for ``text`` sent as a part: the truth
    about line ends (it makes them one kind and ends the text with one)."""
    message = EmailMessage(policy=email.policy.SMTP)
    message.set_content(text, subtype=subtype, charset="utf-8")
    return str(parse(message.as_bytes()).get_content()).replace("\r\n", "\n")


def content(part: EmailMessage | None) -> str:
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def assert_intact(raw: bytes, built: Email) -> EmailMessage:
    """``raw`` parses, without a defect, into what ``built`` says."""
    parsed = parse(raw)
    assert [part.defects for part in parsed.walk()] == [[] for _ in parsed.walk()]
    assert parsed["Subject"] == built.subject
    assert parsed["Message-ID"] == built.message_id
    for header, mailbox in (("From", built.sender), ("To", built.to), ("Reply-To", built.reply_to)):
        if mailbox is None:
            assert header not in parsed
            continue
        [address] = parsed[header].addresses
        assert (address.display_name or None, address.addr_spec) == (mailbox.name, mailbox.address)
    if built.created_at is not None:
        assert parsed["Date"].datetime == built.created_at.replace(microsecond=0)
    for name, value in built.headers.items():
        assert parsed[name] == value
    assert content(parsed.get_body(("plain",))) == stdlib_content(built.text)
    assert content(parsed.get_body(("html",))) == stdlib_content(built.html, "html")
    attachments = list(parsed.iter_attachments())
    assert len(attachments) == len(built.attachments)
    for got, sent in zip(attachments, built.attachments, strict=True):
        assert got.get_filename() == sent.filename
        assert got.get_content_type() == sent.mimetype
        assert got.get_content() == sent.content
    for part in parsed.walk():
        cte = part.get("Content-Transfer-Encoding", "7bit")
        assert cte in ("7bit", "8bit", "quoted-printable", "base64")
    # RFC 5322: no line longer than 998 octets, whatever the encoding.
    assert max(len(line) for line in raw.splitlines()) <= MAX_LINE_OCTETS
    return parsed


@pytest.mark.parametrize("locale", ["fr", "de", "ar"])
@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_reads_back_intact_seven_bit_clean(kind: Kind, locale: str) -> None:
    built = _composer().email(kind, **samples.context(kind, locale))
    raw = built.as_bytes()
    assert raw.isascii()  # what a server without 8BITMIME may be given
    assert_intact(raw, built)
    assert_intact(built.as_bytes(linesep="\n"), built)
    # For a server that announced 8BITMIME: UTF-8 as it is where the lines allow.
    eight = assert_intact(built.as_bytes(eightbit=True), built)
    plain = eight.get_body(("plain",))
    assert plain is not None
    if not built.text.isascii() and len(max(built.text.encode().splitlines(), key=len)) <= 998:
        assert plain["Content-Transfer-Encoding"] == "8bit"


def test_the_order_email_is_quoted_printable_in_the_shape_the_parser_expects() -> None:
    built = _composer().email("order_confirmation", order=samples.order("fr"))
    parsed = parse(built.as_bytes())
    for subtype in ("plain", "html"):
        part = parsed.get_body((subtype,))
        assert part is not None
        assert part["Content-Transfer-Encoding"] == "quoted-printable"
        # RFC 2045: quoted-printable lines hold at most 76 characters.
        assert max(len(line) for line in part.get_payload().splitlines()) <= 76


def _email(**changes: Any) -> Email:
    fields: dict[str, Any] = {
        "kind": "order_confirmation",
        "locale": "fr",
        "idempotency_key": "order-ML-1042-mime",
        "created_at": datetime(2026, 11, 20, 10, 42, tzinfo=UTC),
        "to": Mailbox(address="camille@example.fr", name="Camille Dupont"),
        "sender": Mailbox(address="bonjour@maison-lumiere.fr", name="Maison Lumière"),
        "subject": "Votre commande",
        "html": "<p>Bonjour</p>",
        "text": "Bonjour",
    }
    fields.update(changes)
    return Email(**fields)


AWKWARD = "\r\n".join(
    [
        "From the shop, a line an mbox would mangle:",
        "From here on",
        ".",
        "..",
        ". a line that starts with a dot",
        "trailing spaces   ",
        "trailing tab\t",
        "\tleading tab",
        "equals = signs =3D and =",
        "x" * 1500,  # ASCII, longer than any 7bit or 8bit line may be
        "é" * 600,  # 1200 octets of UTF-8
        "a bare CR\rends this line",
        "",
        "last line, no line end",
    ]
)


@pytest.mark.parametrize("eightbit", [False, True])
@pytest.mark.parametrize("field", ["text", "html"])
def test_awkward_lines_read_back_intact(field: str, eightbit: bool) -> None:
    built = _email(**{field: AWKWARD})
    raw = built.as_bytes(eightbit=eightbit)
    assert_intact(raw, built)
    assert raw.isascii()  # the long lines forced quoted-printable even with eightbit


@pytest.mark.parametrize(
    ("text", "eightbit", "cte"),
    [
        ("Hello\nplain ASCII in short lines\n", False, "7bit"),
        ("Hello\n" + "x" * (MAX_LINE_OCTETS + 1), False, "quoted-printable"),
        ("Bonjour Léa, votre commande est confirmée.", False, "quoted-printable"),
        ("Bonjour Léa, votre commande est confirmée.", True, "8bit"),
        ("Commande confirmée " * 50, True, "quoted-printable"),  # one line of 1,000 octets
        ("é" * (MAX_LINE_OCTETS // 2 + 1), True, "base64"),  # shorter so than quoted-printable
        ("شكراً لطلبك. سنرسل لك رسالة عند شحن طلبك.", False, "base64"),
        ("a NUL \0 is never sent as it is", True, "quoted-printable"),
    ],
)
def test_the_encoding_fits_the_text(text: str, eightbit: bool, cte: str) -> None:
    body = encode_text(text, eightbit=eightbit)
    assert body.cte == cte
    built = _email(text=text, html=f"<p>{text}</p>")
    assert_intact(built.as_bytes(eightbit=eightbit), built)


def test_a_body_that_holds_the_boundary_gets_another() -> None:
    first = parse(_email().as_bytes())
    boundary = first.get_boundary()
    assert boundary is not None
    text = f"Bonjour\n--{boundary}\nContent-Type: text/html\n\n<p>injected</p>\n--{boundary}--\n"
    built = _email(text=text)
    parsed = assert_intact(built.as_bytes(), built)
    assert parsed.get_boundary() != boundary
    assert len(list(parsed.iter_parts())) == 2


def test_attachments_and_non_ascii_names_read_back_intact() -> None:
    pdf = bytes(range(256)) * 40 + b"%%EOF\r\n"
    built = _email(
        to=Mailbox(address="eleni@example.gr", name="Ελένη Παπαδοπούλου"),
        reply_to=Mailbox(address="service@maison-lumiere.fr", name="Service client « Lumière »"),
        subject="فاتورة طلبك رقم ML-1042 — Rechnung für Bestellung",
        text="Votre facture est jointe.\n",
        html="<p>Votre facture est jointe.</p>",
        attachments=(
            Attachment(
                filename="facture été 2026.pdf",
                content=base64.b64encode(pdf),
                mimetype="application/pdf",
            ),
            Attachment(filename="notes.txt", content=base64.b64encode(b"plain\n")),
        ),
    )
    raw = built.as_bytes()
    assert raw.isascii()
    parsed = assert_intact(raw, built)
    assert parsed.get_content_type() == "multipart/mixed"
    assert [p.get_content_type() for p in parsed.iter_parts()] == [
        "multipart/alternative",
        "application/pdf",
        "application/octet-stream",
    ]


def test_the_same_message_gives_the_same_bytes() -> None:
    built = _composer().email("order_confirmation", order=samples.order("de"))
    raw = built.as_bytes()
    assert built.as_bytes() == raw
    assert built.to_mime().as_bytes() == raw
    # Stored as JSON and loaded again (the outbox), even in another process: the same bytes.
    assert Email.model_validate_json(built.model_dump_json()).as_bytes() == raw
    assert built.as_bytes(linesep="\n") == built.to_mime().as_bytes(
        policy=SMTP_POLICY.clone(linesep="\n")
    )


def test_what_is_kept_between_calls_changes_nothing_of_the_message() -> None:
    built = _email(text="Bonjour Léa")
    before = built.model_dump_json()
    raw = built.as_bytes()
    mime = built.to_mime()
    mime.replace_header("Subject", "changed by the caller")
    mime.get_body(("plain",)).set_content("changed too")  # type: ignore[union-attr]
    assert built.as_bytes() == raw
    assert built == _email(text="Bonjour Léa")
    assert built.model_dump_json() == before
    # Pickled (a task queue, a process pool), it travels without the bytes it made.
    assert len(pickle.dumps(built)) - len(pickle.dumps(_email(text="Bonjour Léa"))) < 200
    assert pickle.loads(pickle.dumps(built)).as_bytes() == raw
    assert copy.deepcopy(built).as_bytes() == raw
    # A copy with another text is encoded afresh; the original keeps its own bytes.
    changed = built.model_copy(update={"text": "Guten Tag"})
    assert content(parse(changed.as_bytes()).get_body(("plain",))) == stdlib_content("Guten Tag")
    assert built.as_bytes() == raw


def test_a_line_end_other_than_crlf_or_lf_is_refused() -> None:
    with pytest.raises(ValueError, match="linesep"):
        _email().as_bytes(linesep="\r")


def test_the_registry_makes_each_header_class_once() -> None:
    factory = SMTP_POLICY.header_factory
    assert factory["Subject"] is factory["subject"]
    assert factory["List-Unsubscribe"] is factory["list-unsubscribe"]
    assert issubclass(factory["List-Unsubscribe"], ListHeader)


def test_an_smtputf8_message_keeps_its_headers_in_utf8_and_its_bodies_seven_bit() -> None:
    built = _email(to=Mailbox(address="léa@exemple.fr", name="Léa"), text="Bonjour Léa\n")
    assert built.needs_smtputf8
    raw = built.as_bytes()
    # RFC 6532: the headers themselves are UTF-8, read as text (as an SMTPUTF8 server does).
    parsed = email.message_from_string(raw.decode("utf-8"), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    [address] = parsed["To"].addresses
    assert (address.display_name, address.addr_spec) == ("Léa", "léa@exemple.fr")
    assert content(parsed.get_body(("plain",))) == stdlib_content(built.text)
    assert all(part.get_payload().isascii() for part in parsed.walk() if not part.is_multipart())


def test_a_framework_mail_is_seven_bit_clean_and_reads_back_intact() -> None:
    """A Django-shaped mail goes to servers without 8BITMIME too: non-ASCII bodies are encoded."""
    from relationclient.messages import Alternative, MailMessage

    body = "Bonjour,\nvotre mot de passe a été réinitialisé à 10 h 42 ; à bientôt !\n"
    html = "<p>Votre mot de passe a été réinitialisé.</p>"
    mail = MailMessage(
        message_id="<reset.42@maison-lumiere.fr>",
        sender=Mailbox(address="bonjour@maison-lumiere.fr", name="Maison Lumière"),
        to=(Mailbox(address="camille@example.fr"),),
        cc=(Mailbox(address="suivi@example.fr"),),
        subject="Réinitialisation de votre mot de passe",
        body=body,
        alternatives=(Alternative(content=html, mimetype="text/html"),),
    )
    data = mail.as_bytes()
    assert data.isascii()
    parsed = BytesParser(policy=email.policy.default).parsebytes(data)
    plain = parsed.get_body(("plain",))
    rich = parsed.get_body(("html",))
    assert plain is not None
    assert rich is not None
    for part, expected in ((plain, body), (rich, html)):
        assert part["Content-Transfer-Encoding"] in {"quoted-printable", "base64"}
        assert part.get_content().replace("\r\n", "\n").rstrip("\n") == expected.rstrip("\n")
    assert parsed["Subject"] == mail.subject
