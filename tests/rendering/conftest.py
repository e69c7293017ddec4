import html as htmllib
import re

import pytest

from relationclient import samples
from relationclient.composer import Composer

KINDS = (
    "account_created",
    "order_confirmation",
    "shipment_sent",
    "order_delayed",
    "delivery_check",
)


@pytest.fixture(scope="session")
def composer() -> Composer:
    return Composer(samples.shop())


def squash(text: str) -> str:
    """Whitespace-normalised text, so a value split over lines or padded still matches."""
    return re.sub(r"\s+", " ", text).strip()


def visible_text(html: str) -> str:
    """What a reader sees or clicks in an HTML email: text, plus the target of each link."""
    body = re.sub(r"(?is)<(style|head)\b.*?</\1>", " ", html)
    body = re.sub(r"(?i)<a\b[^>]*\bhref=\"([^\"]*)\"[^>]*>", r" \1 ", body)
    return squash(htmllib.unescape(re.sub(r"<[^>]+>", " ", body)))
