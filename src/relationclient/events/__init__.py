"""Delivery events: what providers say after a message left, recorded into the outbox.

A provider's webhook says a message was delivered, bounced, opened, marked as
spam, or that a customer texted STOP. :func:`parse` checks the request's
signature or credentials and translates it into :class:`Event` objects;
:meth:`Outbox.record_events <relationclient.outbox.Outbox.record_events>`
stores them against their outbox entries and feeds each shop's suppression
list, which ``put`` and ``dispatch`` obey. :func:`asgi_app` and
:func:`wsgi_app` do both behind one path per provider::

    from relationclient import events
    from relationclient.outbox import Outbox

    outbox = Outbox("postgresql://shop@db/shop")
    app = events.asgi_app(
        outbox,
        {"postmark": events.BasicAuth("hooks", POSTMARK_HOOK_PASSWORD),
         "twilio": TWILIO_AUTH_TOKEN},
        public_url="https://shop.example/webhooks",
    )

Built in: Postmark, SendGrid, Mailgun, Mailjet, Brevo (email and SMS), Twilio
and Vonage, one module each. A provider is one module on
:class:`~relationclient.events.base.EventParser`; its docstring says how to
add one.
"""

from ..errors import WebhookPayloadError as WebhookPayloadError
from ..errors import WebhookSignatureError as WebhookSignatureError
from .apps import WebhookEndpoint as WebhookEndpoint
from .apps import asgi_app as asgi_app
from .apps import wsgi_app as wsgi_app
from .base import BasicAuth as BasicAuth
from .base import EventParser as EventParser
from .brevo import BearerToken as BearerToken
from .brevo import BrevoParser as BrevoParser
from .brevo import BrevoSmsParser as BrevoSmsParser
from .event import Event as Event
from .event import EventType as EventType
from .mailgun import MailgunParser as MailgunParser
from .mailjet import MailjetParser as MailjetParser
from .parsers import PARSERS as PARSERS
from .parsers import parse as parse
from .parsers import parser_for as parser_for
from .postmark import PostmarkParser as PostmarkParser
from .sendgrid import SendGridParser as SendGridParser
from .twilio import TwilioParser as TwilioParser
from .vonage import VonageParser as VonageParser
from .vonage import VonageSignature as VonageSignature

__all__ = [
    "PARSERS",
    "BasicAuth",
    "BearerToken",
    "BrevoParser",
    "BrevoSmsParser",
    "Event",
    "EventParser",
    "EventType",
    "MailgunParser",
    "MailjetParser",
    "PostmarkParser",
    "SendGridParser",
    "TwilioParser",
    "VonageParser",
    "VonageSignature",
    "WebhookEndpoint",
    "WebhookPayloadError",
    "WebhookSignatureError",
    "asgi_app",
    "parse",
    "parser_for",
    "wsgi_app",
]
