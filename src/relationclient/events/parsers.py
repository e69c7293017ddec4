"""The built-in webhook parsers by provider name, and :func:`parse`, which picks one.

A provider is added by writing its module (see :mod:`relationclient.events.base`)
and naming its parser here: nothing is discovered by scanning.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConfigurationError
from .base import EventParser
from .brevo import BrevoParser, BrevoSmsParser
from .event import Event
from .mailgun import MailgunParser
from .mailjet import MailjetParser
from .postmark import PostmarkParser
from .sendgrid import SendGridParser
from .twilio import TwilioParser
from .vonage import VonageParser

__all__ = ["PARSERS", "parse", "parser_for"]

#: Every built-in parser, by the name ``parse`` and the apps' paths use.
PARSERS: dict[str, type[EventParser]] = {
    PostmarkParser.name: PostmarkParser,
    SendGridParser.name: SendGridParser,
    MailgunParser.name: MailgunParser,
    TwilioParser.name: TwilioParser,
    MailjetParser.name: MailjetParser,
    BrevoParser.name: BrevoParser,
    BrevoSmsParser.name: BrevoSmsParser,
    VonageParser.name: VonageParser,
}


def parser_for(provider: str) -> type[EventParser]:
    """The parser class of ``provider``; :class:`ConfigurationError` naming the known ones."""
    try:
        return PARSERS[provider.lower()]
    except KeyError:
        raise ConfigurationError(
            f"no webhook parser for provider {provider!r}: known are {', '.join(sorted(PARSERS))}"
        ) from None


def parse(
    provider: str,
    *,
    headers: Mapping[str, str],
    body: bytes | str,
    url: str | None = None,
    secret: Any,
    verify: bool = True,
) -> list[Event]:
    """The events of one webhook request from ``provider``, its signature checked first.

    Args:
        provider: ``"postmark"`` or ``"twilio"`` (see :data:`PARSERS`).
        headers: The request's headers (any case).
        body: The raw body, exactly as received: a signature covers its bytes.
        url: The full public URL the provider called, query string included:
            Twilio's signature covers it (behind a proxy, the URL the provider
            was given, not the one your server sees).
        secret: What the provider documents for checking its webhooks —
            Postmark: the basic-auth credentials of the webhook URL
            (:class:`~relationclient.events.BasicAuth`); Twilio: the Auth Token.
        verify: False only for a payload replayed from a file you trust
            (``relationclient events replay``); ``secret`` may then be None.

    Returns:
        The events, in the body's order; none for a request about nothing we
        track (a Twilio "sent", an inbound message that is not STOP or START).

    Raises:
        WebhookSignatureError: The signature or credentials do not check out.
        WebhookPayloadError: The body, or a field of it, cannot be read.
        ConfigurationError: An unknown provider, or a secret of the wrong kind.
    """
    parser = parser_for(provider)(secret if verify else None)
    raw = body.encode() if isinstance(body, str) else body
    return parser.parse(headers=headers, body=raw, url=url, verify=verify)
