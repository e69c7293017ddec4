"""The email policies and part bodies :meth:`Email.to_mime <relationclient.Email.to_mime>` writes.

The standard library folds a long unstructured header by RFC 2047-encoding it
(``List-Unsubscribe: =?utf-8?q?=3Chttps=3A//…``), which mail clients do not
decode in the RFC 2369 list headers: Gmail and Yahoo then see no unsubscribe
link at all. These policies are :data:`email.policy.SMTP` and
:data:`email.policy.SMTPUTF8` with one change, made through the standard
library's own extension point (a :class:`~email.headerregistry.HeaderRegistry`
as the policy's ``header_factory``): the list headers are written as they are,
folded only between their ``<…>`` items, never inside a URL, however long.
That registry also makes each header class once, where the standard one makes
a new class for every header (twice per header set).

A part's body is content-transfer-encoded once, by :func:`encode_text` or
:func:`encode_bytes`, with the C codecs of :mod:`binascii` rather than the
pure-Python quoted-printable encoder of the default content manager: ``7bit``
when the text is ASCII in lines of at most 998 octets, ``8bit`` when asked for
and the lines allow it, otherwise quoted-printable or base64, whichever is
shorter. :func:`assemble` puts the encoded parts into an
:class:`~email.message.EmailMessage` under boundaries derived from the
message's key, so that one message always gives the same bytes; the standard
library's generator writes them, as it always did.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8, Policy
from typing import Literal

__all__ = [
    "LIST_HEADERS",
    "MAX_LINE_OCTETS",
    "SMTPUTF8_POLICY",
    "SMTP_POLICY",
    "EncodedAttachment",
    "EncodedBody",
    "ListHeader",
    "assemble",
    "encode_bytes",
    "encode_text",
]

#: The RFC 2369 headers: comma-separated ``<URI>`` items.
LIST_HEADERS = (
    "list-help",
    "list-unsubscribe",
    "list-subscribe",
    "list-post",
    "list-owner",
    "list-archive",
)

#: The longest line RFC 5322 and RFC 2045 allow in a ``7bit`` or ``8bit`` body, CRLF aside.
MAX_LINE_OCTETS = 998

_ITEM = re.compile(r"<[^<>\s]*>")


class ListHeader(UnstructuredHeader, BaseHeader):
    """An RFC 2369 header (``<https://…>, <mailto:…>``), folded only between its items.

    A value that is not a list of ``<…>`` items (``List-Post: NO``), or that
    holds non-ASCII characters a 7-bit policy must encode, is folded the
    standard way.
    """

    def fold(self, *, policy: Policy) -> str:
        """``Name: <a>, <b>`` on one line, or with a line break after a comma when too long."""
        value = str(self)
        items = _ITEM.findall(value)
        utf8 = bool(getattr(policy, "utf8", False))
        if not items or ", ".join(items) != value or not (utf8 or value.isascii()):
            return str(super().fold(policy=policy))
        limit = policy.max_line_length or 0
        lines = [f"{self.name}: {items[0]}"]
        for item in items[1:]:
            if limit and len(lines[-1]) + len(", ") + len(item) > limit:
                lines[-1] += ","
                lines.append(f" {item}")
            else:
                lines[-1] += f", {item}"
        return policy.linesep.join(lines) + policy.linesep


class _Registry(HeaderRegistry):
    """A :class:`~email.headerregistry.HeaderRegistry` that makes each header class once.

    The standard registry builds a new class (``type(...)``) at every lookup,
    and :class:`~email.message.EmailMessage` looks up twice per header set.
    The classes are immutable combinations of the registered class and the
    base class, so one per header name serves every message.
    """

    _LIMIT = 512  # names seen in parsed mail are unbounded: keep the common ones only

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type[BaseHeader]] = {}

    def map_to_type(self, name: str, cls: type[BaseHeader]) -> None:
        """Register ``cls`` for ``name`` headers (and forget the classes made so far)."""
        super().map_to_type(name, cls)
        self._classes.clear()

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._classes.get(key)
        if made is None:
            made = super().__getitem__(name)
            if len(self._classes) < self._LIMIT:
                self._classes[key] = made
        return made


def _registry() -> HeaderRegistry:
    registry = _Registry()
    for name in LIST_HEADERS:
        registry.map_to_type(name, ListHeader)
    return registry


_HEADERS = _registry()
#: :data:`email.policy.SMTP` (CRLF, 78 columns) writing list headers unencoded.
SMTP_POLICY = SMTP.clone(header_factory=_HEADERS)
#: :data:`email.policy.SMTPUTF8`, for addresses with a non-ASCII local part, likewise.
SMTPUTF8_POLICY = SMTPUTF8.clone(header_factory=_HEADERS)

CTE = Literal["7bit", "8bit", "quoted-printable", "base64"]


@dataclass(frozen=True, slots=True)
class EncodedBody:
    """A part's body, content-transfer-encoded once, ready to be a payload.

    ``payload`` ends its lines with LF (the generator writes the policy's
    line ending); an ``8bit`` payload holds its non-ASCII bytes as
    ``surrogateescape`` characters, as :meth:`email.message.Message.set_payload`
    stores bytes.
    """

    cte: CTE
    payload: str


def _lines_fit(lines: Sequence[bytes]) -> bool:
    return max(map(len, lines), default=0) <= MAX_LINE_OCTETS


def encode_text(text: str, *, eightbit: bool = False) -> EncodedBody:
    """Encode ``text`` as a UTF-8 body, its line ends made LF and one added, as the stdlib does.

    ``7bit`` when it is ASCII in lines of at most :data:`MAX_LINE_OCTETS`;
    with ``eightbit`` (for a server that announced ``8BITMIME``, or a file),
    ``8bit`` when its lines are that short; otherwise quoted-printable
    (:func:`binascii.b2a_qp`) or base64, whichever is shorter.
    """
    lines = text.encode("utf-8").splitlines()
    body = b"\n".join(lines) + b"\n"
    if b"\0" not in body and _lines_fit(lines):
        if body.isascii():
            return EncodedBody("7bit", body.decode("ascii"))
        if eightbit:
            return EncodedBody("8bit", body.decode("ascii", "surrogateescape"))
    quoted = binascii.b2a_qp(body, istext=True)
    # base64 writes 4 characters per 3 octets, in lines of 76 (57 octets each).
    base64_length = (len(body) + 2) // 3 * 4 + (len(body) + 56) // 57
    if len(quoted) <= base64_length:
        return EncodedBody("quoted-printable", quoted.decode("ascii"))
    return encode_bytes(body)


def encode_bytes(data: bytes) -> EncodedBody:
    """Encode ``data`` in base64 (:func:`base64.encodebytes`: lines of 76 characters)."""
    return EncodedBody("base64", base64.encodebytes(data).decode("ascii"))


@dataclass(frozen=True, slots=True)
class EncodedAttachment:
    """An attachment's file name, MIME type and encoded body."""

    filename: str
    mimetype: str
    body: EncodedBody


def _header(name: str, value: str) -> BaseHeader:
    return _HEADERS(name, value)


# Headers every message repeats, parsed once: a header object is immutable and
# EmailMessage stores one it is given for the same name as it is.
_MIME_VERSION = _header("MIME-Version", "1.0")
_TEXT_TYPE = {
    subtype: _header("Content-Type", f'text/{subtype}; charset="utf-8"')
    for subtype in ("plain", "html")
}
_CTE = {
    cte: _header("Content-Transfer-Encoding", cte)
    for cte in ("7bit", "8bit", "quoted-printable", "base64")
}
# "=_" is in no quoted-printable or base64 text; 7bit and 8bit bodies are checked.
_BOUNDARY_TAG = {"alternative": "=_a", "mixed": "=_m"}


def _boundary(subtype: str, seed: str, bodies: Sequence[EncodedBody]) -> str:
    digest = hashlib.blake2b(seed.encode(), digest_size=12).hexdigest()
    boundary = f"{_BOUNDARY_TAG[subtype]}{digest}"
    plain = [b.payload for b in bodies if b.cte in ("7bit", "8bit")]
    tries = 0
    while any(f"--{boundary}" in payload for payload in plain):
        tries += 1
        boundary = f"{_BOUNDARY_TAG[subtype]}{digest}.{tries}"
    return boundary


def _text_part(subtype: str, body: EncodedBody, policy: Policy) -> EmailMessage:
    part = EmailMessage(policy=policy)
    part["Content-Type"] = _TEXT_TYPE[subtype]
    part["Content-Transfer-Encoding"] = _CTE[body.cte]
    part.set_payload(body.payload)
    return part


def _attachment_part(attachment: EncodedAttachment, policy: Policy) -> EmailMessage:
    part = EmailMessage(policy=policy)
    part["Content-Type"] = attachment.mimetype
    part["Content-Transfer-Encoding"] = _CTE[attachment.body.cte]
    part["Content-Disposition"] = "attachment"
    part.set_param("filename", attachment.filename, header="Content-Disposition")
    part.set_payload(attachment.body.payload)
    return part


def assemble(
    msg: EmailMessage,
    *,
    text: EncodedBody,
    html: EncodedBody,
    attachments: Sequence[EncodedAttachment] = (),
    seed: str,
) -> EmailMessage:
    """Give ``msg`` (its headers set) the body parts: text then HTML, attachments after.

    The structure is the one :meth:`~email.message.EmailMessage.set_content`,
    ``add_alternative`` and ``add_attachment`` make: multipart/alternative,
    wrapped in multipart/mixed when there are attachments. ``seed`` (the
    message's key) gives the boundaries, so the same message always has the
    same bytes; a boundary that a 7bit or 8bit body happens to contain is
    replaced by another.
    """
    policy = msg.policy
    alternative = msg
    msg["MIME-Version"] = _MIME_VERSION
    if attachments:
        bodies = [text, html, *(a.body for a in attachments)]
        msg["Content-Type"] = f'multipart/mixed; boundary="{_boundary("mixed", seed, bodies)}"'
        alternative = EmailMessage(policy=policy)
        msg.attach(alternative)
    boundary = _boundary("alternative", seed, [text, html])
    alternative["Content-Type"] = f'multipart/alternative; boundary="{boundary}"'
    alternative.attach(_text_part("plain", text, policy))
    alternative.attach(_text_part("html", html, policy))
    for attachment in attachments:
        msg.attach(_attachment_part(attachment, policy))
    return msg
