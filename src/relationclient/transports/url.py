"""Transports named by URL, credentials from the environment: what ``relationclient send`` uses.

A URL says *where* and *how* (``smtp://shop@smtp.example.net:587``,
``mailgun://mg.example.fr?region=eu``); secrets come from environment variables
only, because a command line ends up in shell histories, process lists and CI
logs. A URL that carries a password or a key is refused, naming the variable to
use instead.

=====================================  =============================================================
URL                                    transport, and where its credentials come from
=====================================  =============================================================
``smtp://[user@]host[:587]``           :class:`SMTPTransport`, STARTTLS; password from
                                       ``RELATIONCLIENT_SMTP_PASSWORD`` when a user is given;
                                       ``?security=starttls|ssl|none``, ``?timeout=30``
``smtps://[user@]host[:465]``          the same with TLS from the first byte
``maildir:///path``                    :class:`MaildirTransport` (``maildir://relative/path`` too)
``console://``                         :class:`ConsoleTransport` (``?html=1`` prints the HTML too)
``memory://``                          :class:`MemoryTransport`
``brevo://``                           :class:`BrevoEmailTransport`, ``BREVO_API_KEY``
``brevo-sms://``                       :class:`BrevoSmsTransport`, ``BREVO_API_KEY``
``postmark://?stream=outbound``        :class:`PostmarkTransport`, ``POSTMARK_SERVER_TOKEN``
``sendgrid://``                        :class:`SendGridTransport`, ``SENDGRID_API_KEY``
``mailgun://DOMAIN?region=eu``         :class:`MailgunTransport`, ``MAILGUN_API_KEY``
``mailjet://``                         :class:`MailjetTransport`, ``MAILJET_API_KEY`` and
                                       ``MAILJET_SECRET_KEY``
``twilio://``                          :class:`TwilioSmsTransport`, ``TWILIO_ACCOUNT_SID`` and
                                       ``TWILIO_AUTH_TOKEN``
``vonage://``                          :class:`VonageSmsTransport`, ``VONAGE_API_KEY`` and
                                       ``VONAGE_API_SECRET``
=====================================  =============================================================

HTTP providers also take ``?base_url=…`` (a regional endpoint, a test server),
``?timeout=…`` in seconds and ``?concurrency=…``, the most requests in flight at
once (8 by default; see :doc:`/sending/batches`).

Example:
    >>> t = transport_from_url("mailgun://mg.example.fr?region=eu", {"MAILGUN_API_KEY": "k"})
    >>> t.base_url
    'https://api.eu.mailgun.net'
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from ..errors import ConfigurationError
from .base import Transport
from .console import ConsoleTransport
from .maildir import MaildirTransport
from .memory import MemoryTransport
from .providers import (
    BrevoEmailTransport,
    BrevoSmsTransport,
    MailgunTransport,
    MailjetTransport,
    PostmarkTransport,
    SendGridTransport,
    TwilioSmsTransport,
    VonageSmsTransport,
)
from .smtp import Security, SMTPTransport

__all__ = ["SCHEMES", "SMTP_PASSWORD_VARIABLE", "transport_from_url"]

#: Where ``smtp://user@host`` finds the password of ``user``.
SMTP_PASSWORD_VARIABLE = "RELATIONCLIENT_SMTP_PASSWORD"

# Query parameters that would put a secret on the command line.
_SECRET_WORDS = ("password", "passwd", "secret", "token", "key", "sid", "auth")


@dataclass(frozen=True)
class _Target:
    """A parsed transport URL."""

    url: str
    scheme: str
    user: str | None
    host: str
    netloc: str
    port: int | None
    path: str
    query: dict[str, str]

    @property
    def base_url(self) -> str | None:
        """The ``base_url`` query parameter of HTTP providers (a test server, a region)."""
        return self.query.get("base_url") or None

    def option(self, name: str, default: str) -> str:
        return self.query.get(name, default)

    def http(self) -> dict[str, Any]:
        """The keyword arguments every HTTP provider takes from its URL.

        ``base_url``, ``timeout`` (10 s by default) and ``concurrency`` (the
        provider's own bound on requests in flight by default).
        """
        raw = self.query.get("concurrency")
        concurrency = None
        if raw is not None:
            concurrency = int(raw) if raw.isdigit() else 0
            if concurrency < 1:
                raise ConfigurationError(
                    f"{self.scheme}://: concurrency must be a whole number of requests >= 1, "
                    f"not {raw!r}"
                )
        return {
            "base_url": self.base_url,
            "timeout": self.timeout(10.0),
            "concurrency": concurrency,
        }

    def timeout(self, default: float) -> float:
        raw = self.query.get("timeout")
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if value <= 0:
            raise ConfigurationError(f"{self.scheme}://: timeout must be seconds > 0, not {raw!r}")
        return value


def _env(environ: Mapping[str, str], scheme: str, *names: str) -> list[str]:
    """The values of ``names`` in ``environ``; a missing or empty one is named in the error."""
    missing = [name for name in names if not environ.get(name)]
    if missing:
        listed = " and ".join(missing)
        raise ConfigurationError(
            f"{scheme}:// needs {listed} in the environment (credentials are never taken "
            "from the command line)"
        )
    return [environ[name] for name in names]


def _smtp(target: _Target, environ: Mapping[str, str]) -> Transport:
    implicit_tls = target.scheme == "smtps"
    security = target.option("security", "ssl" if implicit_tls else "starttls")
    if security not in ("starttls", "ssl", "none"):
        raise ConfigurationError(
            f"{target.scheme}://: security must be starttls, ssl or none, not {security!r}"
        )
    if not target.host:
        raise ConfigurationError(f"{target.scheme}:// needs a host: {target.scheme}://user@host")
    password = None
    if target.user is not None:
        [password] = _env(environ, target.scheme, SMTP_PASSWORD_VARIABLE)
    return SMTPTransport(
        target.host,
        target.port or (465 if security == "ssl" else 587),
        username=target.user,
        password=password,
        security=cast(Security, security),
        timeout=target.timeout(30.0),
    )


def _maildir(target: _Target, environ: Mapping[str, str]) -> Transport:
    folder = target.netloc + target.path
    if not folder:
        raise ConfigurationError("maildir:// needs a folder: maildir:///var/mail/shop")
    return MaildirTransport(Path(folder).expanduser())


def _console(target: _Target, environ: Mapping[str, str]) -> Transport:
    return ConsoleTransport(show_html=target.option("html", "0").lower() in ("1", "true", "yes"))


def _memory(target: _Target, environ: Mapping[str, str]) -> Transport:
    return MemoryTransport()


def _brevo(target: _Target, environ: Mapping[str, str]) -> Transport:
    [key] = _env(environ, target.scheme, "BREVO_API_KEY")
    return BrevoEmailTransport(key, **target.http())


def _brevo_sms(target: _Target, environ: Mapping[str, str]) -> Transport:
    [key] = _env(environ, target.scheme, "BREVO_API_KEY")
    return BrevoSmsTransport(key, **target.http())


def _postmark(target: _Target, environ: Mapping[str, str]) -> Transport:
    [token] = _env(environ, target.scheme, "POSTMARK_SERVER_TOKEN")
    return PostmarkTransport(
        token,
        target.option("stream", "outbound"),
        broadcast_stream=target.query.get("broadcast_stream"),
        **target.http(),
    )


def _sendgrid(target: _Target, environ: Mapping[str, str]) -> Transport:
    [key] = _env(environ, target.scheme, "SENDGRID_API_KEY")
    return SendGridTransport(key, **target.http())


def _mailgun(target: _Target, environ: Mapping[str, str]) -> Transport:
    if not target.host:
        raise ConfigurationError("mailgun:// needs the sending domain: mailgun://mg.example.fr")
    [key] = _env(environ, target.scheme, "MAILGUN_API_KEY")
    region = target.option("region", "us")
    if region not in ("us", "eu"):
        raise ConfigurationError(f"mailgun://: region must be us or eu, not {region!r}")
    return MailgunTransport(
        key,
        target.host,
        cast(Literal["us", "eu"], region),
        **target.http(),
    )


def _mailjet(target: _Target, environ: Mapping[str, str]) -> Transport:
    key, secret = _env(environ, target.scheme, "MAILJET_API_KEY", "MAILJET_SECRET_KEY")
    return MailjetTransport(key, secret, **target.http())


def _twilio(target: _Target, environ: Mapping[str, str]) -> Transport:
    sid, token = _env(environ, target.scheme, "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")
    return TwilioSmsTransport(sid, token, **target.http())


def _vonage(target: _Target, environ: Mapping[str, str]) -> Transport:
    key, secret = _env(environ, target.scheme, "VONAGE_API_KEY", "VONAGE_API_SECRET")
    return VonageSmsTransport(key, secret, **target.http())


_Factory = Callable[[_Target, Mapping[str, str]], Transport]

#: The query parameters of every HTTP provider (see :meth:`_Target.http`).
_HTTP = frozenset({"base_url", "timeout", "concurrency"})

# scheme -> (factory, query parameters it accepts, whether a user name is allowed)
_FACTORIES: dict[str, tuple[_Factory, frozenset[str], bool]] = {
    "smtp": (_smtp, frozenset({"security", "timeout"}), True),
    "smtps": (_smtp, frozenset({"security", "timeout"}), True),
    "maildir": (_maildir, frozenset(), False),
    "console": (_console, frozenset({"html"}), False),
    "memory": (_memory, frozenset(), False),
    "brevo": (_brevo, _HTTP, False),
    "brevo-sms": (_brevo_sms, _HTTP, False),
    "postmark": (
        _postmark,
        frozenset({"stream", "broadcast_stream"}) | _HTTP,
        False,
    ),
    "sendgrid": (_sendgrid, _HTTP, False),
    "mailgun": (_mailgun, frozenset({"region"}) | _HTTP, False),
    "mailjet": (_mailjet, _HTTP, False),
    "twilio": (_twilio, _HTTP, False),
    "vonage": (_vonage, _HTTP, False),
}

#: The URL schemes :func:`transport_from_url` knows, sorted.
SCHEMES: tuple[str, ...] = tuple(sorted(_FACTORIES))


def _parse(url: str) -> _Target:
    """Split ``url``, refusing every place a secret could hide in it."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _FACTORIES:
        raise ConfigurationError(
            f"unknown transport URL {_redacted(url)!r}; known schemes: "
            + ", ".join(f"{s}://" for s in SCHEMES)
        )
    _, accepted, user_allowed = _FACTORIES[scheme]
    if parts.password is not None:
        where = f"; set {SMTP_PASSWORD_VARIABLE}" if scheme in ("smtp", "smtps") else ""
        raise ConfigurationError(
            f"refusing a {scheme}:// URL that contains a password: a command line is visible "
            f"to other users and kept in shell history. Put the secret in the environment{where}"
        )
    if parts.username is not None and not user_allowed:
        raise ConfigurationError(
            f"{scheme}:// takes no user name or key in the URL; its credentials come from "
            "the environment (see relationclient.transports.url)"
        )
    query: dict[str, str] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name not in accepted:
            if any(word in name.lower() for word in _SECRET_WORDS):
                raise ConfigurationError(
                    f"refusing {name!r} in a {scheme}:// URL: secrets come from the environment, "
                    "never from the command line"
                )
            allowed = ", ".join(sorted(accepted)) or "none"
            raise ConfigurationError(f"{scheme}:// does not take {name!r}; it takes: {allowed}")
        query[name] = value
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigurationError(f"{scheme}://: bad port in {_redacted(url)!r}") from exc
    return _Target(
        url=url,
        scheme=scheme,
        user=unquote(parts.username) if parts.username is not None else None,
        host=unquote(parts.hostname or ""),
        netloc=unquote(parts.netloc),
        port=port,
        path=unquote(parts.path),
        query=query,
    )


def _redacted(url: str) -> str:
    """``url`` without anything between ``://`` and ``@`` (shown in errors)."""
    head, sep, rest = url.partition("://")
    if sep and "@" in rest.split("/", 1)[0]:
        return f"{head}://***@{rest.split('@', 1)[1]}"
    return url


def transport_from_url(url: str, environ: Mapping[str, str] = os.environ) -> Transport:
    """The transport ``url`` names, its credentials read from ``environ``.

    Args:
        url: ``smtp://user@host:587``, ``maildir:///path``, ``brevo://``… (see the
            module documentation for every scheme and its variables).
        environ: Where credentials are looked up; the process environment by default.

    Returns:
        A transport, not yet connected (the first ``send`` opens its connection).

    Raises:
        ConfigurationError: For an unknown scheme (the error lists the known ones),
            a URL carrying a password or key, an unknown query parameter, or a
            missing environment variable (the error names it).
    """
    target = _parse(url)
    factory, _, _ = _FACTORIES[target.scheme]
    return factory(target, environ)
