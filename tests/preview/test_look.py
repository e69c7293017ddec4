"""How every email lays out in a real browser: checked from element boxes, not from pixels.

Pixel baselines would break with every Chromium or font update, so these tests
ask the system's headless Chromium (driven by Playwright, see
:mod:`tests.services`) where things are instead. Every kind × locale, rendered by
the :class:`~relationclient.Composer` from :mod:`relationclient.samples`, is laid
out at 320, 375 and 800 px wide, and:

* nothing is wider than the viewport: ``document.documentElement.scrollWidth``
  stays within ``innerWidth`` and no visible element's box passes either edge;
* the callout (``.callout``, the first thing in the content area) ends inside the
  first screen. Its bound is the part of the screen a reader sees of the message
  when opening it, not the device's whole height — see :data:`FIRST_SCREEN`;
* in Arabic, the shop's phone and the order number read left to right wherever
  they appear: each sits in a ``.ltr`` element that lays out as one box on one
  line (so the order number never splits at its hyphen), and a DOM Range around
  each character gives x positions that grow from the first character to the last.
  Outside such an element neither value may appear in the visible text.

And, at 375 px (320 and 800 too for the buttons): the callout's buttons — the
tracking button of ``shipment_sent``, the two answers of ``delivery_check`` — are
at least a 44 px touch target and end inside the first screen; the delay's old
date is struck through and its new date stands out; every text keeps WCAG AA
contrast against what is behind it, in the light colour scheme and in the dark
one (whose rules must darken the content area).

The sample shop's logo URL points at a site that does not exist; the page is
given a 4:1 wordmark for it (an image of that shape, as a loaded logo takes room)
and a grey square for any other image; nothing reaches the network. One browser
and one page serve the whole module (``page.set_content``, no server). Without
Chromium these tests skip naming Debian's package ``chromium`` (they fail under
``RELATIONCLIENT_REQUIRE_SERVICES=1``).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

import phonenumbers
import pytest

from relationclient import Composer, Kind, samples

from ..services import require, require_module
from .test_browser import CHROMIUM_ARGS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route

sync_playwright = require_module("playwright.sync_api").sync_playwright

KINDS = [kind.value for kind in Kind]
LOCALES = list(samples.LOCALES)
WIDTHS = (320, 375, 800)

#: Viewport height per width: the screen of the device that width stands for.
#: 320 × 568 is the iPhone SE (first generation), 375 × 667 the iPhone 8 / SE
#: (second and third generations), 800 × 900 a desktop browser window.
SCREEN = {320: 568, 375: 667, 800: 900}

#: Of that screen, the part a reader sees of the message itself when opening it,
#: from its top: the device height less the mail app's own furniture above and
#: below the message. iOS Mail on these phones: status bar 20 px, navigation bar
#: 44 px, the sender/recipient/subject/date header about 100 px, the toolbar 44 px
#: (about 210 px in all). A desktop webmail in a 900 px window: the browser's tab
#: strip and address bar about 85 px, the webmail's search bar and the message's
#: subject and sender header about 165 px (about 250 px in all). The callout must
#: end within this height.
FIRST_SCREEN = {320: 568 - 210, 375: 667 - 210, 800: 900 - 250}

# A wide wordmark of the usual 4:1 shape for the sample shop's logo, a grey square
# for any other picture (a line item's thumbnail).
LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="80" viewBox="0 0 320 80">'
    '<rect width="320" height="80" fill="#8a5a2b"/></svg>'
)
PICTURE = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96">'
    '<rect width="96" height="96" fill="#e4ded6"/></svg>'
)

# What a page measures at its width: the document's widths, the visible elements
# that pass an edge, and where the callout is.
MEASURE = """() => {
    const root = document.documentElement;
    const width = window.innerWidth;
    const describe = (e, r) => e.tagName.toLowerCase()
        + (e.className && typeof e.className === 'string' ? '.' + e.className : '')
        + ` [${Math.round(r.left)}, ${Math.round(r.right)}]: `
        + (e.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 50);
    const wide = [];
    for (const e of document.body.querySelectorAll('*')) {
        const r = e.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) continue;
        if (getComputedStyle(e).visibility === 'hidden') continue;
        if (r.right > width + 0.5 || r.left < -0.5) wide.push(describe(e, r));
    }
    const callouts = [...document.querySelectorAll('.callout')];
    const callout = callouts[0];
    const content = callout && callout.closest('td.content, .content');
    const box = callout ? callout.getBoundingClientRect() : null;
    return {
        innerWidth: width,
        innerHeight: window.innerHeight,
        scrollWidth: root.scrollWidth,
        wide: wide.slice(0, 5),
        callouts: callouts.length,
        calloutTop: box && box.top,
        calloutBottom: box && box.bottom,
        calloutFirst: Boolean(content && content.firstElementChild
                              && content.firstElementChild.contains(callout)),
    };
}"""

# Where a value appears in the visible text: the ``.ltr`` elements whose whole text
# is the value, each with its boxes and one box per character (a DOM Range around
# it), and the visible text nodes holding the value outside any ``.ltr`` element.
READING = """(value) => {
    const plain = (s) => s.replace(/[\\u200e\\u200f\\u2066-\\u2069]/g, '')
                          .replace(/\\s+/g, ' ').trim();
    const shown = (e) => e.getClientRects().length > 0
                         && getComputedStyle(e).visibility !== 'hidden';
    const isolated = [...document.querySelectorAll('.ltr')]
        .filter(e => plain(e.textContent) === value && shown(e))
        .map(e => {
            const chars = [];
            const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
            while (walker.nextNode()) {
                const node = walker.currentNode;
                for (let i = 0; i < node.data.length; i++) {
                    if (/[\\s\\u200e\\u200f\\u2066-\\u2069]/.test(node.data[i])) continue;
                    const range = document.createRange();
                    range.setStart(node, i);
                    range.setEnd(node, i + 1);
                    const r = range.getBoundingClientRect();
                    chars.push({c: node.data[i], left: r.left, right: r.right,
                                middle: (r.top + r.bottom) / 2});
                }
            }
            const box = e.getBoundingClientRect();
            return {html: e.outerHTML.slice(0, 160), rects: e.getClientRects().length,
                    top: box.top, bottom: box.bottom, chars};
        });
    const loose = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode;
        const parent = node.parentElement;
        if (!plain(node.data).includes(value) || parent.closest('.ltr') || !shown(parent)) {
            continue;
        }
        loose.push(plain(parent.textContent).slice(0, 120));
    }
    return {isolated, loose};
}"""


# Every visible element with text of its own whose contrast against the background
# behind it (the ancestors' background colours, composited) is below WCAG 2's AA
# minimum: 4.5:1, or 3:1 for large text (24 px, or 18.66 px bold); and the relative
# luminance of the background behind the content area.
CONTRAST = """() => {
    const parse = (s) => {
        const m = s.match(/^rgba?\\(([^)]*)\\)$/);
        if (!m) return null;
        const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
        return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    };
    const over = (top, under) => [0, 1, 2].map(i => top[i] * top[3] + under[i] * (1 - top[3]));
    const luminance = (rgb) => {
        const [r, g, b] = rgb.map(c => {
            c /= 255;
            return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const behind = (e) => {
        const layers = [];
        for (let n = e; n; n = n.parentElement) {
            const c = parse(getComputedStyle(n).backgroundColor);
            if (c && c[3] > 0) {
                layers.push(c);
                if (c[3] >= 1) break;
            }
        }
        let rgb = [255, 255, 255];
        for (const layer of layers.reverse()) rgb = over(layer, rgb);
        return rgb;
    };
    const low = [];
    const content = document.querySelector('td.content, .content');
    for (const e of document.body.querySelectorAll('*')) {
        const own = [...e.childNodes].some(n => n.nodeType === 3 && n.data.trim());
        if (!own || !e.getClientRects().length) continue;
        const style = getComputedStyle(e);
        if (style.visibility === 'hidden' || Number(style.opacity) === 0) continue;
        const background = behind(e);
        const color = parse(style.color);
        if (!color) continue;
        const [a, b] = [luminance(over(color, background)), luminance(background)];
        const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        const size = parseFloat(style.fontSize);
        const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
        const need = large ? 3 : 4.5;
        if (ratio < need) {
            low.push({what: e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
                            + ': ' + e.textContent.trim().replace(/\\s+/g, ' ').slice(0, 40),
                      ratio: Math.round(ratio * 100) / 100, need,
                      color: style.color, background: 'rgb(' + background.map(Math.round) + ')'});
        }
    }
    return {low, contentLuminance: content ? luminance(behind(content)) : null};
}"""

# The callout's buttons (class "button"): where each leads and its box.
BUTTONS = """() => [...document.querySelectorAll('.callout .button')].map(b => {
    const r = b.getBoundingClientRect();
    return {href: b.getAttribute('href'), width: r.width, height: r.height, bottom: r.bottom,
            text: b.textContent.trim()};
})"""

# The delay's two dates in the callout: the old one (``del`` or class "old"), the new
# one (class "new"), as the browser styles them.
DELAY_DATES = """() => {
    const callout = document.querySelector('.callout');
    const pick = (selector) => {
        const e = callout && callout.querySelector(selector);
        if (!e || !e.getClientRects().length) return null;
        const s = getComputedStyle(e);
        return {text: e.textContent.trim(), line: s.textDecorationLine,
                weight: Number(s.fontWeight), background: s.backgroundColor};
    };
    return {old: pick('del, .old'), new: pick('.new')};
}"""


@cache
def composer() -> Composer:
    return Composer(
        samples.shop(),
        unsubscribe_url=samples.UNSUBSCRIBE_URL,
        unsubscribe_secret=samples.UNSUBSCRIBE_SECRET,
    )


@cache
def html(kind: str, locale: str) -> str:
    """The HTML part of ``kind`` for the ``locale`` sample customer."""
    return composer().email(kind, locale=locale, **samples.context(kind, locale)).html


def order_number(kind: str, locale: str) -> str | None:
    """The order number the message is about, read from its sample data."""
    context = samples.context(kind, locale)
    if "order" in context:
        return str(context["order"].number)
    if "shipment" in context:
        return str(context["shipment"].order.number)
    inquiry = context.get("inquiry")
    if inquiry is not None and inquiry.order is not None:
        return str(inquiry.order.number)
    return None


def shop_phone(locale: str) -> str:
    """The shop's phone as a reader in the ``locale`` sample customer's country dials it."""
    number = phonenumbers.parse(samples.shop().phone, None)
    if phonenumbers.region_code_for_number(number) == samples.customer(locale).country:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    """One headless Chromium page for the whole module, cut off from the network."""
    chromium = require("chromium")  # Playwright's own browser downloads are not used
    with sync_playwright() as playwright:
        browser: Browser = playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True
        )
        context = browser.new_context(color_scheme="light")
        logo_url = samples.shop().logo_url

        def pictures_only(route: Route) -> None:
            request = route.request
            if request.url == logo_url:
                route.fulfill(status=200, content_type="image/svg+xml", body=LOGO)
            elif request.resource_type == "image":
                route.fulfill(status=200, content_type="image/svg+xml", body=PICTURE)
            else:
                route.abort("internetdisconnected")

        context.route(re.compile(r"^(https?|wss?)://"), pictures_only)
        page = context.new_page()
        yield page
        browser.close()


Scheme = Literal["light", "dark"]


class Layouts:
    """Each kind × locale × width laid out once, its measures kept for every test."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.shown: tuple[str, str, int, Scheme] | None = None
        self.measures: dict[tuple[str, str, int], dict[str, Any]] = {}

    def show(self, kind: str, locale: str, width: int, scheme: Scheme = "light") -> Page:
        """Lay the email out at ``width`` × its screen height, in a colour ``scheme``."""
        if self.shown != (kind, locale, width, scheme):
            if self.shown is None or self.shown[3] != scheme:
                self.page.emulate_media(color_scheme=scheme)
            self.page.set_viewport_size({"width": width, "height": SCREEN[width]})
            self.page.set_content(html(kind, locale), wait_until="load")
            self.page.evaluate("document.fonts.ready.then(() => true)")
            self.shown = (kind, locale, width, scheme)
        return self.page

    def measure(self, kind: str, locale: str, width: int) -> dict[str, Any]:
        key = (kind, locale, width)
        if key not in self.measures:
            self.measures[key] = self.show(*key).evaluate(MEASURE)
        return self.measures[key]


@pytest.fixture(scope="module")
def layouts(page: Page) -> Layouts:
    return Layouts(page)


CASES = [
    pytest.param(kind, locale, width, id=f"{kind}-{locale}-{width}")
    for kind, locale, width in itertools.product(KINDS, LOCALES, WIDTHS)
]


@pytest.mark.parametrize(("kind", "locale", "width"), CASES)
def test_no_horizontal_overflow(layouts: Layouts, kind: str, locale: str, width: int) -> None:
    m = layouts.measure(kind, locale, width)
    assert m["innerWidth"] == width  # the viewport really is that wide
    assert m["scrollWidth"] <= m["innerWidth"], m
    assert not m["wide"], f"elements past the {width} px viewport's edge: {m['wide']}"


@pytest.mark.parametrize(("kind", "locale", "width"), CASES)
def test_callout_in_first_screen(layouts: Layouts, kind: str, locale: str, width: int) -> None:
    m = layouts.measure(kind, locale, width)
    assert m["callouts"] == 1, f"{kind}/{locale}: {m['callouts']} elements .callout"
    assert m["calloutFirst"], f"{kind}/{locale}: the callout is not first in the content area"
    assert m["innerHeight"] == SCREEN[width]
    assert 0 <= m["calloutTop"] < m["calloutBottom"] <= FIRST_SCREEN[width], (
        f"{kind}/{locale} at {width} px: the callout spans {m['calloutTop']:.0f}-"
        f"{m['calloutBottom']:.0f} px, the first screen shows {FIRST_SCREEN[width]} px"
    )


def _values(kind: str) -> list[tuple[str, str]]:
    """The values whose reading order is checked in ``kind``: (what, value)."""
    number = order_number(kind, "ar")
    return [("phone", shop_phone("ar"))] + ([("order number", number)] if number else [])


READING_CASES = [
    pytest.param(kind, width, what, value, id=f"{kind}-{width}-{what.replace(' ', '-')}")
    for kind in KINDS
    for width in WIDTHS
    for what, value in _values(kind)
]


@pytest.mark.parametrize(("kind", "width", "what", "value"), READING_CASES)
def test_arabic_reads_phone_and_order_number_left_to_right(
    layouts: Layouts, kind: str, width: int, what: str, value: str
) -> None:
    found = layouts.show(kind, "ar", width).evaluate(READING, value)
    assert not found["loose"], f"{kind}: the {what} {value!r} outside .ltr in {found['loose']}"
    assert found["isolated"], f"{kind}: no visible .ltr element holds the {what} {value!r}"
    glyphs = value.replace(" ", "")
    for element in found["isolated"]:
        where = f"{kind} at {width} px, the {what} in {element['html']}"
        assert element["rects"] == 1, f"{where}: laid out in {element['rects']} boxes"
        chars = element["chars"]
        assert "".join(c["c"] for c in chars) == glyphs, where
        # One line: every character's middle lies within the element's one box.
        assert all(element["top"] <= c["middle"] <= element["bottom"] for c in chars), where
        lefts = [c["left"] for c in chars]
        order = " ".join(f"{c['c']}@{c['left']:.0f}" for c in chars)
        assert all(a < b for a, b in itertools.pairwise(lefts)), (
            f"{where}: characters not left to right: {order}"
        )


def test_every_case_is_covered() -> None:
    """The parametrisation really spans every kind, locale and width."""
    assert {(p.values[0], p.values[1]) for p in CASES} == set(itertools.product(KINDS, LOCALES))
    assert {p.values[0] for p in READING_CASES} == set(KINDS)
    assert any(p.values[2] == "order number" for p in READING_CASES)


SCHEME_CASES = [
    pytest.param(kind, locale, scheme, id=f"{kind}-{locale}-{scheme}")
    for kind, locale in itertools.product(KINDS, LOCALES)
    for scheme in ("light", "dark")
]


@pytest.mark.parametrize(("kind", "locale", "scheme"), SCHEME_CASES)
def test_text_keeps_contrast_in_light_and_dark_mode(
    layouts: Layouts, kind: str, locale: str, scheme: Scheme
) -> None:
    found = layouts.show(kind, locale, 375, scheme).evaluate(CONTRAST)
    assert not found["low"], f"{kind}/{locale}, {scheme}: text below WCAG AA: {found['low'][:4]}"
    # The dark rules do apply: the content sits on a dark background (a light one in light).
    if scheme == "dark":
        assert found["contentLuminance"] < 0.2, found["contentLuminance"]
    else:
        assert found["contentLuminance"] > 0.8, found["contentLuminance"]


#: The smallest touch target Apple's Human Interface Guidelines accept, and WCAG 2.5.5's
#: (AAA): the tracking button and the delivery check's two answers, the callout's actions.
LARGE_TARGET = 44


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("width", WIDTHS)
def test_tracking_button_is_large(layouts: Layouts, locale: str, width: int) -> None:
    """The callout's one button leads to the parcel's tracking page, a large target."""
    (button,) = layouts.show("shipment_sent", locale, width).evaluate(BUTTONS)
    assert button["href"] == str(samples.context("shipment_sent", locale)["shipment"].tracking_url)
    assert button["height"] >= LARGE_TARGET, button
    assert button["width"] >= 2 * LARGE_TARGET, button


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("width", WIDTHS)
def test_delivery_check_answers_are_two_buttons(layouts: Layouts, locale: str, width: int) -> None:
    """ "Yes, all good" to the review page; "no, a problem" to the shop, about this order."""
    yes, no = layouts.show("delivery_check", locale, width).evaluate(BUTTONS)
    shop, number = samples.shop(), order_number("delivery_check", locale)
    assert yes["href"] == samples.REVIEW_URL
    if shop.contact_url is not None:
        assert no["href"] == str(shop.contact_url)
    else:
        mailto = urlsplit(no["href"])
        assert (mailto.scheme, unquote(mailto.path)) == ("mailto", shop.email), no
        (subject,) = parse_qs(mailto.query)["subject"]
        assert number is not None
        assert number in subject, no
    for button in (yes, no):
        assert button["height"] >= LARGE_TARGET, button
        assert button["width"] >= LARGE_TARGET, button


@pytest.mark.parametrize("locale", LOCALES)
def test_delay_strikes_the_old_date_and_highlights_the_new(layouts: Layouts, locale: str) -> None:
    dates = layouts.show("order_delayed", locale, 375).evaluate(DELAY_DATES)
    old, new = dates["old"], dates["new"]
    assert old is not None, f"{locale}: no visible old date (del or .old) in the callout"
    assert new is not None, f"{locale}: no visible new date (.new) in the callout"
    assert old["text"] != new["text"]
    assert "line-through" in old["line"], old
    assert "line-through" not in new["line"], new
    assert new["weight"] >= 700, new
    assert new["weight"] > old["weight"] or new["background"] != old["background"], (old, new)


def test_reading_check_sees_a_phone_that_bidi_reverses(layouts: Layouts) -> None:
    """The check itself: a ``.ltr`` element without ``dir`` in Arabic text is read reversed.

    Unisolated, the groups of ``+33 4 78 12 34 56`` in a right-to-left paragraph are
    laid out right to left ("56 34 12 78 4 33+"), as the issue saw; with ``dir="ltr"``
    the same element reads in order. Both go through :data:`READING`.
    """
    page, layouts.shown = layouts.page, None  # the page no longer shows an email
    phone = shop_phone("ar")
    sentence = '<p>اتصل بنا على الرقم <span class="ltr"{}>{}</span> من فضلك.</p>'
    page.set_viewport_size({"width": 375, "height": SCREEN[375]})
    for attributes, reads_in_order in (("", False), (' dir="ltr"', True)):
        page.set_content(
            f'<html dir="rtl"><body>{sentence.format(attributes, phone)}</body></html>'
        )
        found = page.evaluate(READING, phone)
        assert not found["loose"]
        (element,) = found["isolated"]
        lefts = [c["left"] for c in element["chars"]]
        assert all(a < b for a, b in itertools.pairwise(lefts)) is reads_in_order, lefts
