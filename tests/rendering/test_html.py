"""The HTML part: inlined CSS, kept media queries, lang/dir, hidden preheader, alt texts."""

import html as htmllib
import re

import pytest

from relationclient import Theme, samples
from relationclient.composer import Composer

from .conftest import KINDS


@pytest.mark.parametrize("kind", KINDS)
def test_html_is_email_ready(composer: Composer, kind: str) -> None:
    email = composer.email(kind, **samples.context(kind, "fr"))
    html = email.html
    assert re.search(r'<html[^>]*\blang="fr"[^>]*\bdir="ltr"', html)
    assert "@media only screen and (max-width: 620px)" in html  # kept for phones
    assert re.search(r'<td class="content" style=.padding:24px', html)  # inlined
    assert re.search(r'class="preheader" style="[^"]*display:\s*none', html)
    assert email.preheader in htmllib.unescape(html)  # escaped as any text is
    for img in re.findall(r"<img\b[^>]*>", html):
        assert re.search(r'\balt="[^"]+"', img), img
    assert 'role="presentation"' in html


def test_arabic_is_right_to_left(composer: Composer) -> None:
    email = composer.email("order_confirmation", **samples.context("order_confirmation", "ar"))
    assert re.search(r'<html[^>]*\blang="ar"[^>]*\bdir="rtl"', email.html)
    assert re.search(r'class="content" style=[^>]*text-align:\s*right', email.html)
    assert email.locale == "ar"


def test_locale_negotiation_falls_back(composer: Composer) -> None:
    canadian = samples.customer("fr", locale="fr_CA")
    email = composer.email("account_created", customer=canadian, login_url=samples.LOGIN_URL)
    assert email.locale == "fr"
    brazilian = samples.customer("fr", locale="pt_BR")
    email = composer.email("account_created", customer=brazilian, login_url=samples.LOGIN_URL)
    assert email.locale == "fr"  # the shop's default
    forced = composer.email(
        "account_created", locale="de", customer=canadian, login_url=samples.LOGIN_URL
    )
    assert forced.locale == "de"


def test_theme_applies_everywhere() -> None:
    theme = Theme(brand_color="#0b6e4f", logo_url="https://cdn.example.com/logo.png")
    email = Composer(samples.shop(), theme=theme).email(
        "order_confirmation", **samples.context("order_confirmation")
    )
    assert "#0b6e4f" in email.html
    assert 'src="https://cdn.example.com/logo.png"' in email.html
    with pytest.raises(ValueError, match="colour"):
        Theme(brand_color="red; background: url(x)")


def test_phone_national_at_home_international_abroad(composer: Composer) -> None:
    fr = composer.email("order_confirmation", order=samples.order("fr"))
    de = composer.email("order_confirmation", order=samples.order("de"))
    assert "04 78 12 34 56" in fr.text
    assert "+33 4 78 12 34 56" in de.text
