"""The look of every email (issue 21): the callout first, line items that fit a phone.

Structure is read with the standard library's ``html.parser`` into a small tree,
and every expected value comes from its source at test time: Babel through
:class:`~.conftest.Expected`, the shipped catalogs through ``gettext``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from relationclient import samples
from relationclient.composer import Composer
from relationclient.i18n import translations

from .conftest import KINDS, Expected, expected, squash

LOCALES = samples.LOCALES
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"}
)
#: Bidirectional isolates and marks: structure, not text, for these comparisons.
BIDI = re.compile("[\u2066-\u2069\u200e\u200f\u061c]")


class Node:
    """One element of a parsed email: its tag, attributes, children (nodes and text)."""

    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()

    def text(self) -> str:
        """The text inside, whitespace squashed, bidi controls left out."""
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return BIDI.sub("", squash(" ".join(parts)))

    def walk(self) -> Iterator[Node]:
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.walk()

    def find_all(self, tag: str | None = None, cls: str | None = None) -> list[Node]:
        return [
            n
            for n in self.walk()
            if (tag is None or n.tag == tag) and (cls is None or cls in n.classes)
        ]

    def find(self, tag: str | None = None, cls: str | None = None) -> Node:
        found = self.find_all(tag, cls)
        assert found, f"no <{tag or '*'} class={cls!r}> in <{self.tag}>"
        return found[0]

    def elements(self) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node)]


class TreeBuilder(HTMLParser):
    """``html.parser`` events into :class:`Node` objects."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Node(tag, dict(attrs), self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        assert node is not None, f"stray </{tag}>"
        assert node.parent is not None, f"stray </{tag}>"
        self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(html: str) -> Node:
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def gettext(locale: str) -> Callable[[str], str]:
    return translations(locale).gettext


def plain(text: str) -> str:
    return BIDI.sub("", squash(text))


def key_facts(
    kind: str, context: dict[str, Any], fmt: Expected, locale: str
) -> tuple[str, list[str]]:
    """The status in words and the key facts, in order, that ``kind``'s callout shows."""
    _ = gettext(locale)
    if kind == "account_created":
        return _("Your account is ready"), [context["customer"].email]
    if kind == "shipment_sent":
        shipment = context["shipment"]
        status = (
            "Part of your order is on its way"
            if shipment.more_to_come
            else "Your parcel is on its way"
        )
        return _(status), [
            shipment.tracking_number,
            shipment.carrier_name,
            fmt.day(shipment.expected_on),
        ]
    if kind == "inquiry_received":
        return _("Message received"), [context["inquiry"].id]
    if kind == "support_reply":
        return _("Our answer to your message"), [context["inquiry"].id]
    order = context["order"]
    if kind in ("order_confirmation", "order_preparing"):
        status = (
            "Order confirmed" if kind == "order_confirmation" else "Your order is being prepared"
        )
        return _(status), [
            order.number,
            fmt.money(order.total),
            fmt.day(order.delivery.estimated_date),
        ]
    if kind == "order_delayed":
        delay = context["delay"]
        return _("New delivery date"), [
            order.number,
            fmt.day(delay.new_date),
            fmt.day(delay.previous_date),
        ]
    if kind == "delivery_check":
        return _("Did your order %(number)s arrive in good condition?") % {
            "number": order.number
        }, []
    if kind == "order_cancelled":
        cancellation = context["cancellation"]
        status = "Order cancelled" if not cancellation.lines else "Part of your order cancelled"
        return _(status), [order.number, fmt.money(cancellation.refund.amount)]
    if kind == "refund_issued":
        refund = context["refund"]
        return _("Refund issued"), [
            fmt.money(refund.amount),
            order.number,
            fmt.day(refund.expected_by),
        ]
    if kind == "withdrawal_acknowledged":
        withdrawal = context["withdrawal"]
        return _("Withdrawal received"), [order.number, fmt.datetime(withdrawal.received_at)]
    raise AssertionError(kind)


def callout_of(html: str) -> Node:
    """The callout, checked to be the first element of the content area."""
    content = parse(html).find("td", "content")
    first = content.elements()[0]
    assert "callout" in first.classes, f"the content area starts with <{first.tag} {first.attrs}>"
    return first


def in_order(values: list[str], text: str) -> bool:
    position = 0
    for value in values:
        found = text.find(plain(value), position)
        if found < 0:
            return False
        position = found + len(plain(value))
    return True


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", KINDS)
def test_callout_comes_first_with_the_status_and_key_facts(
    composer: Composer, kind: str, locale: str
) -> None:
    context = samples.context(kind, locale)
    email = composer.email(kind, **context)
    status, facts = key_facts(kind, context, expected(context), locale)
    callout = callout_of(email.html)
    assert callout.find("p", "callout-status").text() == plain(status)
    values = callout.find_all("td", "callout-value")
    assert in_order(facts, " ".join(v.text() for v in values)), (kind, locale, facts)
    # The text part opens with the same block: the status, then the facts in that order.
    block, rule, _rest = email.text.partition("-" * 64)
    assert rule, "the text part's callout ends with a rule"
    lines = block.strip().split("\n")
    assert plain(lines[0]) == plain(status)
    assert in_order(facts, plain(" ".join(lines[1:])))
    # Each row of the HTML callout is a label/value line of the text block, in the same order.
    labels = [cell.text() for cell in callout.find_all("td", "callout-label")]
    assert [plain(line.split(":")[0].rstrip("\u00a0 ")) for line in lines[1 : 1 + len(labels)]] == [
        plain(label) for label in labels
    ]


def test_the_tracking_button_is_big_and_in_the_callout(composer: Composer) -> None:
    for locale in LOCALES:
        context = samples.context("shipment_sent", locale)
        callout = callout_of(composer.email("shipment_sent", **context).html)
        button = callout.find("a", "button")
        assert button.attrs["href"] == context["shipment"].tracking_url
        assert "button-big" in button.classes
        assert button.text() == plain(gettext(locale)("Track your parcel"))


@pytest.mark.parametrize("locale", LOCALES)
def test_the_new_date_stands_out_and_the_old_one_is_struck_through(
    composer: Composer, locale: str
) -> None:
    context = samples.context("order_delayed", locale)
    fmt = expected(context)
    callout = callout_of(composer.email("order_delayed", **context).html)
    old, new = callout.find("del", "old"), callout.find("ins", "new")
    assert old.text() == plain(fmt.day(context["delay"].previous_date))
    assert new.text() == plain(fmt.day(context["delay"].new_date))
    assert "line-through" in (old.attrs.get("style") or "")
    assert "background" in (new.attrs.get("style") or "")


@pytest.mark.parametrize("locale", LOCALES)
def test_the_delivery_check_asks_with_two_actions(composer: Composer, locale: str) -> None:
    _ = gettext(locale)
    context = samples.context("delivery_check", locale)
    order, shop = context["order"], samples.shop()
    email = composer.email("delivery_check", **context)
    yes, no = callout_of(email.html).find_all("a", "button")
    assert (yes.text(), yes.attrs["href"]) == (plain(_("Yes, all good")), context["review_url"])
    assert no.text() == plain(_("No, a problem"))
    # Without a contact page: an email to the shop, the order number in its subject.
    href = no.attrs["href"] or ""
    parts = urlsplit(href)
    assert (parts.scheme, unquote(parts.path)) == ("mailto", shop.email)
    subject = _("Order %(number)s: a problem with my parcel") % {"number": order.number}
    assert parse_qs(parts.query) == {"subject": [subject]}
    assert re.fullmatch(r"[A-Za-z0-9%._~!$'()*+,;:@-]*", parts.query.removeprefix("subject="))
    # The text part offers the same two, in the same order.
    lines = email.text.split("-" * 64)[0]
    assert in_order([_("Yes, all good"), context["review_url"], _("No, a problem"), href], lines)


def test_a_problem_goes_to_the_contact_page_when_the_shop_has_one() -> None:
    shop = samples.shop().model_copy(
        update={"contact_url": "https://www.maison-lumiere.fr/contact"}
    )
    email = Composer(shop).email(
        "delivery_check", order=samples.order("de"), review_url=samples.REVIEW_URL
    )
    no = callout_of(email.html).find_all("a", "button")[1]
    assert no.attrs["href"] == "https://www.maison-lumiere.fr/contact"
    assert "https://www.maison-lumiere.fr/contact" in email.text.split("-" * 64)[0]


def test_an_order_number_with_reserved_characters_is_encoded_once() -> None:
    order = samples.order("fr", number="A&B/7 ?#")
    email = Composer(samples.shop()).email(
        "delivery_check", order=order, review_url=samples.REVIEW_URL
    )
    href = callout_of(email.html).find_all("a", "button")[1].attrs["href"] or ""
    subject = parse_qs(urlsplit(href).query)["subject"][0]
    assert "A&B/7 ?#" in subject
    assert "&amp;" not in subject


# -- line items -------------------------------------------------------------------------

#: Kinds whose emails list lines with prices, and where those lines come from.
PRICED_LINES = {
    "order_confirmation": lambda c: c["order"].lines,
    "order_cancelled": lambda c: c["cancellation"].lines,
    "refund_issued": lambda c: c["refund"].lines,
    "withdrawal_acknowledged": lambda c: c["withdrawal"].lines,
}


def item_rows(html: str) -> list[Node]:
    return [row for table in parse(html).find_all("table", "items") for row in table.find_all("tr")]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", sorted(PRICED_LINES))
def test_each_line_is_name_quantity_times_price_and_total(
    composer: Composer, kind: str, locale: str
) -> None:
    context = samples.context(kind, locale)
    fmt = expected(context)
    lines = PRICED_LINES[kind](context)
    assert lines, "the sample has lines to show"
    currency = context["order"].currency
    rows = item_rows(composer.email(kind, **context).html)
    assert len(rows) == len(lines)
    for row, line in zip(rows, lines, strict=True):
        cells = row.elements()
        assert [c.tag for c in cells] == ["td", "td"]  # no picture here, and never four columns
        main, total = cells
        assert main.find("span", "item-name").text() == plain(line.name)
        quantity = main.find("span", "item-qty").text()
        assert quantity == plain(
            f"{line.quantity}\u00a0×\u00a0{fmt.money(line.unit_price, currency)}"
        )
        assert "item-total" in total.classes
        assert total.text() == plain(fmt.money(line.total, currency))


def test_lines_stack_on_phones(composer: Composer) -> None:
    html = composer.email("order_confirmation", **samples.context("order_confirmation")).html
    style = parse(html).find("style").text()
    phone = style[style.index("@media only screen and (max-width: 480px)") :]
    for cls in ("item-main", "item-total"):
        rule = re.search(r"\." + cls + r"\s*\{([^}]*)\}", phone)
        assert rule, cls
        assert re.search(r"display:\s*block\s*!important", rule.group(1)), rule.group(1)


def test_parcel_lines_show_the_quantity_without_prices(composer: Composer) -> None:
    for locale in LOCALES:
        context = samples.context("shipment_sent", locale)
        rows = item_rows(composer.email("shipment_sent", **context).html)
        items = context["shipment"].items
        assert len(rows) == len(items)
        for row, line in zip(rows, items, strict=True):
            (main,) = row.elements()
            label = gettext(locale)("Quantity")
            assert re.fullmatch(
                re.escape(plain(label)) + r"\s?:\s?" + str(line.quantity),
                main.find("span", "item-qty").text(),
            )


def with_pictures(order: Any, *urls: str | None) -> Any:
    lines = [
        line.model_copy(update={"image_url": url})
        for line, url in zip(order.lines, urls, strict=False)
    ]
    return order.model_copy(update={"lines": lines + list(order.lines[len(lines) :])})


def test_a_line_with_a_picture_gets_a_thumbnail_with_its_name_as_alt_text(
    composer: Composer,
) -> None:
    order = with_pictures(samples.order("fr"), "https://cdn.example.com/lampe.jpg", None)
    rows = item_rows(composer.email("order_confirmation", order=order).html)
    for row, line in zip(rows, order.lines, strict=True):
        picture, _main, _total = row.elements()
        assert "item-picture" in picture.classes
        images = picture.find_all("img")
        if line.image_url is None:
            assert images == []
            continue
        (image,) = images
        assert image.attrs["src"] == line.image_url
        assert image.attrs["alt"] == line.name
        assert (image.attrs["width"], image.attrs["height"]) == ("56", "56")


def test_no_picture_column_without_pictures(composer: Composer) -> None:
    rows = item_rows(composer.email("order_confirmation", order=samples.order("fr")).html)
    assert not any(row.find_all("td", "item-picture") for row in rows)


def test_image_url_must_be_https() -> None:
    from pydantic import ValidationError

    from relationclient import OrderLine

    line = samples.order("fr").lines[0]
    data = {"sku": line.sku, "name": line.name, "quantity": 1, "unit_price": line.unit_price}
    assert OrderLine(**data, image_url="https://cdn.example.com/a.jpg").image_url
    with pytest.raises(ValidationError, match="image_url"):
        OrderLine(**data, image_url="javascript:alert(1)")


def text_items(text: str) -> list[str]:
    """The lines between the rules framing the first list of lines in a text part."""
    parts = text.split("-" * 64)
    return parts[2].strip("\n").split("\n")


def test_a_long_name_wraps_without_moving_the_totals_column(composer: Composer) -> None:
    order = samples.order("fr")
    long = "Coussin en lin lavé, teint à la main dans notre atelier de la Croix-Rousse, 45 × 45 cm"
    lines = [order.lines[0], order.lines[1].model_copy(update={"name": long}), *order.lines[2:]]
    order = order.model_copy(update={"lines": lines})
    fmt = Expected(order.customer, samples.shop())
    text = composer.email("order_confirmation", order=order).text
    items = text_items(text)
    assert all(len(line) <= 64 for line in items), items
    for line in order.lines:
        total = fmt.money(line.total, order.currency)
        ending = [row for row in items if row.endswith(total)]
        assert ending, total
        assert all(len(row) == 64 for row in ending)  # flush with the column
    # The whole name is there, wrapped at its blanks, the continuation indented.
    first = next(i for i, row in enumerate(items) if row.startswith("2 × Coussin"))
    total = fmt.money(order.lines[1].total, order.currency)
    wrapped = [items[first].removesuffix(total).rstrip()]
    wrapped += [row for row in items[first + 1 : first + 3] if row.startswith("    ")]
    assert len(wrapped) > 1
    assert " ".join(row.strip() for row in wrapped).startswith("2 × " + long)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_unit_price_only_for_more_than_one(composer: Composer, locale: str) -> None:
    context = samples.context("order_confirmation", locale)
    fmt = expected(context)
    order = context["order"]
    text = composer.email("order_confirmation", **context).text
    _ = gettext(locale)
    for line in order.lines:
        each = _("%(price)s each") % {"price": fmt.money(line.unit_price, order.currency)}
        assert (plain(each) in plain(text)) == (line.quantity > 1), (line.name, line.quantity)


@pytest.mark.parametrize("kind", sorted(PRICED_LINES))
def test_right_to_left_text_parts_have_no_padded_columns(composer: Composer, kind: str) -> None:
    email = composer.email(kind, **samples.context(kind, "ar"))
    body = email.text.split("\n\n> ")[0]
    padded = [line for line in body.split("\n") if re.search(r"\S {3,}\S", line)]
    assert padded == []
    # The left-to-right ones do pad, so the check above can fail.
    french = composer.email(kind, **samples.context(kind, "fr")).text
    assert any(re.search(r"\S {3,}\S", line) for line in french.split("\n"))


def test_columns_wrap_at_blanks_only() -> None:
    from relationclient.rendering.text import columns

    assert columns("Total", "9,00\u00a0€", 20) == "Total" + " " * 9 + "9,00\u00a0€"
    wrapped = columns("2 × un nom assez long pour deux lignes", "10\u00a0€", 30).split("\n")
    assert [len(line) <= 30 for line in wrapped] == [True] * len(wrapped)
    assert wrapped[0].endswith("10\u00a0€")
    assert len(wrapped[0]) == 30
    assert all(line.startswith("    ") for line in wrapped[1:])
    # A no-break space holds; a word longer than the room is never cut.
    assert columns("a\u00a0" * 20, "1", 20).startswith("a\u00a0" * 20)
    assert columns("x" * 40, "1", 20) == "x" * 40 + "  1"


# -- dark mode, logo, meta, attributes ---------------------------------------------------


def stylesheet(theme: Any = None) -> str:
    """``email/styles.css`` as the renderer renders it for a left-to-right language."""
    from relationclient import Theme
    from relationclient.rendering.renderer import Renderer

    template = Renderer().environment("fr").get_template("email/styles.css")
    return template.render(theme=theme or Theme(), start="left", end="right")


def css_rules(css: str) -> list[tuple[str, str, dict[str, str]]]:
    """(media, selector, declarations) for every rule; media is "" at the top level."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    found: list[tuple[str, str, dict[str, str]]] = []

    def block(text: str, media: str) -> None:
        position = 0
        while (opening := text.find("{", position)) >= 0:
            head = text[position:opening].strip()
            if head.startswith("@"):
                depth, end = 1, opening + 1
                while depth:
                    depth += {"{": 1, "}": -1}.get(text[end], 0)
                    end += 1
                block(text[opening + 1 : end - 1], head)
                position = end
                continue
            closing = text.index("}", opening)
            declarations = {}
            for declaration in text[opening + 1 : closing].split(";"):
                name, colon, value = declaration.partition(":")
                if colon:
                    declarations[name.strip()] = value.replace("!important", "").strip()
            for selector in head.split(","):
                found.append((media, " ".join(selector.split()), declarations))
            position = closing + 1

    block(css, "")
    return found


def css_value(
    rules: list[tuple[str, str, dict[str, str]]], selector: str, names: tuple[str, ...], dark: bool
) -> str:
    value = None
    for media, rule_selector, declarations in rules:
        if rule_selector != selector or (media and "prefers-color-scheme: dark" not in media):
            continue
        if media and not dark:
            continue
        for name in names:
            if name in declarations:
                value = declarations[name].split()[0]
    assert value, f"no {names} for {selector} ({'dark' if dark else 'light'})"
    return value


def luminance(colour: str) -> float:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    """WCAG 2 contrast ratio of two colours."""
    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


#: Text (its colour) on a background (its colour): every pair the emails show.
PAIRS = [
    (".content", ".container"),
    ("h1", ".container"),
    ("h2", ".container"),
    ("a", ".container"),
    (".facts .label", ".container"),
    (".facts .value", ".container"),
    (".item-main", ".container"),
    (".item-qty", ".container"),
    (".item-total", ".container"),
    (".variant", ".container"),
    (".totals .tax td", ".container"),
    (".muted", ".container"),
    (".logo", ".container"),
    (".shop-name", ".container"),
    (".promo-code", ".container"),
    (".content", ".notice"),
    (".callout-status", ".callout"),
    (".callout-label", ".callout"),
    (".callout-value", ".callout"),
    (".old", ".callout"),
    (".new", ".new"),
    (".button", ".button-cell"),
    (".button-secondary", ".button-cell-secondary"),
    (".contact", ".contact"),
    (".contact-phone", ".contact"),
    (".footer", ".wrapper"),
    (".footer-link", ".wrapper"),
]


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_text_keeps_its_contrast_in_both_schemes(dark: bool) -> None:
    rules = css_rules(stylesheet())
    assert any("prefers-color-scheme: dark" in media for media, _s, _d in rules)
    weak = {}
    for text, background in PAIRS:
        fg = css_value(rules, text, ("color",), dark)
        bg = css_value(rules, background, ("background-color", "background"), dark)
        if contrast(fg, bg) < 4.5:
            weak[f"{text} on {background}"] = f"{fg} on {bg}: {contrast(fg, bg):.2f}"
    assert weak == {}


def test_contrast_formula() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("kind", KINDS)
def test_head_declares_both_schemes_and_no_data_detection(composer: Composer, kind: str) -> None:
    for locale in ("fr", "ar"):
        html = composer.email(kind, **samples.context(kind, locale)).html
        metas = {m.attrs.get("name"): m.attrs.get("content") for m in parse(html).find_all("meta")}
        assert metas["color-scheme"] == "light dark"
        assert metas["supported-color-schemes"] == "light dark"
        detection = dict(
            part.strip().split("=") for part in (metas["format-detection"] or "").split(",")
        )
        assert detection == {"telephone": "no", "date": "no", "address": "no", "email": "no"}
        assert "@media (prefers-color-scheme: dark)" in parse(html).find("style").text()


def test_the_logo_alt_text_looks_like_a_wordmark(composer: Composer) -> None:
    html = composer.email("order_confirmation", **samples.context("order_confirmation")).html
    header = parse(html).find("td", "header")
    link = header.find("a")
    image = link.find("img", "logo")
    assert image.attrs["alt"] == samples.shop().name
    style = {
        name.strip(): value.strip()
        for name, _c, value in (d.partition(":") for d in (image.attrs["style"] or "").split(";"))
    }
    assert {"font-family", "font-size", "font-weight", "color"} <= set(style)
    assert "text-decoration:none" in (link.attrs.get("style") or "").replace(" ", "")
    assert "height" not in image.attrs  # the picture keeps its proportions


GLOBAL_ATTRIBUTES = {"class", "style", "dir", "lang", "id", "title", "role"}
#: HTML 4.01 Transitional's attributes (what email clients honour) and HTML5's, per tag.
ALLOWED = {
    "html": {"xmlns"},
    "meta": {"charset", "name", "content", "http-equiv"},
    "body": {"bgcolor"},
    "table": {"width", "border", "cellpadding", "cellspacing", "bgcolor", "align"},
    "tr": {"align", "valign", "bgcolor"},
    "td": {"width", "align", "valign", "bgcolor", "colspan", "rowspan", "height"},
    "th": {"width", "align", "valign", "bgcolor", "colspan", "rowspan", "scope"},
    "a": {"href", "target", "rel", "name"},
    "img": {"src", "alt", "width", "height", "border"},
    "div": {"align"},
    "p": {"align"},
    "h1": {"align"},
    "h2": {"align"},
    "ul": set(),
    "li": set(),
    "span": set(),
    "strong": set(),
    "em": set(),
    "br": set(),
    "del": {"datetime"},
    "ins": {"datetime"},
    "blockquote": {"cite"},
    "title": set(),
    "style": {"type"},
    "head": set(),
}
#: Attributes whose value is a number of pixels, or (not for img) a percentage.
LENGTHS = {"width", "height", "border", "cellpadding", "cellspacing"}


def attribute_faults(html: str) -> list[str]:
    faults = []
    for node in parse(html).walk():
        allowed = ALLOWED.get(node.tag)
        if allowed is None:
            faults.append(f"<{node.tag}> is not expected in an email")
            continue
        for name, value in node.attrs.items():
            if name not in allowed | GLOBAL_ATTRIBUTES and not name.startswith("aria-"):
                faults.append(f'<{node.tag} {name}="{value}">')
            elif name in LENGTHS and not re.fullmatch(
                r"\d+" if node.tag == "img" else r"\d+%?", value or ""
            ):
                faults.append(f'<{node.tag} {name}="{value}"> is not a length')
            elif name == "dir" and value not in ("ltr", "rtl", "auto"):
                faults.append(f'<{node.tag} dir="{value}">')
    return faults


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_attribute_is_valid_for_its_tag(composer: Composer, kind: str, locale: str) -> None:
    assert attribute_faults(composer.email(kind, **samples.context(kind, locale)).html) == []


def test_attributes_with_pictures_and_without_a_logo() -> None:
    shop = samples.shop().model_copy(update={"logo_url": None})
    order = with_pictures(samples.order("fr"), "https://cdn.example.com/a.jpg")
    html = Composer(shop).email("order_confirmation", order=order).html
    assert parse(html).find_all("img", "thumb")
    assert attribute_faults(html) == []
    # The check sees a bad attribute.
    assert attribute_faults('<img src="x" alt="" height="auto"><p bgcolor="#fff">x</p>') == [
        '<img height="auto"> is not a length',
        '<p bgcolor="#fff">',
    ]


# -- "e-mail" in one piece --------------------------------------------------------------

#: "e-mail" / "E-Mail" with a hyphen a line may break at (not inside an address or a link).
BREAKABLE_EMAIL = re.compile(r"(?<![\w@./])[Ee]-[Mm]ail")


@pytest.mark.parametrize("locale", LOCALES)
def test_e_mail_never_breaks_at_its_hyphen(composer: Composer, locale: str) -> None:
    whole = 0
    for kind in KINDS:
        email = composer.email(kind, **samples.context(kind, locale))
        for part, text in (("text", email.text), ("HTML", parse(email.html).find("body").text())):
            assert BREAKABLE_EMAIL.findall(text) == [], f"{kind}/{locale} {part}"
            whole += len(re.findall(r"[Ee]\u2011[Mm]ail", text))
        # SMS keep the plain hyphen: U+2011 is not in GSM-7 and would double their cost.
        assert "\u2011" not in composer.sms(kind, **samples.context(kind, locale)).body
    if locale in ("fr", "de", "it", "nl"):  # languages that write the word with a hyphen
        assert whole


def test_the_check_sees_a_breakable_e_mail() -> None:
    assert BREAKABLE_EMAIL.findall("répondez à cet e-mail, E-Mail-Adresse") == ["e-mail", "E-Mail"]
    assert BREAKABLE_EMAIL.findall("e\u2011mail, bonjour@e-mail.fr, https://x.fr/e-mail") == []
