"""The Composer: turns shop data into finished :class:`Email` and :class:`Sms` messages.

One composer per shop (and theme); it keeps compiled templates per locale, so
build it once and reuse it::

    composer = rc.Composer(shop)
    email = composer.email("order_confirmation", order=order)
    sms = composer.sms("shipment_sent", shipment=shipment)
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from pydantic import BaseModel, ValidationError

from .errors import MessageError, RenderError
from .i18n import Formatter, is_rtl, negotiate_locale, translations
from .i18n.catalogs import SHIPPED_LOCALES
from .i18n.views import DelayView, OrderView, PromoView, ShipmentView
from .messages import Email, Kind, Mailbox, Purpose, Sms, idempotency_key
from .models import Customer, Delay, Order, Promo, Shipment, Shop
from .models._types import CONTROL_CHARACTERS as _CONTROL
from .models._types import construct
from .phones import can_receive_sms
from .rendering.compiled import one_shot
from .rendering.environment import (
    build_environment,
    packaged_template_names,
    render_errors,
    render_template,
    render_with_blocks,
)
from .rendering.inline import inline_css
from .rendering.theme import Theme
from .sms import transliterate

__all__ = ["Composer", "HtmlSizeWarning"]

#: Gmail clips messages whose HTML passes about 102 KB; stay under it.
DEFAULT_HTML_LIMIT = 100_000

_CONTEXT_TYPES: dict[str, type[BaseModel]] = {
    "customer": Customer,
    "order": Order,
    "shipment": Shipment,
    "delay": Delay,
    "promo": Promo,
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    Kind.ACCOUNT_CREATED: ("customer", "login_url"),
    Kind.ORDER_CONFIRMATION: ("order",),
    Kind.SHIPMENT_SENT: ("shipment",),
    Kind.ORDER_DELAYED: ("order", "delay"),
    Kind.DELIVERY_CHECK: ("order", "review_url"),
}


class HtmlSizeWarning(UserWarning):
    """An email's HTML is over the size limit (Gmail clips it); sent anyway by configuration."""


UnsubscribeURL = str | Callable[[Customer], str] | None


class Composer:
    """Builds every message kind for one shop, in the customer's language.

    Templates see the shop data (``shop``, ``customer``, ``order``,
    ``shipment``, ``delay``, ``promo``, ``login_url``, ``review_url``…), a
    :class:`~relationclient.i18n.Formatter` as ``fmt``, and views holding each
    value already formatted for the reader: ``o`` (the order), ``parcel`` (the
    shipment), ``late`` (the delay) and ``offer`` (the promo) — see
    :mod:`relationclient.i18n.views`.

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
        unsubscribe_url: Where marketing messages send customers who opt out:
            a string with ``{email}`` and ``{customer_id}`` placeholders (any
            other brace raises :class:`ValueError` here; write ``{{`` for a
            literal one), or a callable taking the customer. Default:
            ``<shop.website>/unsubscribe?email=<email>``.
        css_inlining: ``"template"`` (default) inlines the stylesheet into each
            HTML template once, when it loads; ``"message"`` runs premailer on
            every rendered message instead — the slow reference, same styles.
        optimise: Templates compiled to Python functions (Jinja renders
            those it cannot take), compiled currency formats, cached dates and
            addresses, constant strings translated when templates load
            (default). ``False`` is the plain reference path, Jinja and Babel
            called directly; the output is the same byte for byte.
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
        css_inlining: str = "template",
        optimise: bool = True,
    ) -> None:
        if not isinstance(shop, Shop):
            shop = Shop.model_validate(shop)
        if oversize not in ("error", "warn"):
            raise ValueError("oversize must be 'error' or 'warn'")
        self.shop = shop
        self.theme = theme or Theme()
        self.template_dirs = tuple(str(Path(d).resolve()) for d in template_dirs)
        self.default_locale = default_locale or shop.default_locale
        # Absolute paths: catalogs are cached by folder, and a relative folder
        # means another one after a change of working directory.
        self.catalog_dirs = tuple(str(Path(d).resolve()) for d in catalog_dirs)
        self.transliterate_sms = transliterate_sms
        self.html_size_limit = html_size_limit
        self.oversize = oversize
        if isinstance(unsubscribe_url, str):
            try:
                unsubscribe_url.format(email="", customer_id="")
            except (KeyError, IndexError, ValueError) as exc:
                raise ValueError(
                    f"unsubscribe_url {unsubscribe_url!r} cannot be filled in ({exc!r}): "
                    "only {email} and {customer_id} may appear in braces; write a "
                    "literal brace as {{ or }}"
                ) from exc
        self.unsubscribe_url = unsubscribe_url
        if css_inlining not in ("template", "message"):
            raise ValueError("css_inlining must be 'template' or 'message'")
        self.css_inlining = css_inlining
        self.optimise = optimise
        self._sender = Mailbox.model_construct(address=shop.email, name=shop.name)
        self._reply_to = Mailbox.model_construct(address=shop.reply_to) if shop.reply_to else None
        self._merchant: dict[str, str] | None = None
        self._envs: dict[str, jinja2.Environment] = {}
        self._locale_contexts: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    # -- templates ------------------------------------------------------------------
    def template_names(self) -> list[str]:
        """Names of the packaged templates a merchant may replace."""
        return packaged_template_names()

    def with_merchant_templates(self, templates: Mapping[str, str]) -> Composer:
        """A composer where ``templates`` (name → Jinja source) replace packaged ones.

        Meant for templates a merchant edits in a back office and stores in a
        database: they render in Jinja's sandbox, where an unsafe template raises
        :class:`RenderError` instead of running. Syntax errors are reported now,
        with the template's name and line.
        """
        known = set(self.template_names())
        for name in templates:
            if name not in known:
                raise RenderError(
                    f"{name!r} is not a template name; see Composer.template_names()",
                    template=name,
                )
        clone = Composer.__new__(Composer)
        clone.__dict__.update(self.__dict__)
        clone._merchant = {**(self._merchant or {}), **templates}
        clone._envs = {}
        clone._locale_contexts = {}
        clone._lock = threading.Lock()
        env = clone._environment(self.default_locale_negotiated)
        for name in templates:
            with render_errors(name):
                env.get_template(name)
        return clone

    @property
    def default_locale_negotiated(self) -> str:
        """The shipped locale used for customers whose own is not shipped."""
        return negotiate_locale(self.default_locale, self.shop.default_locale)

    def _environment(self, locale: str) -> jinja2.Environment:
        env = self._envs.get(locale)
        if env is None:
            with self._lock:
                env = self._envs.get(locale)
                if env is None:
                    rtl = is_rtl(locale)
                    style = {
                        "theme": self.theme,
                        "start": "right" if rtl else "left",
                        "end": "left" if rtl else "right",
                    }
                    env = build_environment(
                        translations(locale, self.catalog_dirs),
                        self.template_dirs,
                        self._merchant,
                        style_context=style if self.css_inlining == "template" else None,
                        compile_gettext=self.optimise,
                    )
                    # French sets a space before the colon of "Label : value".
                    env.globals["colon"] = " :" if locale.split("_")[0] == "fr" else ":"
                    self._envs[locale] = env
        return env

    # -- context ------------------------------------------------------------------------
    def _prepare(
        self, kind: Kind | str, locale: str | None, context: dict[str, Any]
    ) -> tuple[str, str, dict[str, Any]]:
        kind = str(kind.value if isinstance(kind, Kind) else kind)
        if kind not in _REQUIRED and not self._has_templates(kind):
            known = ", ".join(k.value for k in Kind)
            raise RenderError(f"unknown message kind {kind!r}; known kinds: {known}")
        for name in context:
            if "password" in name.lower():
                secrets = [name for name in context if "password" in name.lower()]
                raise RenderError(
                    f"{kind}: refusing {', '.join(secrets)}: a password is never sent by email "
                    "or SMS; send a sign-in or set-password link (login_url) instead"
                )
        for name in _REQUIRED.get(kind, ()):
            if context.get(name) is None:
                raise RenderError(f"{kind} needs {name}=… to render")
        for name, value in context.items():  # replacing values only: the size stays
            model = _CONTEXT_TYPES.get(name)
            # type() first: isinstance() on a pydantic class goes through its metaclass.
            if (
                model is not None
                and value is not None
                and type(value) is not model
                and not isinstance(value, model)
            ):
                try:
                    context[name] = model.model_validate(value)
                except ValidationError as exc:
                    raise RenderError(
                        f"{kind}: {name} is not a valid {model.__name__}: {exc}"
                    ) from exc
        order: Order | None = context.get("order")
        shipment: Shipment | None = context.get("shipment")
        if order is None and shipment is not None:
            order = context["order"] = shipment.order
        customer: Customer | None = context.get("customer") or (order.customer if order else None)
        if customer is None:
            raise RenderError(f"{kind} needs a customer (customer=… or an order)")
        context["customer"] = customer
        chosen = negotiate_locale(locale or customer.locale, self.default_locale)
        fmt = _formatter(
            chosen, customer.country, customer.timezone or self.shop.timezone, self.optimise
        )
        promo = context.get("promo")
        show_promo = promo is not None and customer.marketing_consent
        purpose: Purpose = "marketing" if show_promo else "transactional"
        context.update(self._locale_context(chosen))
        context["fmt"] = fmt
        context["kind"] = kind
        context["purpose"] = purpose
        context["show_promo"] = show_promo
        context["unsubscribe_url"] = self._unsubscribe(customer) if show_promo else None
        context.setdefault("promo", None)
        # Views: the values as this reader sees them, formatted once per message
        # and shared by the HTML, text and SMS templates.
        if order is not None:
            context["o"] = OrderView(order, fmt)
            if shipment is not None:
                context["parcel"] = ShipmentView(shipment, context["o"])
        delay: Delay | None = context.get("delay")
        if delay is not None:
            context["late"] = DelayView(delay, fmt)
        if promo is not None:
            context["offer"] = PromoView(promo, fmt)
        return kind, chosen, context

    def _locale_context(self, locale: str) -> dict[str, Any]:
        """The context entries that depend on the message's locale only, made once per locale."""
        entries = self._locale_contexts.get(locale)
        if entries is None:
            rtl = is_rtl(locale)
            entries = self._locale_contexts[locale] = {
                "shop": self.shop,
                "theme": self.theme,
                "locale": locale,
                "lang": locale.replace("_", "-"),
                "dir": "rtl" if rtl else "ltr",
                "start": "right" if rtl else "left",
                "end": "left" if rtl else "right",
            }
        return entries

    def _has_templates(self, kind: str) -> bool:
        """Whether a kind outside :class:`Kind` has templates: the shop's own, or merchant's."""
        names = (f"email/{kind}.html", f"sms/{kind}.txt")
        packaged = self.template_names()
        return any(
            name in packaged
            or name in (self._merchant or {})
            or any((Path(d) / name).is_file() for d in self.template_dirs)
            for name in names
        )

    def _unsubscribe(self, customer: Customer) -> str:
        if callable(self.unsubscribe_url):
            return self.unsubscribe_url(customer)
        if isinstance(self.unsubscribe_url, str):
            return self.unsubscribe_url.format(
                email=quote(customer.email, safe=""), customer_id=quote(customer.id or "", safe="")
            )
        return f"{self.shop.website.rstrip('/')}/unsubscribe?email={quote(customer.email, safe='')}"

    @staticmethod
    def _event(kind: str, context: Mapping[str, Any]) -> str:
        """What the message is about, for its idempotency key."""
        shipment: Shipment | None = context.get("shipment")
        order: Order | None = context.get("order")
        delay: Delay | None = context.get("delay")
        customer: Customer = context["customer"]
        if shipment is not None:
            return f"{shipment.order.number}/{shipment.carrier_name}/{shipment.tracking_number}"
        if order is not None and delay is not None:
            return f"{order.number}/{delay.new_date.isoformat()}"
        if order is not None:
            return order.number
        return customer.id or customer.email

    # -- messages ------------------------------------------------------------------------
    def email(self, kind: Kind | str, *, locale: str | None = None, **context: Any) -> Email:
        """Render message ``kind`` as an :class:`Email` for the customer in ``context``."""
        checked = not one_shot(context)  # what the composer adds holds no iterator
        kind, chosen, ctx = self._prepare(kind, locale, context)
        env = self._environment(chosen)
        text_name, html_name = f"email/{kind}.txt", f"email/{kind}.html"
        text, blocks = render_with_blocks(
            env, text_name, ctx, ("subject", "preheader"), checked=checked
        )
        text = _tidy_text(text)
        subject, preheader = _one_line(blocks["subject"]), _one_line(blocks["preheader"])
        ctx["subject"], ctx["preheader"] = subject, preheader
        html = render_template(env, html_name, ctx, checked=checked)
        if self.css_inlining == "message":
            html = inline_css(html)
        self._check_size(html, kind)
        customer: Customer = ctx["customer"]
        headers: dict[str, str] = {}
        if ctx["purpose"] == "marketing":
            headers["List-Unsubscribe"] = (
                f"<{ctx['unsubscribe_url']}>, <mailto:{self.shop.email}?subject=unsubscribe>"
            )
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        fields: dict[str, Any] = {  # in Email's field order
            "kind": kind,
            "locale": chosen,
            "purpose": ctx["purpose"],
            "idempotency_key": idempotency_key(
                kind, self._event(kind, ctx), "email", customer.email
            ),
            "created_at": datetime.now(UTC),
            "timezone": customer.timezone or self.shop.timezone,
            # Both addresses were validated with the customer and the shop.
            "to": construct(Mailbox, {"address": customer.email, "name": customer.full_name}),
            "sender": self._sender,
            "reply_to": self._reply_to,
            "subject": subject,
            "preheader": preheader,
            "html": html,
            "text": text,
            "headers": headers,
        }
        if self.optimise:
            return _construct_email(fields)
        try:
            return Email(**fields)
        except ValidationError as exc:
            raise MessageError(f"{kind} email cannot be sent as rendered: {exc}") from exc

    def sms(self, kind: Kind | str, *, locale: str | None = None, **context: Any) -> Sms:
        """Render message ``kind`` as an :class:`Sms` to the customer's mobile."""
        checked = not one_shot(context)  # what the composer adds holds no iterator
        kind, chosen, ctx = self._prepare(kind, locale, context)
        customer: Customer = ctx["customer"]
        if not customer.phone:
            raise MessageError(f"{kind} SMS: customer.phone is missing")
        # One line, single spaces. str.split() also splits on the no-break
        # spaces Babel puts in "1 365,20 €": an SMS has no line to keep whole,
        # and a plain space keeps French amounts in GSM-7.
        body = " ".join(
            render_template(
                self._environment(chosen), f"sms/{kind}.txt", ctx, checked=checked
            ).split()
        )
        if self.transliterate_sms:
            body = transliterate(body)
        if is_rtl(chosen):
            # The body starts with the shop's (often Latin) name: a right-to-left
            # mark makes phones lay the whole message out right to left.
            body = "\u200f" + body
        # Every field comes from validated models or from this method, so the
        # message is built without validating it again; the one rule the models
        # do not already guarantee — a number that can receive SMS — is checked
        # here, and an empty body (a merchant template that renders nothing) too.
        if not can_receive_sms(customer.phone):
            raise MessageError(
                f"{kind} SMS: customer.phone {customer.phone} is not a mobile number "
                "and cannot receive SMS"
            )
        if not body:
            raise MessageError(f"{kind} SMS: the template rendered an empty body")
        return Sms.model_construct(
            to=customer.phone,
            sender=self.shop.sender or self.shop.name,
            body=body,
            kind=kind,
            locale=chosen,
            purpose=ctx["purpose"],
            idempotency_key=idempotency_key(kind, self._event(kind, ctx), "sms", customer.phone),
            created_at=datetime.now(UTC),
            timezone=customer.timezone or self.shop.timezone,
        )

    def _check_size(self, html: str, kind: str) -> None:
        if len(html) * 4 <= self.html_size_limit:
            return  # even all four-byte characters would fit: no need to encode
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

    @property
    def locales(self) -> tuple[str, ...]:
        """The locales this composer can write in."""
        return SHIPPED_LOCALES


@lru_cache(maxsize=1024)
def _formatter(locale: str, country: str | None, timezone: str, optimised: bool) -> Formatter:
    """One Formatter per reader profile: it holds no per-message state."""
    return Formatter(locale, country, timezone, optimised=optimised)


def _one_line(text: str) -> str:
    """``" ".join(text.split())``: every run of blanks one space, none at either end."""
    # Printable text holds no blank but the ASCII space (every other one is a
    # control or separator character): without doubled, leading or trailing
    # spaces it is one line already, as most subjects are. Amounts and dates
    # bring no-break spaces ("2 717,98 €"), which split() turns into spaces
    # too: most preheaders are one line once they are plain.
    spaced = text
    if not text.isprintable():
        spaced = text.replace("\xa0", " ").replace("\u202f", " ")
        if not spaced.isprintable():
            return " ".join(text.split())
    if "  " not in spaced and spaced[:1] != " " and spaced[-1:] != " ":
        return spaced
    return " ".join(text.split())


_BLANKS = re.compile(r"\n{3,}")
# A newline after a blank that is not one (a line to strip), or starting three
# in a row (a blank line to drop). The literal ``\n`` first lets the engine skip
# straight from newline to newline: a few times cheaper than splitting the text.
_UNTIDY = re.compile(r"\n(?:(?<=[^\S\n]\n)|\n\n)")


def _tidy_text(text: str) -> str:
    """Lines without trailing blanks, at most one empty line in a row, one final newline.

    ``str.rstrip``, ``str.isspace`` and the pattern's blank class agree on what a
    blank is, so text the pattern passes is already tidy: most messages.
    """
    # One final newline already, none leading: tidy as it is, the text is its
    # own result (the test below, on the text less its newline), not a copy.
    if (
        text.endswith("\n")
        and not text.endswith("\n\n")
        and not text.startswith("\n")
        and not text[-2:-1].isspace()
        and not _UNTIDY.search(text, 0, len(text) - 1)
    ):
        return text
    body = text.strip("\n")
    if not body[-1:].isspace() and not _UNTIDY.search(body):
        return body + "\n"
    body = "\n".join(map(str.rstrip, body.split("\n")))
    if "\n\n\n" in body:
        body = _BLANKS.sub("\n\n", body)
    return body + "\n"


def _construct_email(fields: dict[str, Any]) -> Email:
    """The :class:`Email` that validating ``fields`` gives, without copying its 20 KB again.

    Every field comes from validated models or from the composer; what those do
    not already guarantee is checked here as the model would (a one-line,
    non-empty subject; header values without CR or LF), and strings are
    stripped as the model strips them. Validating instead costs more than
    rendering the HTML: pydantic copies the whole body in and out.
    """
    # The subject and preheader come from _one_line, kind and locale from code:
    # only the two bodies may start or end with blanks.
    fields["html"], fields["text"] = fields["html"].strip(), fields["text"].strip()
    subject = fields["subject"]
    # Printable text holds none of the control characters (isprintable() is
    # the cheaper test, and says so for most subjects).
    if not subject or (not subject.isprintable() and _CONTROL.search(subject)):
        raise MessageError(
            f"{fields['kind']} email cannot be sent as rendered: subject {subject!r} must be "
            "one non-empty line of text"
        )
    if fields["headers"]:  # transactional messages have none
        headers = {name: value.strip() for name, value in fields["headers"].items()}
        for name, value in headers.items():
            if "\r" in value or "\n" in value:
                raise MessageError(
                    f"{fields['kind']} email cannot be sent as rendered: header {name!r} "
                    "contains CR or LF, which could inject headers"
                )
        fields["headers"] = headers
    given = set(fields)  # as validation counts them: attachments were not given
    fields["attachments"] = ()
    return construct(Email, fields, given)
