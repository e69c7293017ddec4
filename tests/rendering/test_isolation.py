"""Phones, order and tracking numbers, references, amounts and email addresses kept whole.

In right-to-left text the bidi algorithm reverses the groups of a phone number
("56 34 12 78 4 33+") and splits an order number at its hyphens. Every such
value must sit in an element of its own direction in the HTML (a ``dir``
span), and between a directional isolate (U+2066 LRI, U+2067 RLI for an
Arabic-formatted amount) and U+2069 PDI in the text part, the subject and the
SMS — in tables, the contact block and translated sentences alike. In
left-to-right languages the HTML spans are there too (amounts never break
across lines) and text carries no bidi marks at all.

Expected values come from their sources at test time: amounts from Babel's
``format_currency`` in the reader's format locale, phone numbers from
libphonenumber, codes and addresses from the sample models; directions from
Babel's ``Locale.character_order``.
"""

from __future__ import annotations

import pickle
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import phonenumbers
import pytest
from babel import Locale
from babel.numbers import format_currency
from markupsafe import Markup
from phonenumbers import PhoneNumberFormat

from relationclient import Composer, samples
from relationclient.i18n import Formatter, isolate, translations
from relationclient.i18n.isolation import plain

from .conftest import KINDS, expected

LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
#: Every bidi control: embeddings, overrides, isolates and the implicit marks.
BIDI = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
#: Characters that make an occurrence part of a longer token (a URL, a bigger number).
TOKEN = re.compile(r"[\w/=?&%:.,@+\-]")


# -- the values a message must keep whole --------------------------------------------------


@dataclass
class Value:
    """One value as the reader sees it, and where it must appear."""

    what: str
    text: str
    direction: str = "ltr"
    #: "phone", "code", "email" or "money".
    sort: str = "code"
    #: Parts that must show it: "html", "text", "sms", "subject".
    required: set[str] = field(default_factory=set)


def direction_of(locale: str) -> str:
    return "rtl" if Locale.parse(locale).character_order == "right-to-left" else "ltr"


def phone_for(e164: str, reader_country: str | None) -> str:
    """National for a reader in the number's country, international otherwise (DESIGN.md)."""
    number = phonenumbers.parse(e164, None)
    national = reader_country and phonenumbers.region_code_for_number(number) == reader_country
    return phonenumbers.format_number(
        number, PhoneNumberFormat.NATIONAL if national else PhoneNumberFormat.INTERNATIONAL
    )


def values(kind: str, context: dict[str, Any]) -> list[Value]:
    """Every phone, code, amount and address of ``context``, with the parts that must show it."""
    shop, exp = samples.shop(), expected(context)
    money_dir = direction_of(exp.locale)
    inquiry = context.get("inquiry")
    order = context.get("order") or (
        context["shipment"].order if "shipment" in context else inquiry and inquiry.order
    )
    customer = inquiry.customer if inquiry else (context.get("customer") or order.customer)
    contact = {"html", "text"}  # the contact block of every email
    found = [
        Value(
            "shop phone", phone_for(shop.phone, customer.country), sort="phone", required=contact
        ),
        Value("shop email", shop.email, sort="email", required=set(contact)),
    ]

    def money(what: str, amount: Any, currency: str | None = None, *parts: str) -> None:
        found.append(Value(what, exp.money(amount, currency), money_dir, "money", set(parts)))

    if kind == "account_created":
        found.append(Value("login", customer.email, sort="email", required={"html", "text"}))
    if inquiry is not None:
        found.append(Value("reference", inquiry.id, required={"html", "text", "sms", "subject"}))
    if order is not None:
        found.append(
            Value("order number", order.number, required={"html", "text", "sms", "subject"})
        )
        currency = order.currency
        for i, line in enumerate(order.lines, 1):
            money(f"line {i} unit price", line.unit_price, currency)
            money(f"line {i} total", line.unit_price * line.quantity, currency)
        money("subtotal", order.subtotal)
        if order.shipping_price:
            money("shipping", order.shipping_price, currency)
        if order.discount:
            money("discount", -order.discount, currency)
        for tax in order.tax_lines:
            money("tax", tax.amount)
        total_parts = ("html", "text", "sms") if kind == "order_confirmation" else ()
        money("order total", order.total, None, *total_parts)
    if "shipment" in context:
        found.append(
            Value(
                "tracking number",
                context["shipment"].tracking_number,
                required={"html", "text", "sms"},
            )
        )
    refund = context.get("refund") or (
        context["cancellation"].refund if "cancellation" in context else None
    )
    if refund is not None:
        money("refund", refund.amount, None, "html", "text", "sms")
    promo = context.get("promo")
    if promo is not None:
        for what in ("amount_off", "minimum_order"):
            if getattr(promo, what, None):
                money(f"promo {what}", getattr(promo, what))
    return found


# -- reading the HTML -------------------------------------------------------------------------


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: Element | None
    children: list[Element | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def ancestors(self) -> list[Element]:
        chain, node = [], self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain

    def hidden(self) -> bool:
        return any(
            e.tag in ("head", "title", "style")
            or "display:none" in e.attrs.get("style", "").replace(" ", "")
            for e in self.ancestors()
        )

    def direction(self) -> Element:
        """The nearest element, this one included, with a ``dir`` attribute."""
        return next(e for e in self.ancestors() if "dir" in e.attrs)


class Tree(HTMLParser):
    """The HTML as elements and text nodes, each text node with its parent element."""

    VOID = frozenset({"br", "img", "meta", "hr", "input", "link", "wbr", "col", "area"})

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {"dir": "ltr"}, None)
        self.node = self.root
        self.texts: list[tuple[str, Element]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, self.node)
        self.node.children.append(element)
        if tag not in self.VOID:
            self.node = element

    def handle_endtag(self, tag: str) -> None:
        for element in self.node.ancestors():
            if element.tag == tag:
                self.node = element.parent or self.root
                return

    def handle_data(self, data: str) -> None:
        self.node.children.append(data)
        self.texts.append((data, self.node))

    def spans(self) -> list[Element]:
        found, todo = [], [self.root]
        while todo:
            element = todo.pop()
            if element.tag == "span" and "dir" in element.attrs:
                found.append(element)
            todo.extend(c for c in element.children if isinstance(c, Element))
        return found


def occurrences(text: str, value: str) -> list[int]:
    """Where ``value`` stands as a token of its own in ``text`` (not inside a URL or a number)."""
    found = []
    for match in re.finditer(re.escape(value), text):
        start, end = match.start(), match.end()
        before = BIDI.sub("", text[:start])[-1:]
        after = BIDI.sub("", text[end:])[:1]
        if before and TOKEN.fullmatch(before):
            continue
        if after and TOKEN.fullmatch(after) and after not in ".,:":
            continue
        found.append(start)
    return found


def first_strong(line: str) -> str:
    """The direction a plain-text reader gives ``line``: its first strong letter's.

    Unicode's rule P2 for a paragraph, isolates skipped: ``"L"``, ``"R"``, or ``""``.
    """
    depth = 0
    for char in line:
        if char in (LRI, RLI, FSI):
            depth += 1
        elif char == PDI:
            depth = max(depth - 1, 0)
        elif depth == 0 and unicodedata.bidirectional(char) in ("L", "R", "AL"):
            return "L" if unicodedata.bidirectional(char) == "L" else "R"
    return ""


def isolated_in_text(text: str, value: Value, *, sms: bool = False) -> tuple[int, list[str]]:
    """How often ``value`` appears in plain ``text``, and the places where it is not isolated.

    A left-to-right value in a left-to-right line (the official text of the withdrawal
    form after its Arabic translation) needs no isolate. An SMS has plain spaces only.
    """
    opening = RLI if value.direction == "rtl" else LRI
    shown = " ".join(value.text.split()) if sms else value.text
    where, bare = occurrences(text, shown), []
    for i in where:
        end = i + len(shown)
        if text[i - 1 : i] == opening and text[end:].startswith(PDI):
            continue
        line = text[text.rfind("\n", 0, i) + 1 : i]
        if value.direction == "ltr" and first_strong(line) == "L":
            continue
        bare.append(text[max(i - 20, 0) : end + 20])
    return len(where), bare


def isolated_in_html(tree: Tree, value: Value) -> tuple[int, list[str]]:
    """How often ``value`` is visible, and where it is not in an element of its direction.

    A value counts as isolated inside the nearest element with a ``dir`` of its own
    direction (its span, or the left-to-right official withdrawal form), or between
    isolate marks within its text (the model form's trader line, read from a text file).
    """
    count, bare = 0, []
    for data, parent in tree.texts:
        if parent.hidden():
            continue
        for i in occurrences(data, value.text):
            count += 1
            end = i + len(value.text)
            marked = data[i - 1 : i] in (LRI, RLI, FSI) and data[end:].startswith(PDI)
            if parent.direction().attrs["dir"] != value.direction and not marked:
                bare.append(BIDI.sub("", parent.text())[:120])
    return count, bare


# -- the tests ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def messages(composer: Composer) -> dict[tuple[str, str], tuple[Any, Any, dict[str, Any]]]:
    found = {}
    for kind in KINDS:
        for locale in ("ar", "fr", "de"):
            context = samples.context(kind, locale)
            found[kind, locale] = (
                composer.email(kind, **context),
                composer.sms(kind, **context),
                context,
            )
    return found


@pytest.mark.parametrize("kind", KINDS)
def test_arabic_html_keeps_every_value_in_an_element_of_its_direction(
    messages: dict[tuple[str, str], Any], kind: str
) -> None:
    email, _, context = messages[kind, "ar"]
    tree = Tree(email.html)
    assert direction_of("ar") == "rtl"
    for value in values(kind, context):
        count, bare = isolated_in_html(tree, value)
        assert not bare, f"{kind}/ar: the {value.what} {value.text!r} loose in {bare}"
        if "html" in value.required:
            assert count, f"{kind}/ar: the HTML does not show the {value.what} {value.text!r}"
            spans = [s for s in tree.spans() if s.text() == value.text and not s.hidden()]
            assert spans, f"{kind}/ar: no span holds the {value.what} {value.text!r}"
            assert all(s.attrs["dir"] == value.direction for s in spans)


@pytest.mark.parametrize("kind", KINDS)
def test_arabic_text_subject_and_sms_isolate_every_value(
    messages: dict[tuple[str, str], Any], kind: str
) -> None:
    email, sms, context = messages[kind, "ar"]
    parts = {"text": email.text, "subject": email.subject, "sms": sms.body}
    assert sms.encoding == "UCS-2"
    for value in values(kind, context):
        for part, text in parts.items():
            count, bare = isolated_in_text(text, value, sms=part == "sms")
            assert not bare, f"{kind}/ar {part}: the {value.what} {value.text!r} loose in {bare}"
            if part in value.required:
                assert count, f"{kind}/ar {part} does not show the {value.what} {value.text!r}"


@pytest.mark.parametrize("locale", ["fr", "de"])
@pytest.mark.parametrize("kind", KINDS)
def test_left_to_right_html_has_the_spans_and_text_no_bidi_marks(
    messages: dict[tuple[str, str], Any], kind: str, locale: str
) -> None:
    email, sms, context = messages[kind, locale]
    assert direction_of(locale) == "ltr"
    tree = Tree(email.html)
    spans = {s.text(): s for s in tree.spans() if not s.hidden()}
    for value in values(kind, context):
        if "html" in value.required:
            span = spans.get(value.text)
            assert span is not None, f"{kind}/{locale}: no span holds the {value.what}"
            assert span.attrs["dir"] == "ltr"
            nowrap = "white-space: nowrap" in span.attrs.get("style", "")
            assert nowrap is (value.sort != "email"), value.what
        for part, text in (("text", email.text), ("subject", email.subject), ("sms", sms.body)):
            if part in value.required:
                shown = " ".join(value.text.split()) if part == "sms" else value.text
                assert occurrences(text, shown), f"{kind}/{locale} {part}: {value.what}"
    for part, text in (("text", email.text), ("subject", email.subject), ("sms", sms.body)):
        assert not BIDI.search(text), f"{kind}/{locale}: bidi marks in the {part}"


def test_every_amount_of_an_order_is_on_one_line_in_every_language(
    messages: dict[tuple[str, str], Any],
) -> None:
    """A price never breaks across lines: each amount's span says ``white-space: nowrap``."""
    for locale in ("ar", "fr", "de"):
        email, _, context = messages["order_confirmation", locale]
        spans = {s.text(): s for s in Tree(email.html).spans()}
        amounts = [v for v in values("order_confirmation", context) if v.sort == "money"]
        assert len(amounts) >= 8
        for value in amounts:
            span = spans.get(value.text)
            assert span is not None, f"{locale}: no span holds the {value.what} {value.text!r}"
            assert "white-space: nowrap" in span.attrs["style"]
            assert span.attrs["dir"] == direction_of(expected(context).locale)


def _paragraphs_with(tree: Tree, span_text: str) -> list[str]:
    """The visible text of each paragraph (or list item) holding a span of ``span_text``."""
    found = []
    for span in tree.spans():
        if span.text() == span_text and not span.hidden():
            block = next((e for e in span.ancestors() if e.tag in ("p", "li")), None)
            if block is not None:
                found.append(block.text())
    return found


def test_order_number_inside_the_sentence_of_order_cancelled(
    messages: dict[tuple[str, str], Any],
) -> None:
    """The translated sentence carries the number's span; the text part its isolates."""
    email, _, context = messages["order_cancelled", "ar"]
    cancellation, number = context["cancellation"], context["order"].number
    by_shop, whole = cancellation.initiated_by == "shop", not cancellation.lines
    msgid = {
        (True, True): "We are sorry: we have had to cancel your order %(number)s.",
        (True, False): "We are sorry: we have had to cancel part of your order %(number)s.",
        (False, True): "As you asked, we have cancelled your order %(number)s.",
        (False, False): "As you asked, we have cancelled part of your order %(number)s.",
    }[by_shop, whole]
    sentence = translations("ar").gettext(msgid)
    assert sentence != msgid
    assert sentence % {"number": number} in _paragraphs_with(Tree(email.html), number)
    assert sentence % {"number": f"{LRI}{number}{PDI}"} in email.text


@pytest.mark.parametrize(
    ("kind", "msgid"),
    [
        ("inquiry_received", "Something urgent? Call us at %(phone)s."),
        ("order_delayed", "ask us anything: we answer by phone at %(phone)s or by email."),
        ("shipment_sent", "A question about your delivery? Call us at %(phone)s."),
    ],
)
def test_shop_phone_inside_a_translated_sentence(
    messages: dict[tuple[str, str], Any], kind: str, msgid: str
) -> None:
    """The phone that DESIGN.md saw reversed in running Arabic text reads whole."""
    email, _, context = messages[kind, "ar"]
    customer = context.get("inquiry", context.get("order"))
    customer = customer.customer if customer is not None else context["shipment"].order.customer
    phone = phone_for(samples.shop().phone, customer.country)
    sentence = translations("ar").gettext(msgid)
    assert sentence != msgid
    paragraphs = _paragraphs_with(Tree(email.html), phone)
    assert any(sentence % {"phone": phone} in p for p in paragraphs), paragraphs
    assert sentence % {"phone": f"{LRI}{phone}{PDI}"} in email.text


def test_an_arabic_discount_keeps_its_minus_sign_in_its_own_direction(
    messages: dict[tuple[str, str], Any],
) -> None:
    """Babel writes Arabic amounts for right-to-left reading (a right-to-left mark first):
    a ``dir="ltr"`` span would put the minus of a discount after the number."""
    email, _, context = messages["order_confirmation", "ar"]
    order = context["order"]
    assert order.discount > Decimal(0)
    exp = expected(context)
    discount = exp.money(-order.discount, order.currency)
    assert discount.startswith("\u200f")
    (span,) = [s for s in Tree(email.html).spans() if s.text() == discount]
    assert span.attrs["dir"] == "rtl"
    assert f"{RLI}{discount}{PDI}" in email.text


def test_an_attribute_or_url_never_holds_a_span_or_a_mark(
    messages: dict[tuple[str, str], Any],
) -> None:
    """Links and attributes take the bare value (``|plain``), in every language."""
    for (kind, locale), (email, _, _) in messages.items():
        tree, todo = Tree(email.html), []
        todo.append(tree.root)
        while todo:
            element = todo.pop()
            for name, value in element.attrs.items():
                where = f"{kind}/{locale} <{element.tag} {name}={value[:80]!r}>"
                assert "<span" not in value, where
                assert not BIDI.search(value), where
                assert not re.search("%E2%81%A[6-9]", value, re.I), where
            todo.extend(c for c in element.children if isinstance(c, Element))


MERCHANT_HTML = (
    '{% extends "relationclient/email/account_created.html" %}{% block content %}{{ super() }}'
    '<p id="voucher">{{ _("Voucher %(code)s", code=voucher|ltr) }}, '
    "{% trans code=voucher|ltr %}again {{ code }}{% endtrans %} "
    '<a href="https://shop.example/v?c={{ (voucher|ltr)|plain|urlencode }}">open</a></p>'
    "{% endblock %}"
)
MERCHANT_TEXT = (
    '{% extends "relationclient/email/account_created.txt" %}{% block content %}{{ super() }}'
    '{{ _("Voucher %(code)s", code=voucher|ltr) }}{% endblock %}'
)


@pytest.mark.parametrize("locale", ["ar", "fr"])
def test_a_merchant_template_marks_its_own_values_with_the_ltr_filter(
    composer: Composer, locale: str
) -> None:
    """``|ltr`` and ``|plain`` work in shop templates, in the merchant sandbox too."""
    edited = composer.with_merchant_templates(
        {"email/account_created.html": MERCHANT_HTML, "email/account_created.txt": MERCHANT_TEXT}
    )
    voucher = "AB-12 34"
    email = edited.email(
        "account_created", voucher=voucher, **samples.context("account_created", locale)
    )
    spans = [s for s in Tree(email.html).spans() if s.text() == voucher]
    assert len(spans) == 2
    assert all(s.attrs["dir"] == "ltr" and "nowrap" in s.attrs["style"] for s in spans)
    (paragraph,) = {id(s.parent): s.parent for s in spans}.values()
    assert paragraph is not None
    assert paragraph.attrs["id"] == "voucher"
    (link,) = [e for e in paragraph.children if isinstance(e, Element) and e.tag == "a"]
    assert link.attrs["href"] == "https://shop.example/v?c=AB-12%2034"
    wrapped = f"{LRI}{voucher}{PDI}" if direction_of(locale) == "rtl" else voucher
    assert f"Voucher {wrapped}" in email.text


def test_isolated_values_escape_pickle_and_refuse_a_bad_direction() -> None:
    value = isolate("<A&B>", rtl=True)
    assert str(value) == f"{LRI}<A&B>{PDI}"
    assert value.plain == "<A&B>"
    assert value.__html__() == (
        '<span dir="ltr" class="ltr" style="white-space: nowrap;">&lt;A&amp;B&gt;</span>'
    )
    assert Markup("<p>%(v)s</p>") % {"v": value} == f"<p>{value.__html__()}</p>"
    assert "%(v)s" % {"v": value} == str(value)  # noqa: UP031 - as gettext formats text parts
    again = pickle.loads(pickle.dumps(value))
    assert (again, again.plain, again.__html__()) == (value, value.plain, value.__html__())
    assert isolate(value, rtl=False) == "<A&B>"  # isolated again, not twice
    assert plain(value) == "<A&B>"
    assert plain(Markup("<b>x</b>")) == Markup("<b>x</b>")
    with pytest.raises(ValueError, match="direction"):
        isolate("x", rtl=True, direction="up")  # type: ignore[arg-type]


@pytest.mark.parametrize(("locale", "rtl"), [("ar", True), ("fr", False), ("fr", True)])
def test_formatter_isolates_amounts_in_the_direction_of_their_locale(
    locale: str, rtl: bool
) -> None:
    """An amount runs in its format locale's direction; marks only around right-to-left text."""
    fmt = Formatter(locale, "FR", "Europe/Paris", rtl=rtl)
    amount = fmt.money(Decimal("-1234.5"), "EUR")
    babel = format_currency(Decimal("-1234.5"), "EUR", locale=locale)
    opening = RLI if direction_of(locale) == "rtl" else LRI
    assert str(amount) == (f"{opening}{babel}{PDI}" if rtl else babel)
    assert amount.plain == babel
    assert amount.direction == direction_of(locale)
    phone = fmt.phone(samples.shop().phone)
    assert phone.plain == phone_for(samples.shop().phone, "FR")
    assert phone.direction == "ltr"
    assert fmt.email("a@b.example").nowrap is False
