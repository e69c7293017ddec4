"""relationclient: correct, localised customer messages for online shops.

Build the messages of an order's whole life — welcome, order recap, "being
prepared", shipment notice, delay warning, cancellation, refund, withdrawal
acknowledgement, delivery check — as HTML + text email and SMS, in the
customer's language and regional formats, and send them through the provider
the shop already uses.
"""

from .__about__ import __version__ as __version__
from .composer import Composer as Composer
from .composer import HtmlSizeWarning as HtmlSizeWarning
from .errors import ConfigurationError as ConfigurationError
from .errors import LockTimeoutError as LockTimeoutError
from .errors import MessageError as MessageError
from .errors import PermanentTransportError as PermanentTransportError
from .errors import RelationClientError as RelationClientError
from .errors import RenderError as RenderError
from .errors import TransientTransportError as TransientTransportError
from .errors import TransportError as TransportError
from .errors import UnsubscribeTokenError as UnsubscribeTokenError
from .errors import UnsupportedMessageError as UnsupportedMessageError
from .errors import WebhookPayloadError as WebhookPayloadError
from .errors import WebhookSignatureError as WebhookSignatureError
from .messages import Attachment as Attachment
from .messages import Email as Email
from .messages import Kind as Kind
from .messages import Mailbox as Mailbox
from .messages import Sms as Sms
from .models import Address as Address
from .models import Cancellation as Cancellation
from .models import CancellationReason as CancellationReason
from .models import Customer as Customer
from .models import Delay as Delay
from .models import DelayReason as DelayReason
from .models import Delivery as Delivery
from .models import Inquiry as Inquiry
from .models import Money as Money
from .models import Order as Order
from .models import OrderLine as OrderLine
from .models import Promo as Promo
from .models import Refund as Refund
from .models import Reply as Reply
from .models import Shipment as Shipment
from .models import Shop as Shop
from .models import SupportHours as SupportHours
from .models import TaxLine as TaxLine
from .models import Withdrawal as Withdrawal
from .rendering.theme import Theme as Theme

__all__ = [
    "Address",
    "Attachment",
    "Cancellation",
    "CancellationReason",
    "Composer",
    "ConfigurationError",
    "Customer",
    "Delay",
    "DelayReason",
    "Delivery",
    "Email",
    "HtmlSizeWarning",
    "Inquiry",
    "Kind",
    "LockTimeoutError",
    "Mailbox",
    "MessageError",
    "Money",
    "Order",
    "OrderLine",
    "PermanentTransportError",
    "Promo",
    "Refund",
    "RelationClientError",
    "RenderError",
    "Reply",
    "Shipment",
    "Shop",
    "Sms",
    "SupportHours",
    "TaxLine",
    "Theme",
    "TransientTransportError",
    "TransportError",
    "UnsubscribeTokenError",
    "UnsupportedMessageError",
    "WebhookPayloadError",
    "WebhookSignatureError",
    "Withdrawal",
    "__version__",
]
