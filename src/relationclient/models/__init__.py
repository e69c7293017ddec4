"""The typed shop data every message is built from (pydantic v2, validated on construction).

Models are immutable and round-trip through JSON unchanged. Bad input raises
:class:`pydantic.ValidationError` naming the field.
"""

from ._types import currency_precision as currency_precision
from .lifecycle import Cancellation as Cancellation
from .lifecycle import CancellationReason as CancellationReason
from .lifecycle import Refund as Refund
from .lifecycle import Withdrawal as Withdrawal
from .money import Money as Money
from .money import round_money as round_money
from .orders import Delay as Delay
from .orders import DelayReason as DelayReason
from .orders import Delivery as Delivery
from .orders import Order as Order
from .orders import OrderLine as OrderLine
from .orders import Promo as Promo
from .orders import Shipment as Shipment
from .orders import TaxLine as TaxLine
from .parties import EU_EEA_COUNTRIES as EU_EEA_COUNTRIES
from .parties import Address as Address
from .parties import Customer as Customer
from .parties import Shop as Shop
from .parties import SupportHours as SupportHours
from .support import Inquiry as Inquiry
from .support import Reply as Reply

__all__ = [
    "EU_EEA_COUNTRIES",
    "Address",
    "Cancellation",
    "CancellationReason",
    "Customer",
    "Delay",
    "DelayReason",
    "Delivery",
    "Inquiry",
    "Money",
    "Order",
    "OrderLine",
    "Promo",
    "Refund",
    "Reply",
    "Shipment",
    "Shop",
    "SupportHours",
    "TaxLine",
    "Withdrawal",
    "currency_precision",
    "round_money",
]
