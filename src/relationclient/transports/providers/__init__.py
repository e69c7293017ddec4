"""HTTP API providers, one module each: how to build its request and how to read its answer.

The base class :class:`~relationclient.transports.HTTPTransport` owns the rest:
the connection pool, timeouts, the User-Agent, retries, and turning HTTP
statuses into :class:`~relationclient.TransientTransportError` or
:class:`~relationclient.PermanentTransportError`.

Email:

* :class:`BrevoEmailTransport`: ``POST https://api.brevo.com/v3/smtp/email``
* :class:`PostmarkTransport`: ``POST https://api.postmarkapp.com/email``
* :class:`SendGridTransport`: ``POST https://api.sendgrid.com/v3/mail/send``
* :class:`MailgunTransport`: ``POST https://api.mailgun.net/v3/{domain}/messages``
  (``api.eu.mailgun.net`` for EU domains)
* :class:`MailjetTransport`: ``POST https://api.mailjet.com/v3.1/send``

SMS:

* :class:`BrevoSmsTransport`: ``POST https://api.brevo.com/v3/transactionalSMS/send``
* :class:`TwilioSmsTransport`:
  ``POST https://api.twilio.com/2010-04-01/Accounts/{sid}/Messages.json``
* :class:`VonageSmsTransport`: ``POST https://rest.nexmo.com/sms/json``
"""

from .brevo import BrevoEmailTransport as BrevoEmailTransport
from .brevo import BrevoSmsTransport as BrevoSmsTransport
from .mailgun import MailgunTransport as MailgunTransport
from .mailjet import MailjetTransport as MailjetTransport
from .postmark import PostmarkTransport as PostmarkTransport
from .sendgrid import SendGridTransport as SendGridTransport
from .twilio import TwilioSmsTransport as TwilioSmsTransport
from .vonage import VonageSmsTransport as VonageSmsTransport

__all__ = [
    "BrevoEmailTransport",
    "BrevoSmsTransport",
    "MailgunTransport",
    "MailjetTransport",
    "PostmarkTransport",
    "SendGridTransport",
    "TwilioSmsTransport",
    "VonageSmsTransport",
]
