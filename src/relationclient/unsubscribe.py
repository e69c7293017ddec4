"""Signed unsubscribe tokens: the ``{token}`` of a marketing email's unsubscribe link.

A marketing email's ``List-Unsubscribe`` link (and its footer link) lead to the
shop's own endpoint, which opts the reader out at once when the mail client
POSTs ``List-Unsubscribe=One-Click`` (RFC 8058). That endpoint must know *who*
asked, and must not let anybody opt somebody else out: the link carries a token
that :func:`sign` makes and :func:`verify` checks, an HMAC-SHA256 signature
over the recipient, the shop, the purpose and the day it was issued, compared
in constant time.

The composer signs for you: give it the secret and a URL with ``{token}``::

    composer = rc.Composer(
        shop,
        unsubscribe_url="https://shop.example/unsubscribe?token={token}",
        unsubscribe_secret=os.environ["UNSUBSCRIBE_SECRET"],
    )

and the endpoint checks with the same secret::

    opt_out = verify(token, secret=os.environ["UNSUBSCRIBE_SECRET"])
    record_opt_out(opt_out.recipient)

A token stays valid :data:`DEFAULT_MAX_AGE` (60 days) by default: an old mail's
link must still work. Keep the secret out of the code, 32 random bytes or more
(``python -c "import secrets; print(secrets.token_urlsafe(32))"``); to change
it, pass ``verify`` the new and the old ones for 60 days.

Example:
    >>> token = sign("camille@example.fr", secret="a-long-random-secret-of-the-shop")
    >>> verify(token, secret="a-long-random-secret-of-the-shop").recipient
    'camille@example.fr'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .errors import ConfigurationError, UnsubscribeTokenError

__all__ = ["DEFAULT_MAX_AGE", "MIN_SECRET_BYTES", "Unsubscription", "sign", "verify"]

#: How long a token stays valid unless told otherwise: an old mail's link must still work.
DEFAULT_MAX_AGE = timedelta(days=60)
#: The shortest secret accepted: anything shorter could be guessed.
MIN_SECRET_BYTES = 16
#: Clock drift tolerated between the server that signs and the one that verifies.
_CLOCK_SKEW = timedelta(minutes=5)
#: Tells these signatures apart from any other HMAC made with the same secret.
_CONTEXT = b"relationclient.unsubscribe.v1:"
_VERSION = 1

Secret = str | bytes


@dataclass(frozen=True)
class Unsubscription:
    """What a valid token says: who opts out, of which shop, since when.

    Attributes:
        recipient: The email address (or phone number) the link was sent to.
        shop_id: The shop that sent it (:attr:`Shop.id <relationclient.Shop>`),
            when it was signed with one.
        issued_at: When the link was made (UTC, to the second).
        purpose: What the recipient opts out of: ``"marketing"``.
    """

    recipient: str
    shop_id: str | None
    issued_at: datetime
    purpose: str = "marketing"


def _key(secret: Secret) -> bytes:
    key = secret.encode() if isinstance(secret, str) else secret
    if len(key) < MIN_SECRET_BYTES:
        raise ConfigurationError(
            f"unsubscribe_secret is {len(key)} bytes long; use at least {MIN_SECRET_BYTES} "
            "random bytes (python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return key


def _mac(key: bytes, payload: str) -> bytes:
    return hmac.new(key, _CONTEXT + payload.encode("ascii"), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    """Strict URL-safe base64: a character outside the alphabet is an error, not skipped."""
    if not text or not text.isascii():
        raise ValueError("empty or not ASCII")
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def sign(
    recipient: str,
    *,
    secret: Secret,
    shop_id: str | None = None,
    purpose: str = "marketing",
    issued_at: datetime | None = None,
) -> str:
    """A URL-safe token saying that ``recipient`` may opt out of ``purpose`` from ``shop_id``.

    Args:
        recipient: The address (or number) the message goes to.
        secret: The shop's unsubscribe secret, at least 16 bytes.
        shop_id: The shop sending (:attr:`Shop.id <relationclient.Shop>`): an
            endpoint serving several shops checks it.
        purpose: What the link opts out of.
        issued_at: When the link is made (default: now).

    Returns:
        ``<payload>.<signature>``, both URL-safe base64: safe in a path or a query.

    Raises:
        ConfigurationError: The secret is too short.
    """
    key = _key(secret)
    when = issued_at or datetime.now(UTC)
    if when.tzinfo is None:
        raise ValueError("issued_at must be an aware datetime (datetime.now(UTC))")
    fields = [_VERSION, recipient, shop_id, purpose, int(when.timestamp())]
    payload = _b64(json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{payload}.{_b64(_mac(key, payload))}"


def verify(
    token: str,
    *,
    secret: Secret | Sequence[Secret],
    max_age: timedelta = DEFAULT_MAX_AGE,
    now: datetime | None = None,
    shop_id: str | None = None,
    purpose: str = "marketing",
) -> Unsubscription:
    """Check a token made by :func:`sign` and say who opts out.

    The signature is checked first, in constant time, before anything in the
    token is read.

    Args:
        token: The token from the link (``{token}`` in the unsubscribe URL).
        secret: The secret it was signed with, or several (new one first, then
            the ones being retired) while changing secrets.
        max_age: How old a token may be (60 days by default; never less than
            the time your mails stay in inboxes).
        now: The current time (for tests).
        shop_id: When given, the token must be this shop's: an endpoint serving
            several shops with one secret refuses another shop's links.
        purpose: What the endpoint opts out of; a token for another is refused.

    Returns:
        The :class:`Unsubscription`: recipient, shop and issue time.

    Raises:
        UnsubscribeTokenError: Malformed, signed with another secret (or
            tampered with), expired, another shop's, or for another purpose;
            ``exc.reason`` says which.
        ConfigurationError: A secret is too short.
    """
    secrets = [secret] if isinstance(secret, str | bytes) else list(secret)
    if not secrets:
        raise ConfigurationError("verify() needs at least one unsubscribe secret")
    keys = [_key(s) for s in secrets]
    payload, dot, signature = (token or "").strip().partition(".")
    try:
        if not dot:
            raise ValueError("no signature")
        given = _unb64(signature)
        _unb64(payload)
    except (ValueError, binascii.Error):
        raise UnsubscribeTokenError(
            "the unsubscribe token is malformed (cut or changed in transit?)", reason="malformed"
        ) from None
    # Every key is tried, so the time taken does not tell which one matched.
    matches = [hmac.compare_digest(_mac(key, payload), given) for key in keys]
    if not any(matches):
        raise UnsubscribeTokenError(
            "the unsubscribe token's signature does not match: forged, altered, or signed "
            "with another secret",
            reason="signature",
        )
    try:
        version, recipient, signed_shop, signed_purpose, issued = json.loads(_unb64(payload))
        if version != _VERSION or not isinstance(recipient, str) or not isinstance(issued, int):
            raise ValueError(f"unknown token layout {version!r}")
        if not isinstance(signed_shop, str | None) or not isinstance(signed_purpose, str):
            raise ValueError("unknown token layout")
        issued_at = datetime.fromtimestamp(issued, UTC)
    except (ValueError, TypeError, OverflowError, OSError) as exc:
        raise UnsubscribeTokenError(
            f"the unsubscribe token is malformed: {exc}", reason="malformed"
        ) from None
    if shop_id is not None and signed_shop != shop_id:
        raise UnsubscribeTokenError(
            f"the unsubscribe token belongs to shop {signed_shop!r}, not {shop_id!r}",
            reason="shop",
        )
    if signed_purpose != purpose:
        raise UnsubscribeTokenError(
            f"the unsubscribe token opts out of {signed_purpose!r}, not {purpose!r}",
            reason="purpose",
        )
    current = now or datetime.now(UTC)
    if issued_at > current + _CLOCK_SKEW:
        raise UnsubscribeTokenError(
            f"the unsubscribe token was issued in the future ({issued_at.isoformat()})",
            reason="malformed",
        )
    if current - issued_at > max_age:
        raise UnsubscribeTokenError(
            f"the unsubscribe token expired: issued {issued_at.date().isoformat()}, "
            f"valid {max_age.days} days",
            reason="expired",
        )
    return Unsubscription(recipient, signed_shop, issued_at, signed_purpose)
