"""The messages relationclient builds: :class:`Email` and :class:`Sms`, ready for any transport.

Both are immutable pydantic models that round-trip through JSON (the outbox
stores them that way) and refuse, on construction, anything that must not be
sent: a header value with CR or LF, an SMS recipient that is not an E.164
mobile number, an empty body. Transports only carry them; they never change
them.
"""

from __future__ import annotations

import hashlib
import re
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Literal, Self

from pydantic import (
    AwareDatetime,
    Base64Bytes,
    ConfigDict,
    Field,
    computed_field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .mime import (
    SMTP_POLICY,
    SMTPUTF8_POLICY,
    EncodedAttachment,
    EncodedBody,
    assemble,
    encode_bytes,
    encode_text,
)
from .models._types import (
    CONTROL_CHARACTERS,
    SENDER_ID,
    CountryCode,
    EmailAddress,
    Identifier,
    Model,
    SingleLine,
    TimeZoneName,
)
from .phones import can_receive_sms, parse_phone
from .sms import Encoding, analyse

__all__ = [
    "Alternative",
    "Attachment",
    "Email",
    "Kind",
    "MailAttachment",
    "MailMessage",
    "Mailbox",
    "Message",
    "Purpose",
    "Sms",
    "idempotency_key",
]


class Kind(StrEnum):
    """The kinds of message relationclient can build, each as email and SMS.

    In the order of an order's life: the account, the order, its preparation
    and shipment, what can go wrong (a delay, a cancellation), the money going
    back (a refund, a withdrawal), the check after delivery; then a customer's
    question, acknowledged at once with the time of the answer, and the answer.
    """

    ACCOUNT_CREATED = "account_created"
    ORDER_CONFIRMATION = "order_confirmation"
    ORDER_PREPARING = "order_preparing"
    SHIPMENT_SENT = "shipment_sent"
    ORDER_DELAYED = "order_delayed"
    ORDER_CANCELLED = "order_cancelled"
    REFUND_ISSUED = "refund_issued"
    WITHDRAWAL_ACKNOWLEDGED = "withdrawal_acknowledged"
    DELIVERY_CHECK = "delivery_check"
    INQUIRY_RECEIVED = "inquiry_received"
    SUPPORT_REPLY = "support_reply"


Purpose = Literal["transactional", "marketing"]
Channel = Literal["email", "sms"]


def idempotency_key(
    kind: str, subject: str, channel: Channel, recipient: str, *, shop_id: str = ""
) -> str:
    """A deterministic key for one event of one shop, sent once to one recipient on one channel.

    ``subject`` identifies what the event is about: an order number, a shipment's
    tracking number, a refund's id. ``shop_id`` (:attr:`Shop.id`) keeps two
    shops sharing one outbox apart: their order #1001 are two events. The same
    inputs always give the same key, so a retried job finds the message it
    already stored.
    """
    raw = f"{shop_id}\x1f{kind}\x1f{subject}\x1f{channel}\x1f{recipient.lower()}"
    # BLAKE2b, 128 bits: as collision-proof here as SHA-256 cut to 32 digits.
    return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


class Mailbox(Model):
    """An email address with an optional display name (``Camille Dupont <camille@…>``)."""

    address: EmailAddress
    name: SingleLine | None = None

    def header_address(self) -> HeaderAddress:
        """The standard-library form, which RFC 2047-encodes non-ASCII names."""
        local, _, domain = self.address.rpartition("@")
        return HeaderAddress(display_name=self.name or "", username=local, domain=domain)

    def __str__(self) -> str:
        return str(self.header_address())


class Attachment(Model):
    """A file attached to an email (an invoice PDF, say)."""

    filename: SingleLine
    content: Base64Bytes
    mimetype: Annotated[str, Field(pattern=r"^[\w.+-]+/[\w.+-]+$")] = "application/octet-stream"


_HEADER_NAME = re.compile(r"^[!-9;-~]+$")
_RESERVED_HEADERS = frozenset(
    {"from", "to", "subject", "reply-to", "message-id", "date", "mime-version", "content-type"}
)


class _Message(Model):
    """What every message carries besides its content: what, for whom, and its identity."""

    kind: str
    locale: str
    #: The Babel locale of the message's amounts, dates and numbers (``en_GB``,
    #: ``de_CH``); ``locale`` is the catalog language it is written in.
    format_locale: str | None = None
    purpose: Purpose = "transactional"
    idempotency_key: Annotated[str, Field(pattern=r"^[A-Za-z0-9._:-]{8,128}$")]
    created_at: AwareDatetime | None = None
    timezone: TimeZoneName | None = None
    #: What the outbox must know of the shop that sends it: its identity (for
    #: per-shop suppression lists), its country (public holidays of quiet
    #: hours) and its zone (for a recipient whose own is unknown).
    shop_id: Identifier | None = None
    shop_country: CountryCode | None = None
    shop_timezone: TimeZoneName | None = None


class _Wire:
    """What one :class:`Email` encoded: its part bodies and its bytes, made once each."""

    __slots__ = ("data", "fields", "parts")

    def __init__(self, fields: tuple[object, ...]) -> None:
        self.fields = fields  # the field values encoded, to tell a changed copy
        self.parts: dict[bool, tuple[EncodedBody, EncodedBody, tuple[EncodedAttachment, ...]]] = {}
        self.data: dict[tuple[str, bool], bytes] = {}

    def __reduce__(self) -> tuple[type[_Wire], tuple[tuple[object, ...]]]:
        # A pickled or deep-copied Email travels without what it made: it is made again.
        return _Wire, (self.fields,)


def _checked_headers(
    headers: dict[str, str], reserved: frozenset[str], set_from: str
) -> dict[str, str]:
    """``headers`` if every name is valid and not ``reserved``, and no value holds CR or LF.

    ``set_from`` says where the reserved headers come from instead, for the error.
    """
    for name, value in headers.items():
        if not _HEADER_NAME.match(name):
            raise PydanticCustomError(
                "header_name", "header name '{name}' is not a valid header name", {"name": name}
            )
        if name.lower() in reserved:
            raise PydanticCustomError(
                "header_name",
                "header '{name}' is set from " + set_from,
                {"name": name},
            )
        if "\r" in value or "\n" in value:
            raise PydanticCustomError(
                "header_injection",
                "header '{name}' contains CR or LF, which could inject headers",
                {"name": name},
            )
    return headers


class Email(_Message):
    """An email ready to send: both parts rendered, CSS inlined, headers decided.

    ``headers`` holds the extra headers (``List-Unsubscribe``…); a value with CR
    or LF is refused. ``timezone`` is the recipient's, for quiet hours.
    ``message_id`` derives from ``idempotency_key`` so that a resend after a
    crash carries the same ``Message-ID`` and receivers can drop the copy.
    """

    to: Mailbox
    sender: Mailbox
    reply_to: Mailbox | None = None
    subject: SingleLine
    preheader: str = ""
    html: str
    text: str
    headers: dict[str, str] = Field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()

    @field_validator("headers")
    @classmethod
    def _safe_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        return _checked_headers(
            headers, _RESERVED_HEADERS, "the message's own fields, not from headers"
        )

    @model_validator(mode="after")
    def _marketing_can_unsubscribe(self) -> Self:
        if self.purpose == "marketing" and "List-Unsubscribe" not in self.headers:
            raise PydanticCustomError(
                "list_unsubscribe", "a marketing email needs a List-Unsubscribe header"
            )
        return self

    @property
    def channel(self) -> Channel:
        """Always ``"email"``."""
        return "email"

    @property
    def recipient(self) -> str:
        """The recipient's address."""
        return self.to.address

    @property
    def message_id(self) -> str:
        """``<key@sender-domain>``, the same for every attempt at this message."""
        return f"<{self.idempotency_key}@{self.sender.address.rpartition('@')[2]}>"

    @property
    def needs_smtputf8(self) -> bool:
        """True when an address has a non-ASCII local part (only SMTPUTF8 servers take it)."""
        addresses = [self.to, self.sender] + ([self.reply_to] if self.reply_to else [])
        return any(not m.address.isascii() for m in addresses)

    def to_mime(self, *, eightbit: bool = False) -> EmailMessage:
        """Build the standard-library message: multipart/alternative, text then HTML, UTF-8.

        Attachments, when present, wrap it in multipart/mixed. The policy is
        :data:`email.policy.SMTP` (or ``SMTPUTF8``) except that ``List-Unsubscribe``
        and the other RFC 2369 headers are never RFC 2047-encoded: they are folded
        only between their ``<…>`` items (see :mod:`relationclient.mime`).

        The parts are 7-bit clean (``7bit``, quoted-printable or base64), fit
        for any SMTP server; ``eightbit=True`` (for a server that announced
        ``8BITMIME``) sends a UTF-8 part whose lines are short enough as
        ``8bit``. Each part is encoded once per message and reused by every
        later call; each call returns a new message, free to change.
        """
        msg = EmailMessage(policy=SMTPUTF8_POLICY if self.needs_smtputf8 else SMTP_POLICY)
        msg["From"] = self.sender.header_address()
        msg["To"] = self.to.header_address()
        if self.reply_to:
            msg["Reply-To"] = self.reply_to.header_address()
        msg["Subject"] = self.subject
        msg["Message-ID"] = self.message_id
        if self.created_at is not None:
            msg["Date"] = format_datetime(self.created_at)
        for name, value in self.headers.items():
            msg[name] = value
        text, html, attachments = self._encoded(eightbit)
        return assemble(
            msg, text=text, html=html, attachments=attachments, seed=self.idempotency_key
        )

    def as_bytes(self, *, linesep: str = "\r\n", eightbit: bool = False) -> bytes:
        """The RFC 5322 bytes of :meth:`to_mime`: CRLF line ends for SMTP, or ``linesep`` LF.

        The same message always gives the same bytes (its boundaries derive
        from its key), so they are made once per message and line ending: a
        retry, or a second transport, costs nothing.
        """
        if linesep not in ("\r\n", "\n"):
            raise ValueError(f"linesep must be '\\r\\n' or '\\n', not {linesep!r}")
        wire = self._wire_cache()
        data = wire.data.get((linesep, eightbit))
        if data is None:
            mime = self.to_mime(eightbit=eightbit)
            data = mime.as_bytes(policy=mime.policy.clone(linesep=linesep))
            wire.data[linesep, eightbit] = data
        return data

    def _encoded(
        self, eightbit: bool
    ) -> tuple[EncodedBody, EncodedBody, tuple[EncodedAttachment, ...]]:
        wire = self._wire_cache()
        parts = wire.parts.get(eightbit)
        if parts is None:
            attachments = tuple(
                EncodedAttachment(a.filename, a.mimetype, encode_bytes(a.content))
                for a in self.attachments
            )
            text = encode_text(self.text, eightbit=eightbit)
            parts = text, encode_text(self.html, eightbit=eightbit), attachments
            wire.parts[eightbit] = parts
        return parts

    @cached_property
    def _wire(self) -> _Wire:
        return _Wire(self._field_values())

    def _field_values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in type(self).model_fields)

    def _wire_cache(self) -> _Wire:
        """This message's cache, or a new one when it was copied along by ``model_copy``."""
        wire, now = self._wire, self._field_values()
        if all(a is b for a, b in zip(now, wire.fields, strict=True)):
            return wire
        return _Wire(now)  # a changed copy: its own encodings, never the original's


class Sms(_Message):
    """An SMS ready to send. ``encoding`` and ``segments`` are computed from ``body``.

    ``to`` must be an E.164 number that can receive SMS: a fixed line is refused.
    ``timezone`` is the recipient's, so quiet hours apply at their local time.
    """

    to: str
    sender: str
    body: Annotated[str, Field(min_length=1)]

    @field_validator("sender")
    @classmethod
    def _sender_id(cls, value: str) -> str:
        if CONTROL_CHARACTERS.search(value):
            raise PydanticCustomError(
                "sms_sender", "sender must be one line without control characters (CR, LF…)"
            )
        if value.startswith("+"):
            try:
                if parse_phone(value) == value:
                    return value
            except ValueError:
                pass
        elif value.isdigit() and 3 <= len(value) <= 15:
            return value  # a short number (36111) or a national one
        elif SENDER_ID.fullmatch(value) and any(c.isalpha() for c in value):
            return value
        raise PydanticCustomError(
            "sms_sender",
            "sender '{value}' must be 1 to 11 ASCII letters, digits or spaces with a letter "
            "(an alphanumeric sender id), an E.164 number or a short number",
            {"value": value[:40]},
        )

    @field_validator("to")
    @classmethod
    def _mobile_e164(cls, value: str) -> str:
        if not value.startswith("+"):
            raise PydanticCustomError(
                "e164", "to must be an E.164 number (+33612345678), got '{value}'", {"value": value}
            )
        try:
            number = parse_phone(value)
        except ValueError as exc:
            raise PydanticCustomError("e164", "to: {reason}", {"reason": str(exc)}) from None
        if number != value:
            raise PydanticCustomError(
                "e164", "to must be E.164 without spaces: {number}", {"number": number}
            )
        if not can_receive_sms(number):
            raise PydanticCustomError(
                "sms_recipient",
                "to {value} is not a mobile number and cannot receive SMS",
                {"value": value},
            )
        return number

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def encoding(self) -> Encoding:
        """``"GSM-7"`` or ``"UCS-2"``, as :func:`relationclient.sms.analyse` says."""
        return analyse(self.body).encoding

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def segments(self) -> int:
        """How many SMS the body costs."""
        return analyse(self.body).segments

    @property
    def channel(self) -> Channel:
        """Always ``"sms"``."""
        return "sms"

    @property
    def recipient(self) -> str:
        """The recipient's number."""
        return self.to


class MailAttachment(Attachment):
    """An attachment of a :class:`MailMessage`, which may be shown inline (a logo in its HTML).

    ``content_id`` is the part's ``Content-ID`` (``<logo@shop.example>``), which
    the HTML refers to as ``cid:logo@shop.example``; ``inline`` makes its
    disposition ``inline``. A ``message/rfc822`` attachment (a forwarded
    mail) is kept as the message it holds.
    """

    content_id: Annotated[str, Field(pattern=r"^<[^<>\s]+>$")] | None = None
    inline: bool = False


class Alternative(Model):
    """Another rendering of a :class:`MailMessage`'s body (its HTML, say)."""

    model_config = ConfigDict(str_strip_whitespace=False)

    content: str
    mimetype: Annotated[str, Field(pattern=r"^[\w.+-]+/[\w.+-]+$")] = "text/html"


_MAIL_RESERVED_HEADERS = frozenset(
    {"bcc", "message-id", "mime-version", "content-type", "content-transfer-encoding"}
)
_MESSAGE_ID = re.compile(r"^<[^<>\s@]+@[^<>\s@]+>$")


_MAIL_7BIT_POLICY = SMTP_POLICY.clone(cte_type="7bit")


class MailMessage(_Message):
    """An email kept in the shape a web framework built it, for mail that is not an :class:`Email`.

    Django's password resets and admin notices are plain text, carry cc and bcc,
    several recipients, attachments, a reply-to list and headers of their own;
    forcing them into :class:`Email` (one recipient, an HTML part) would change
    them. This model holds them as they are, so the outbox stores them durably
    and SMTP, Maildir, Memory, Console and Django transports send them;
    ``kind`` is ``"django_mail"`` and the ``idempotency_key`` derives from the
    ``Message-ID`` unless given, so a retried ``send_mail`` stores nothing twice.

    ``headers`` may override the ``From``, ``To``, ``Cc``, ``Reply-To``,
    ``Subject`` and ``Date`` headers written from the fields (as Django's own
    ``headers`` do); ``Bcc`` is never written, and the MIME structure headers
    come from the parts.
    """

    model_config = ConfigDict(str_strip_whitespace=False)

    kind: Literal["django_mail"] = "django_mail"
    locale: str = "und"
    #: Derived from ``message_id`` when not given (the default is never kept).
    idempotency_key: Annotated[
        str, Field(pattern=r"^[A-Za-z0-9._:-]{8,128}$", validate_default=True)
    ] = ""
    message_id: Annotated[str, Field(pattern=_MESSAGE_ID.pattern)]
    sender: Mailbox
    to: tuple[Mailbox, ...] = ()
    cc: tuple[Mailbox, ...] = ()
    bcc: tuple[Mailbox, ...] = ()
    reply_to: tuple[Mailbox, ...] = ()
    subject: str = ""
    body: str = ""
    #: The body's MIME subtype: ``plain`` (Django's default) or ``html``.
    body_subtype: Annotated[str, Field(pattern=r"^[\w.+-]+$")] = "plain"
    alternatives: tuple[Alternative, ...] = ()
    attachments: tuple[MailAttachment, ...] = ()
    headers: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _key_from_message_id(cls, data: object) -> object:
        if isinstance(data, dict) and not data.get("idempotency_key"):
            message_id = data.get("message_id")
            if isinstance(message_id, str):
                digest = hashlib.blake2b(message_id.strip().encode(), digest_size=16)
                data = {**data, "idempotency_key": digest.hexdigest()}
        return data

    @field_validator("subject")
    @classmethod
    def _one_line_subject(cls, subject: str) -> str:
        if "\r" in subject or "\n" in subject:
            raise PydanticCustomError(
                "header_injection", "subject contains CR or LF, which could inject headers"
            )
        return subject

    @field_validator("headers")
    @classmethod
    def _safe_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        return _checked_headers(
            headers, _MAIL_RESERVED_HEADERS, "the message's own fields and parts"
        )

    @model_validator(mode="after")
    def _someone_to_send_to(self) -> Self:
        if not (self.to or self.cc or self.bcc):
            raise PydanticCustomError("recipients", "a mail needs a recipient in to, cc or bcc")
        if self.purpose == "marketing" and not any(
            name.lower() == "list-unsubscribe" for name in self.headers
        ):
            raise PydanticCustomError(
                "list_unsubscribe", "a marketing email needs a List-Unsubscribe header"
            )
        return self

    @property
    def channel(self) -> Channel:
        """Always ``"email"``."""
        return "email"

    @property
    def recipients(self) -> tuple[str, ...]:
        """The envelope recipients: every address of ``to``, ``cc`` and ``bcc``, once each."""
        addresses = (m.address for m in (*self.to, *self.cc, *self.bcc))
        return tuple(dict.fromkeys(addresses))

    @property
    def recipient(self) -> str:
        """The first envelope recipient: what the outbox files the entry under."""
        return self.recipients[0]

    @property
    def needs_smtputf8(self) -> bool:
        """True when an address has a non-ASCII local part (only SMTPUTF8 servers take it)."""
        mailboxes = (self.sender, *self.to, *self.cc, *self.bcc, *self.reply_to)
        return any(not m.address.isascii() for m in mailboxes)

    def to_mime(self) -> EmailMessage:
        """Build the standard-library message, parts as the framework made them.

        A body alone is one ``text/plain`` (or ``body_subtype``) part;
        alternatives make it multipart/alternative; attachments wrap that in
        multipart/mixed. Every part is built by :class:`email.message.EmailMessage`
        itself, with the policy :meth:`Email.to_mime` uses.
        """
        # Bodies are 7-bit clean (quoted-printable or base64 where the text is not ASCII),
        # as Email's are, so that a server without 8BITMIME takes them; an SMTPUTF8 message
        # goes only to servers that offer SMTPUTF8, which implies 8BITMIME.
        policy = SMTPUTF8_POLICY if self.needs_smtputf8 else _MAIL_7BIT_POLICY
        msg = EmailMessage(policy=policy)
        fields: dict[str, object] = {"From": self.sender.header_address()}
        for name, mailboxes in (("To", self.to), ("Cc", self.cc), ("Reply-To", self.reply_to)):
            if mailboxes:
                fields[name] = tuple(m.header_address() for m in mailboxes)
        fields["Subject"] = self.subject
        if self.created_at is not None:
            fields["Date"] = format_datetime(self.created_at)
        overridden = {name.lower() for name in self.headers}
        for name, value in fields.items():
            if name.lower() not in overridden:
                msg[name] = value
        msg["Message-ID"] = self.message_id
        for name, text in self.headers.items():
            msg[name] = text
        msg.set_content(self.body, subtype=self.body_subtype, charset="utf-8")
        for alternative in self.alternatives:
            maintype, subtype = alternative.mimetype.split("/", 1)
            if maintype == "text":
                msg.add_alternative(alternative.content, subtype=subtype, charset="utf-8")
            else:
                data = alternative.content.encode()
                msg.add_alternative(data, maintype=maintype, subtype=subtype)
        for attachment in self.attachments:
            disposition = "inline" if attachment.inline else "attachment"
            if attachment.mimetype.lower() == "message/rfc822":
                forwarded = BytesParser(policy=msg.policy).parsebytes(attachment.content)
                msg.add_attachment(forwarded, disposition=disposition, filename=attachment.filename)
                continue
            maintype, subtype = attachment.mimetype.split("/", 1)
            msg.add_attachment(
                attachment.content,
                maintype=maintype,
                subtype=subtype,
                filename=attachment.filename,
                disposition=disposition,
                cid=attachment.content_id,
            )
        return msg

    def as_bytes(self) -> bytes:
        """The RFC 5322 bytes of :meth:`to_mime`, CRLF line ends, ready for SMTP."""
        return self.to_mime().as_bytes()


Message = Email | Sms | MailMessage
"""Anything a transport carries."""
