"""Inlining the stylesheet into templates once gives every element the styles premailer
gives it when run on each finished message (the reference)."""

import re

import lxml.html
import pytest

from relationclient import Theme, samples
from relationclient.composer import Composer

from .conftest import KINDS, squash

UNSUBSCRIBE = {
    "unsubscribe_url": samples.UNSUBSCRIBE_URL,
    "unsubscribe_secret": samples.UNSUBSCRIBE_SECRET,
}


def elements(html: str) -> list[tuple[str, dict[str, str]]]:
    # An unsubscribe token carries the second it was signed: two renders may differ there.
    html = re.sub(r"token=[\w.-]+", "token=…", html)
    root = lxml.html.document_fromstring(html)
    return [
        (str(el.tag), {k: " ".join(v.split()) for k, v in el.attrib.items()})
        for el in root.iter()
        if isinstance(el.tag, str)
    ]


@pytest.fixture(scope="module")
def reference() -> Composer:
    return Composer(samples.shop(), css_inlining="message", **UNSUBSCRIBE)


@pytest.mark.parametrize("locale", ["fr", "en", "ar"])
@pytest.mark.parametrize("kind", KINDS)
def test_template_inlining_matches_per_message_premailer(
    composer: Composer, reference: Composer, kind: str, locale: str
) -> None:
    fast = composer.email(kind, **samples.context(kind, locale))
    slow = reference.email(kind, **samples.context(kind, locale))
    assert elements(fast.html) == elements(slow.html)
    fast_text = lxml.html.document_fromstring(fast.html).text_content()
    slow_text = lxml.html.document_fromstring(slow.html).text_content()
    assert squash(fast_text) == squash(slow_text)
    assert "@media only screen" in fast.html


def test_theme_and_direction_reach_the_inlined_styles() -> None:
    theme = Theme(brand_color="#0b6e4f")
    fast = Composer(samples.shop(), theme=theme, **UNSUBSCRIBE)
    slow = Composer(samples.shop(), theme=theme, css_inlining="message", **UNSUBSCRIBE)
    for locale in ("fr", "ar"):
        a = fast.email("delivery_check", **samples.context("delivery_check", locale))
        b = slow.email("delivery_check", **samples.context("delivery_check", locale))
        assert elements(a.html) == elements(b.html)
        assert "#0b6e4f" in a.html
