"""A shop's data for the checks: its JSON data file, and the contexts messages render from."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .. import samples
from ..errors import ConfigurationError
from ..messages import Kind
from ..models import Customer, Delay, Order, Promo, Shipment, Shop

_MODELS: dict[str, type[BaseModel]] = {
    "customer": Customer,
    "order": Order,
    "shipment": Shipment,
    "delay": Delay,
    "promo": Promo,
}


def with_models(context: Mapping[str, Any]) -> dict[str, Any]:
    """``context`` with JSON-like values validated into models, as the composer does."""
    ready = dict(context)
    for name, model in _MODELS.items():
        value = ready.get(name)
        if value is not None and not isinstance(value, model):
            ready[name] = model.model_validate(value)
    if ready.get("order") is None and ready.get("shipment") is not None:
        ready["order"] = ready["shipment"].order
    if ready.get("customer") is None and ready.get("order") is not None:
        ready["customer"] = ready["order"].customer
    return ready


def load_data(path: str | Path) -> tuple[Shop, dict[str, Any]]:
    """Read a shop's JSON data file: ``{"shop": {...}, "order": {...}, ...}``.

    Returns:
        The validated :class:`Shop` and the rest of the object (a message context).

    Raises:
        ConfigurationError: The file cannot be read, is not JSON, or has no ``shop``.
        pydantic.ValidationError: The shop is invalid (the error names the field).
    """
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"{path} is not JSON: {exc}") from exc
    if not isinstance(payload, dict) or "shop" not in payload:
        raise ConfigurationError(f'{path} needs a JSON object with a "shop" key')
    shop = Shop.model_validate(payload.pop("shop"))
    return shop, payload


def sample_context(
    kind: Kind | str, locale: str, data: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The context that renders ``kind`` for ``locale``: sample data, the shop's own first.

    ``data`` holds the shop's own values (``order``, ``shipment``, ``customer``,
    ``delay``, ``promo``, ``cancellation``, ``refund``, ``withdrawal``,
    ``login_url``, ``review_url``; models or their JSON), used wherever the kind
    needs them; :mod:`relationclient.samples` fills the rest. An ``order``
    without a ``shipment`` is shipped whole in one sample parcel; without a
    cancellation, refund or withdrawal, the sample one is made of that order.
    """
    kind = str(kind.value if isinstance(kind, Kind) else kind)
    context = samples.context(kind, locale)
    if not data:
        return context
    given = with_models({k: v for k, v in data.items() if k != "shop"})
    for name in context:
        if name in given:
            context[name] = given[name]
    if kind == Kind.SHIPMENT_SENT and "shipment" not in given and "order" in given:
        context["shipment"] = samples.shipment(locale, order=given["order"])
    if kind == Kind.ACCOUNT_CREATED and "customer" not in given and "order" in given:
        context["customer"] = given["order"].customer
    # A cancellation, refund or withdrawal of the shop's own order, when it gave none.
    events = {"cancellation": samples.cancellation, "refund": samples.refund}
    events["withdrawal"] = samples.withdrawal
    for name, sample in events.items():
        if name in context and name not in given and "order" in given:
            context[name] = sample(given["order"])
    return context
