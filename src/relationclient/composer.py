"""The Composer: turns shop data into finished :class:`Email` and :class:`Sms` messages.

One composer per shop (and theme); it keeps its template environments per
language, so build it once and reuse it::

    composer = rc.Composer(shop)
    email = composer.email("order_confirmation", order=order)
    sms = composer.sms("shipment_sent", shipment=shipment)

The composer decides what a message is about and for whom — the reader's
locale profile, the purpose, the idempotency key, the headers — and hands the
words to its :class:`~relationclient.rendering.renderer.Renderer`.
"""

from __future__ import annotations

import hashlib
import string
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError, to_json

from .errors import ConfigurationError, MessageError, RenderError
from .i18n import Formatter, LocaleProfile, locale_profile, negotiate_locale
from .i18n.catalogs import SHIPPED_LOCALES
from .i18n.views import (
    CancellationView,
    DelayView,
    InquiryView,
    OrderView,
    PromoView,
    RefundView,
    ReplyView,
    ShipmentView,
    WithdrawalView,
)
from .messages import Channel, Email, Kind, Mailbox, Purpose, Sms, idempotency_key
from .models import (
    Cancellation,
    Customer,
    Delay,
    Inquiry,
    Order,
    Promo,
    Refund,
    Reply,
    Shipment,
    Shop,
    Withdrawal,
)
from .models._types import HttpUrl
from .phones import can_receive_sms
from .rendering.environment import packaged_template_names
from .rendering.inline import inline_css
from .rendering.renderer import Renderer
from .rendering.sandbox import SandboxLimits
from .rendering.text import one_line, sms_line, tidy_text
from .rendering.theme import Theme
from .sms import transliterate
from .unsubscribe import Secret, sign
from .workdays import answer_due

__all__ = ["Composer", "HtmlSizeWarning", "MessageContext"]

#: Gmail clips messages whose HTML passes about 102 KB; stay under it.
DEFAULT_HTML_LIMIT = 100_000

_CONTEXT_TYPES: dict[str, type[BaseModel]] = {
    "customer": Customer,
    "order": Order,
    "shipment": Shipment,
    "delay": Delay,
    "promo": Promo,
    "cancellation": Cancellation,
    "refund": Refund,
    "withdrawal": Withdrawal,
    "inquiry": Inquiry,
    "reply": Reply,
}
#: Every URL a template shows is an absolute https URL (http for loopback hosts).
_URL: TypeAdapter[str] = TypeAdapter(HttpUrl)

_REQUIRED: dict[str, tuple[str, ...]] = {
    Kind.ACCOUNT_CREATED: ("customer", "login_url"),
    Kind.ORDER_CONFIRMATION: ("order",),
    Kind.ORDER_PREPARING: ("order",),
    Kind.SHIPMENT_SENT: ("shipment",),
    Kind.ORDER_DELAYED: ("order", "delay"),
    Kind.ORDER_CANCELLED: ("order", "cancellation"),
    Kind.REFUND_ISSUED: ("order", "refund"),
    Kind.WITHDRAWAL_ACKNOWLEDGED: ("order", "withdrawal"),
    Kind.DELIVERY_CHECK: ("order", "review_url"),
    Kind.INQUIRY_RECEIVED: ("inquiry",),
    Kind.SUPPORT_REPLY: ("inquiry", "reply"),
}


class HtmlSizeWarning(UserWarning):
    """An email's HTML is over the size limit (Gmail clips it); sent anyway by configuration."""


UnsubscribeURL = str | Callable[[Customer], str] | None
#: What an ``unsubscribe_url`` template may hold in braces; ``{token}`` is the signed one.
_UNSUBSCRIBE_FIELDS = ("token", "email", "customer_id")
#: A mail header line holds 998 characters (RFC 5322); the URL must fit on one.
_UNSUBSCRIBE_URL_LENGTH = 900


def _check_unsubscribe_template(url: str, secret: Secret | None) -> None:
    """Refuse now an ``unsubscribe_url`` template that could not give a signed https link."""
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(url)]
    except ValueError as exc:
        fields, broken = [], str(exc)
    else:
        broken = ""
    unknown = [
        name
        for name, spec, conv in fields
        if name is not None and (name not in _UNSUBSCRIBE_FIELDS or spec or conv)
    ]
    if broken or unknown:
        raise ConfigurationError(
            f"unsubscribe_url {url!r} cannot be filled in ({broken or ', '.join(unknown)}): "
            "only {token}, {email} and {customer_id} may appear in braces; write a literal "
            "brace as {{ or }}"
        )
    if "token" not in {name for name, _, _ in fields}:
        raise ConfigurationError(
            f"unsubscribe_url {url!r} has no {{token}}: a link without a signed token lets "
            "anyone unsubscribe anyone; put {token} where your endpoint reads it (and give "
            "unsubscribe_secret), or pass a callable that builds your own signed link"
        )
    if secret is None:
        raise ConfigurationError(
            "unsubscribe_url has {token} but no unsubscribe_secret was given: pass "
            "Composer(unsubscribe_secret=...), the secret your unsubscribe endpoint verifies "
            "tokens with (relationclient.unsubscribe.verify)"
        )
    _check_unsubscribe_link(url.format(token="t", email="e", customer_id="c"))


def _check_unsubscribe_link(link: str) -> str:
    """``link`` if it can go in ``List-Unsubscribe``: https, ASCII, short enough for one line."""
    if not link.isascii():
        raise ConfigurationError(
            f"unsubscribe_url {link!r} holds non-ASCII characters: percent-encode them "
            "(and write the host in punycode), as a mail header needs"
        )
    if len(link) > _UNSUBSCRIBE_URL_LENGTH:
        raise ConfigurationError(
            f"unsubscribe_url gives a {len(link)}-character link; a mail header line holds "
            f"998, so keep it under {_UNSUBSCRIBE_URL_LENGTH}"
        )
    try:
        _URL.validate_python(link)
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"]
        raise ConfigurationError(f"unsubscribe_url is refused: {reason}") from exc
    return link


@dataclass
class MessageContext:
    """What a template of ``kind`` sees, and what the message's envelope is made of.

    Returned by :meth:`Composer.context`; ``values`` is the Jinja context.
    """

    kind: str
    profile: LocaleProfile
    customer: Customer
    purpose: Purpose
    fmt: Formatter
    values: dict[str, Any]
    #: What the message is about, for its idempotency key (see :meth:`Composer.context`).
    event: str


class Composer:
    """Builds every message kind for one shop, in the customer's language and formats.

    Templates see the shop data (``shop``, ``customer``, ``order``,
    ``shipment``, ``delay``, ``promo``, ``login_url``, ``review_url``…), a
    :class:`~relationclient.i18n.Formatter` as ``fmt``, and views holding each
    value already formatted for the reader: ``o`` (the order), ``parcel`` (the
    shipment), ``late`` (the delay) and ``offer`` (the promo) — see
    :mod:`relationclient.i18n.views`.

    Every message's ``idempotency_key`` comes from the shop (:attr:`Shop.id`),
    the kind, the channel, the recipient and the event the kind is about: the
    order, the shipment, the delay's ``id`` (else its dates and reason). A
    shop's own kind (a template of its own) is identified by the ``event_id``
    it is given, else by the content of its context: two different messages
    of one kind to one customer are two messages, the same one retried is one.

    Args:
        shop: The :class:`~relationclient.Shop` the messages come from.
        theme: Colours, logo and fonts; :class:`Theme` defaults otherwise.
        template_dirs: The shop's own template folders, searched before the
            packaged templates (override a whole template, or extend
            ``relationclient/<name>`` and override single blocks).
        default_locale: Locale for customers without one (default: the shop's).
        catalog_dirs: The shop's own gettext catalogs, tried before ours.
        transliterate_sms: Map characters outside GSM-7 (``ç``, ``ê``…) to
            look-alikes so French SMS stay GSM-7 and cost half.
        html_size_limit: Bytes of HTML allowed after inlining (Gmail clips at
            about 102 KB).
        oversize: ``"error"`` raises :class:`MessageError` past the limit,
            ``"warn"`` emits :class:`HtmlSizeWarning` and goes on.
        unsubscribe_url: The shop's unsubscribe endpoint, which marketing
            emails link to (``List-Unsubscribe`` and the footer): an https URL
            with a ``{token}`` placeholder, filled with a token signed with
            ``unsubscribe_secret`` (see :mod:`relationclient.unsubscribe`);
            ``{email}`` and ``{customer_id}`` may appear too, and ``{{`` is a
            literal brace. Or a callable taking the
            :class:`~relationclient.Customer` and returning a link the shop
            signed itself. Without it, a marketing email (a promo shown to a
            consenting customer) raises :class:`ConfigurationError`.
        unsubscribe_secret: The secret the ``{token}`` is signed with (at
            least 16 bytes; keep it out of the code), the same the endpoint
            verifies with.
        max_sms_segments: The most segments an SMS may cost (default 4); a
            longer one is a :class:`RenderError` naming the kind, locale and
            count — never a thousand-segment bill from an oversized name.
        css_inlining: ``"template"`` (default) inlines the stylesheet into each
            HTML template once, when it loads; ``"message"`` runs premailer on
            every finished message instead — for shop stylesheets whose
            selectors reach across templates (``.footer a`` over a macro).
    """

    def __init__(
        self,
        shop: Shop,
        *,
        theme: Theme | None = None,
        template_dirs: Sequence[str | Path] = (),
        default_locale: str | None = None,
        catalog_dirs: Sequence[str | Path] = (),
        transliterate_sms: bool = False,
        html_size_limit: int = DEFAULT_HTML_LIMIT,
        oversize: str = "error",
        unsubscribe_url: UnsubscribeURL = None,
        unsubscribe_secret: Secret | None = None,
        css_inlining: str = "template",
        max_sms_segments: int = 4,
    ) -> None:
        if not isinstance(shop, Shop):
            shop = Shop.model_validate(shop)
        if oversize not in ("error", "warn"):
            raise ValueError("oversize must be 'error' or 'warn'")
        if css_inlining not in ("template", "message"):
            raise ValueError("css_inlining must be 'template' or 'message'")
        if max_sms_segments < 1:
            raise ValueError("max_sms_segments must be at least 1")
        if unsubscribe_secret is not None:
            sign("check@example.com", secret=unsubscribe_secret)  # too short: refused now
        if isinstance(unsubscribe_url, str):
            _check_unsubscribe_template(unsubscribe_url, unsubscribe_secret)
        elif unsubscribe_url is not None and not callable(unsubscribe_url):
            raise ConfigurationError(
                "unsubscribe_url must be an https URL with {token}, or a callable taking "
                f"the customer; got {type(unsubscribe_url).__name__}"
            )
        self.shop = shop
        self.default_locale = default_locale or shop.default_locale
        self.transliterate_sms = transliterate_sms
        self.html_size_limit = html_size_limit
        self.oversize = oversize
        self.unsubscribe_url = unsubscribe_url
        self.unsubscribe_secret = unsubscribe_secret
        self.css_inlining = css_inlining
        self.max_sms_segments = max_sms_segments
        self.renderer = Renderer(
            theme=theme,
            template_dirs=template_dirs,
            catalog_dirs=catalog_dirs,
            inline_css=css_inlining == "template",
        )
        self._sender = Mailbox(address=shop.email, name=shop.name)
        self._reply_to = Mailbox(address=shop.reply_to) if shop.reply_to else None

    @property
    def theme(self) -> Theme:
        """The colours, logo and fonts of the emails."""
        return self.renderer.theme

    @property
    def template_dirs(self) -> tuple[str, ...]:
        """The shop's template folders, as absolute paths."""
        return self.renderer.template_dirs

    @property
    def catalog_dirs(self) -> tuple[str, ...]:
        """The shop's catalog folders, as absolute paths."""
        return self.renderer.catalog_dirs

    @property
    def shop_id(self) -> str:
        """The shop's identity in idempotency keys (:attr:`Shop.id`)."""
        return self.shop.id or ""

    @property
    def locales(self) -> tuple[str, ...]:
        """The catalog languages this composer can write in."""
        return SHIPPED_LOCALES

    @property
    def default_locale_negotiated(self) -> str:
        """The shipped catalog used for customers whose own language has none."""
        return negotiate_locale(self.default_locale, self.shop.default_locale)

    # -- templates ------------------------------------------------------------------
    def template_names(self) -> list[str]:
        """Names of the packaged templates a merchant may replace."""
        return packaged_template_names()

    def with_merchant_templates(
        self, templates: Mapping[str, str], *, limits: SandboxLimits | None = None
    ) -> Composer:
        """A composer where ``templates`` (name → Jinja source) replace packaged ones.

        Meant for templates a merchant edits in a back office and stores in a
        database: they render in Jinja's sandbox, where an unsafe template raises
        :class:`RenderError` instead of running, within ``limits`` (source size,
        steps, output size; see :class:`~relationclient.rendering.sandbox.SandboxLimits`).
        Syntax errors are reported now, with the template's name and line.
        """
        clone = Composer.__new__(Composer)
        clone.__dict__.update(self.__dict__)
        clone.renderer = self.renderer.with_merchant_templates(templates, limits=limits)
        return clone

    @staticmethod
    def required_context(kind: Kind | str) -> tuple[str, ...]:
        """The context names message ``kind`` needs (``("order", "delay")``)."""
        return _REQUIRED.get(str(kind.value if isinstance(kind, Kind) else kind), ())

    # -- context ------------------------------------------------------------------------
    def context(
        self, kind: Kind | str, *, locale: str | None = None, **given: Any
    ) -> MessageContext:
        """The prepared context of message ``kind``: what its templates see, for whom.

        Validates ``given`` (models or their JSON), refuses secrets, picks the
        reader's locale profile and builds the views. :meth:`email` and
        :meth:`sms` render from it; checks and previews reuse it.

        Raises:
            RenderError: The kind is unknown, or context is missing (every
                missing name is listed) or invalid.
        """
        kind = str(kind.value if isinstance(kind, Kind) else kind)
        if kind not in _REQUIRED and not any(
            self.renderer.has_template(name) for name in (f"email/{kind}.html", f"sms/{kind}.txt")
        ):
            known = ", ".join(k.value for k in Kind)
            raise RenderError(f"unknown message kind {kind!r}; known kinds: {known}")
        secrets = [name for name in given if "password" in name.lower()]
        if secrets:
            raise RenderError(
                f"{kind}: refusing {', '.join(secrets)}: a password is never sent by email "
                "or SMS; send a sign-in or set-password link (login_url) instead"
            )
        missing = [name for name in _REQUIRED.get(kind, ()) if given.get(name) is None]
        if missing:
            raise RenderError(f"{kind} needs {', '.join(f'{n}=…' for n in missing)} to render")
        values = dict(given)
        for name, value in given.items():
            if name.endswith("_url") and value is not None:
                try:
                    values[name] = _URL.validate_python(value)
                except ValidationError as exc:
                    reason = exc.errors()[0]["msg"]
                    raise RenderError(f"{kind}: {name} is refused: {reason}") from exc
        for name, model in _CONTEXT_TYPES.items():
            value = values.get(name)
            if value is not None and not isinstance(value, model):
                try:
                    values[name] = model.model_validate(value)
                except ValidationError as exc:
                    raise RenderError(
                        f"{kind}: {name} is not a valid {model.__name__}: {exc}"
                    ) from exc
        order: Order | None = values.get("order")
        shipment: Shipment | None = values.get("shipment")
        if order is None and shipment is not None:
            order = values["order"] = shipment.order
        for name in ("cancellation", "refund", "withdrawal"):
            event: Cancellation | Refund | Withdrawal | None = values.get(name)
            if event is not None and order is not None:
                try:
                    event.check_for(order, name)
                except PydanticCustomError as exc:
                    raise RenderError(f"{kind}: {exc.message()}") from exc
        if kind == Kind.WITHDRAWAL_ACKNOWLEDGED and not (
            values["withdrawal"].return_costs or self.shop.return_costs
        ):
            raise RenderError(
                f"{kind}: say who pays for the return: withdrawal.return_costs or "
                "Shop.return_costs ('customer' or 'shop')"
            )
        inquiry: Inquiry | None = values.get("inquiry")
        customer: Customer | None = (
            values.get("customer")
            or (inquiry.customer if inquiry else None)
            or (order.customer if order else None)
        )
        if customer is None:
            raise RenderError(f"{kind} needs a customer (customer=… or an order)")
        profile = locale_profile(
            locale or customer.locale, customer.country, self.default_locale_negotiated
        )
        fmt = _formatter(
            profile.format_locale,
            customer.country,
            customer.timezone or self.shop.timezone,
            profile.rtl,
        )
        promo: Promo | None = values.get("promo")
        if promo is not None and promo.expires_on is not None:
            today = datetime.now(ZoneInfo(self.shop.timezone)).date()
            if promo.expires_on < today:
                raise RenderError(
                    f"{kind}: promo {promo.code} expired on {promo.expires_on.isoformat()} "
                    f"(today is {today.isoformat()} in {self.shop.timezone}): an expired "
                    "offer is never shown as live; leave promo out or give a current one"
                )
        show_promo = promo is not None and customer.marketing_consent
        purpose: Purpose = "marketing" if show_promo else "transactional"
        values.update(
            customer=customer,
            shop=self.shop,
            theme=self.theme,
            locale=profile.catalog,
            format_locale=profile.format_locale,
            lang=profile.lang,
            dir=profile.direction,
            start="right" if profile.rtl else "left",
            end="left" if profile.rtl else "right",
            fmt=fmt,
            kind=kind,
            purpose=purpose,
            show_promo=show_promo,
            unsubscribe_url=self._unsubscribe(customer) if show_promo else None,
            promo=promo,
        )
        # Views: the values as this reader sees them, formatted once per message
        # and shared by the HTML, text and SMS templates.
        if order is not None:
            values["o"] = OrderView(order, fmt)
            if shipment is not None:
                values["parcel"] = ShipmentView(shipment, values["o"])
        delay: Delay | None = values.get("delay")
        if delay is not None:
            values["late"] = DelayView(delay, fmt)
        if promo is not None:
            values["offer"] = PromoView(promo, fmt)
        if inquiry is not None:
            due = answer_due(
                inquiry.received_at,
                self.shop.response_time,
                self.shop.support_hours,
                self.shop.timezone,
                self.shop.country,
            )
            values["question"] = InquiryView(inquiry, due, fmt)
        if values.get("reply") is not None:
            values["answer"] = ReplyView(values["reply"], fmt)
        if order is not None:
            for name, view in (
                ("cancellation", CancellationView),
                ("refund", RefundView),
                ("withdrawal", WithdrawalView),
            ):
                if values.get(name) is not None:
                    values[name + "_view"] = view(values[name], values["o"], self.shop)
        return MessageContext(
            kind, profile, customer, purpose, fmt, values, self._event(kind, values, given)
        )

    def _unsubscribe(self, customer: Customer) -> str | None:
        """The link that opts ``customer`` out, signed for them; None when none is configured."""
        if self.unsubscribe_url is None:
            return None
        if callable(self.unsubscribe_url):
            return _check_unsubscribe_link(self.unsubscribe_url(customer))
        if self.unsubscribe_secret is None:
            raise ConfigurationError("unsubscribe_url has {token} but unsubscribe_secret is None")
        token = sign(customer.email, secret=self.unsubscribe_secret, shop_id=self.shop.id)
        return _check_unsubscribe_link(
            self.unsubscribe_url.format(
                token=token,
                email=quote(customer.email, safe=""),
                customer_id=quote(customer.id or "", safe=""),
            )
        )

    @staticmethod
    def _event(kind: str, values: Mapping[str, Any], given: Mapping[str, Any]) -> str:
        """What the message is about, for its idempotency key.

        The model the kind is about (the order, the shipment, the delay's id
        or content); for a shop's own kind, its ``event_id`` when given, else
        the content it was given: two different messages of one custom kind
        to one customer are two events, the same one retried is one.
        """
        customer: Customer = values["customer"]
        if kind not in _REQUIRED:
            if given.get("event_id") is not None:
                return f"event/{given['event_id']}"
            content = to_json(dict(sorted(given.items())), fallback=str)
            digest = hashlib.blake2b(content, digest_size=16).hexdigest()
            return f"{customer.id or customer.email}/{digest}"
        if values.get("reply") is not None:
            return f"reply/{values['reply'].id}"
        if values.get("inquiry") is not None:
            return f"inquiry/{values['inquiry'].id}"
        shipment: Shipment | None = values.get("shipment")
        order: Order | None = values.get("order")
        delay: Delay | None = values.get("delay")
        if shipment is not None:
            return f"{shipment.order.number}/{shipment.carrier_name}/{shipment.tracking_number}"
        if order is not None and delay is not None:
            if delay.id is not None:
                return f"{order.number}/delay/{delay.id}"
            return f"{order.number}/delay/{delay.previous_date}/{delay.new_date}/{delay.reason}"
        for name in ("cancellation", "refund", "withdrawal"):
            event: Cancellation | Refund | Withdrawal | None = values.get(name)
            if order is not None and event is not None:
                if event.id is not None:
                    return f"{order.number}/{name}/{event.id}"
                content = event.model_dump_json().encode()
                return (
                    f"{order.number}/{name}/{hashlib.blake2b(content, digest_size=16).hexdigest()}"
                )
        if order is not None:
            return order.number
        return customer.id or customer.email

    # -- messages ------------------------------------------------------------------------
    def email(self, kind: Kind | str, *, locale: str | None = None, **context: Any) -> Email:
        """Render message ``kind`` as an :class:`Email` for the customer in ``context``."""
        ctx = self.context(kind, locale=locale, **context)
        kind, catalog, values = ctx.kind, ctx.profile.catalog, ctx.values
        if ctx.purpose == "marketing" and values["unsubscribe_url"] is None:
            raise ConfigurationError(
                f"{kind}: a marketing email (a promo for a consenting customer) needs the "
                "shop's unsubscribe endpoint: Composer(unsubscribe_url="
                "'https://…/unsubscribe?token={token}', unsubscribe_secret=...); "
                "leave the promo out to send it as a transactional message"
            )
        text, blocks = self.renderer.render_with_blocks(
            f"email/{kind}.txt", catalog, values, ("subject", "preheader")
        )
        subject, preheader = one_line(blocks["subject"]), one_line(blocks["preheader"])
        values.update(subject=subject, preheader=preheader)
        html = self.renderer.render(f"email/{kind}.html", catalog, values)
        if self.css_inlining == "message":
            html = inline_css(html)
        self._check_size(html, kind)
        headers: dict[str, str] = {}
        if ctx.purpose == "marketing":
            # RFC 8058 one-click: the https link first; Email.to_mime never encodes it.
            mailto = quote(self.shop.email, safe="@")
            headers["List-Unsubscribe"] = (
                f"<{values['unsubscribe_url']}>, <mailto:{mailto}?subject=unsubscribe>"
            )
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        customer = ctx.customer
        try:
            return Email(
                **self._envelope(ctx, "email", customer.email),
                to=Mailbox(address=customer.email, name=customer.full_name),
                sender=self._sender,
                reply_to=self._reply_to,
                subject=subject,
                preheader=preheader,
                html=html,
                text=tidy_text(text),
                headers=headers,
            )
        except ValidationError as exc:
            raise MessageError(f"{kind} email cannot be sent as rendered: {exc}") from exc

    def sms(self, kind: Kind | str, *, locale: str | None = None, **context: Any) -> Sms:
        """Render message ``kind`` as an :class:`Sms` to the customer's mobile."""
        ctx = self.context(kind, locale=locale, **context)
        kind, customer = ctx.kind, ctx.customer
        if not customer.phone:
            raise MessageError(f"{kind} SMS: customer.phone is missing")
        if not can_receive_sms(customer.phone):
            raise MessageError(
                f"{kind} SMS: customer.phone {customer.phone} is not a mobile number "
                "and cannot receive SMS"
            )
        sender = self.shop.sender or self.shop.name
        # A phone-number sender takes a "reply STOP"; an alphanumeric one cannot.
        replies = sender.startswith("+") or sender.isdigit()
        if ctx.purpose == "marketing" and not self.shop.sms_stop_number and not replies:
            raise ConfigurationError(
                f"{kind}: a marketing SMS from the alphanumeric sender {sender!r} cannot "
                "receive a STOP reply: set Shop.sms_stop_number (the short number, such "
                "as a French 36xxx, where your SMS provider collects STOP), or send from "
                "a phone number"
            )
        body = sms_line(self.renderer.render(f"sms/{kind}.txt", ctx.profile.catalog, ctx.values))
        if not body:
            raise MessageError(f"{kind} SMS: the template rendered an empty body")
        if self.transliterate_sms:
            body = transliterate(body)
        if ctx.profile.rtl:
            # The body starts with the shop's (often Latin) name: a right-to-left
            # mark makes phones lay the whole message out right to left.
            body = "\u200f" + body
        try:
            sms = Sms(
                to=customer.phone,
                sender=sender,
                body=body,
                **self._envelope(ctx, "sms", customer.phone),
            )
        except ValidationError as exc:
            raise MessageError(f"{kind} SMS cannot be sent as rendered: {exc}") from exc
        if sms.segments > self.max_sms_segments:
            raise RenderError(
                f"{kind} SMS in {sms.locale} would cost {sms.segments} segments "
                f"({sms.encoding}), over the budget of {self.max_sms_segments} "
                "(Composer(max_sms_segments=...)): shorten the data it shows"
            )
        return sms

    def _envelope(self, ctx: MessageContext, channel: Channel, recipient: str) -> dict[str, Any]:
        """What every message carries besides its content: kind, locales, purpose, key, shop."""
        return {
            "kind": ctx.kind,
            "locale": ctx.profile.catalog,
            "format_locale": ctx.profile.format_locale,
            "purpose": ctx.purpose,
            "idempotency_key": idempotency_key(
                ctx.kind, ctx.event, channel, recipient, shop_id=self.shop_id
            ),
            "created_at": datetime.now(UTC),
            "timezone": ctx.customer.timezone or self.shop.timezone,
            "shop_id": self.shop_id,
            "shop_country": self.shop.country,
            "shop_timezone": self.shop.timezone,
        }

    def _check_size(self, html: str, kind: str) -> None:
        size = len(html.encode())
        if size <= self.html_size_limit:
            return
        message = (
            f"{kind} email HTML is {size} bytes after inlining, over the "
            f"{self.html_size_limit}-byte limit (Gmail clips messages past about 102 KB)"
        )
        if self.oversize == "warn":
            warnings.warn(message, HtmlSizeWarning, stacklevel=3)
        else:
            raise MessageError(message)


@lru_cache(maxsize=1024)
def _formatter(locale: str, country: str | None, timezone: str, rtl: bool) -> Formatter:
    """One :class:`Formatter` per reader profile, shared by their messages.

    A formatter holds no per-message state; sharing it also lets ``once`` find
    the contact block it rendered for the same shop and reader profile.
    """
    return Formatter(locale, country, timezone, rtl=rtl)
