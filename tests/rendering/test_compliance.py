"""Consent gates promotions; marketing carries unsubscribe headers; keys are deterministic."""

import email.policy
from email.parser import BytesParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from relationclient import ConfigurationError, UnsubscribeTokenError, samples, unsubscribe
from relationclient.composer import Composer
from relationclient.i18n import translations


def delivery_check(consent: bool) -> dict[str, object]:
    customer = samples.customer("fr", marketing_consent=consent)
    return {
        "order": samples.order("fr", customer=customer),
        "promo": samples.promo(),
        "review_url": samples.REVIEW_URL,
    }


def test_promo_only_with_marketing_consent(composer: Composer) -> None:
    with_consent = composer.email("delivery_check", **delivery_check(True))
    without = composer.email("delivery_check", **delivery_check(False))
    assert "MERCI10" in with_consent.text
    assert "MERCI10" in with_consent.html
    assert "MERCI10" not in without.text
    assert "MERCI10" not in without.html
    assert with_consent.purpose == "marketing"
    assert without.purpose == "transactional"
    assert with_consent.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert with_consent.headers["List-Unsubscribe"].startswith("<https://")
    assert "mailto:" in with_consent.headers["List-Unsubscribe"]
    assert "List-Unsubscribe" not in without.headers
    mime = with_consent.to_mime()
    assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_sms_promo_only_with_consent_and_with_stop(composer: Composer) -> None:
    yes = composer.sms("delivery_check", **delivery_check(True))
    no = composer.sms("delivery_check", **delivery_check(False))
    assert "MERCI10" in yes.body
    assert "STOP" in yes.body
    assert yes.purpose == "marketing"
    assert "MERCI10" not in no.body
    assert "STOP" not in no.body
    assert no.purpose == "transactional"


def sample_composer(**options: Any) -> Composer:
    """A composer of the sample shop; ``options`` replace its unsubscribe settings."""
    settings: dict[str, Any] = {
        "unsubscribe_url": samples.UNSUBSCRIBE_URL,
        "unsubscribe_secret": samples.UNSUBSCRIBE_SECRET,
    }
    settings.update(options)
    return Composer(samples.shop(), **settings)


# -- List-Unsubscribe: never encoded, always the shop's signed link -----------------------
def test_a_300_character_list_unsubscribe_is_never_encoded() -> None:
    # Found by running it: past about 76 characters the header came out as
    # "=?utf-8?q?=3Chttps=3A//www=2Emaison…", which Gmail and Yahoo cannot read.
    url = "https://www.maison-lumiere.fr/lettre/desinscription?" + "&".join(
        f"utm_{name}=" + "x" * 40 for name in ("source", "medium", "campaign", "content")
    )
    composer = sample_composer(unsubscribe_url=url + "&token={token}")
    built = composer.email("delivery_check", **delivery_check(True))
    link = built.headers["List-Unsubscribe"].split(">")[0][1:]
    assert len(link) > 300

    raw = built.to_mime().as_bytes()
    parsed = BytesParser(policy=email.policy.default).parsebytes(raw)
    [value] = [v for n, v in parsed.raw_items() if n == "List-Unsubscribe"]
    # raw_items() gives the header as it was on the wire, folding included.
    assert value == f"<{link}>,\r\n <mailto:bonjour@maison-lumiere.fr?subject=unsubscribe>"
    assert "=?" not in value
    assert parsed["List-Unsubscribe"] == built.headers["List-Unsubscribe"]
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header_lines = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    first = header_lines.index(f"List-Unsubscribe: <{link}>,".encode())
    assert header_lines[first + 1] == b" <mailto:bonjour@maison-lumiere.fr?subject=unsubscribe>"


def test_marketing_without_an_unsubscribe_url_is_a_configuration_error() -> None:
    # Found by running it: without a URL the library made one up,
    # <website>/unsubscribe?email=<address>: a path the shop may not have, unsigned.
    composer = Composer(samples.shop())
    with pytest.raises(ConfigurationError, match="unsubscribe_url") as caught:
        composer.email("delivery_check", **delivery_check(True))
    assert "/unsubscribe?email=" not in str(caught.value)
    # Transactional mail needs none, nor does the same message without consent.
    assert composer.email("delivery_check", **delivery_check(False)).purpose == "transactional"
    assert composer.email("order_confirmation", order=samples.order("fr")).headers == {}
    # A marketing SMS opts out by STOP, not by link.
    assert composer.sms("delivery_check", **delivery_check(True)).purpose == "marketing"


def test_the_link_carries_a_token_signed_for_the_reader_and_the_shop() -> None:
    built = sample_composer().email("delivery_check", **delivery_check(True))
    link = built.headers["List-Unsubscribe"].split(">")[0][1:]
    assert link.startswith("https://www.maison-lumiere.fr/desinscription?token=")
    assert link in built.html  # the footer shows the same link
    assert link in built.text
    token = parse_qs(urlsplit(link).query)["token"][0]
    opt_out = unsubscribe.verify(token, secret=samples.UNSUBSCRIBE_SECRET)
    assert opt_out.recipient == "camille.dupont@example.fr"
    assert opt_out.shop_id == samples.shop().id
    with pytest.raises(UnsubscribeTokenError):
        unsubscribe.verify(token, secret="another-shop-secret-of-some-length")


def test_a_token_url_without_a_secret_is_refused_naming_unsubscribe_secret() -> None:
    with pytest.raises(ConfigurationError, match="unsubscribe_secret"):
        Composer(samples.shop(), unsubscribe_url=samples.UNSUBSCRIBE_URL)
    with pytest.raises(ConfigurationError, match="unsubscribe_secret is 5 bytes"):
        sample_composer(unsubscribe_secret="short")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://x.example/u?e={email}", "has no {token}"),
        ("https://x.example/u?e={mail}&t={token}", "only {token}, {email} and {customer_id}"),
        ("https://x.example/{0}/{token}", "only {token}, {email} and {customer_id}"),
        ("https://x.example/{token!r}", "only {token}, {email} and {customer_id}"),
        ("https://x/{", "only {token}, {email} and {customer_id}"),
        ("http://x.example/u?t={token}", "https"),
        ("javascript:alert(1)//{token}", "https"),
        ("/unsubscribe?t={token}", "https"),
        ("https://maison-lumière.fr/u?t={token}", "non-ASCII"),
    ],
)
def test_unsubscribe_url_is_checked_at_once(url: str, reason: str) -> None:
    with pytest.raises(ConfigurationError, match="unsubscribe_url") as caught:
        sample_composer(unsubscribe_url=url)
    assert reason in str(caught.value)


def test_unsubscribe_url_may_hold_literal_braces_and_the_other_placeholders() -> None:
    url = "https://x.example/u?{{v}}&c={customer_id}&e={email}&t={token}"
    built = sample_composer(unsubscribe_url=url).email("delivery_check", **delivery_check(True))
    assert built.headers["List-Unsubscribe"].startswith(
        "<https://x.example/u?{v}&c=C-fr&e=camille.dupont%40example.fr&t="
    )


def test_a_callable_builds_the_shops_own_link_and_it_is_checked() -> None:
    called = sample_composer(unsubscribe_url=lambda c: f"https://x.example/{c.id}/signed")
    text = called.email("delivery_check", **delivery_check(True)).text
    assert "https://x.example/C-fr/signed" in text
    hostile = sample_composer(unsubscribe_url=lambda c: f"javascript:alert('{c.email}')")
    with pytest.raises(ConfigurationError, match="unsubscribe_url"):
        hostile.email("delivery_check", **delivery_check(True))


# -- STOP for marketing SMS ------------------------------------------------------------------
def test_marketing_sms_from_an_alphanumeric_sender_needs_a_stop_number() -> None:
    # Found by running it: marketing SMS said "reply STOP" from "MaisonLum",
    # an alphanumeric sender nobody can reply to.
    shop = samples.shop().model_copy(update={"sms_stop_number": None})
    composer = Composer(shop)
    with pytest.raises(ConfigurationError, match="sms_stop_number") as caught:
        composer.sms("delivery_check", **delivery_check(True))
    assert "MaisonLum" in str(caught.value)
    # Transactional SMS, and the same message without consent, carry no STOP: no need.
    assert "STOP" not in composer.sms("delivery_check", **delivery_check(False)).body
    assert composer.sms("order_confirmation", order=samples.order("fr")).purpose == "transactional"


def test_marketing_sms_from_a_phone_number_may_ask_for_a_reply() -> None:
    shop = samples.shop().model_copy(update={"sms_stop_number": None, "sender": "+33612345678"})
    sms = Composer(shop).sms("delivery_check", **delivery_check(True))
    assert sms.sender == "+33612345678"
    assert sms.body.endswith("Désinscription : répondez STOP")


@pytest.mark.parametrize("locale", samples.LOCALES)
def test_marketing_sms_says_where_to_send_stop(composer: Composer, locale: str) -> None:
    # The catalog's words, read at test time: "STOP au 36111", "Text STOP to 36111"…
    opt_out = translations(locale).gettext("Text STOP to %(number)s") % {"number": "36111"}
    opt_out = " ".join(opt_out.split())  # SMS bodies have plain spaces only
    customer = samples.customer(locale, marketing_consent=True)
    sms = composer.sms(
        "delivery_check",
        order=samples.order(locale, customer=customer),
        promo=samples.promo(),
        review_url=samples.REVIEW_URL,
    )
    assert sms.purpose == "marketing"
    assert sms.body.endswith(opt_out)
    assert "reply" not in sms.body


def test_account_mail_has_no_password(composer: Composer) -> None:
    email_ = composer.email("account_created", **samples.context("account_created"))
    assert samples.LOGIN_URL in email_.text


def test_idempotency_keys_are_deterministic(composer: Composer) -> None:
    a = composer.email("order_confirmation", order=samples.order("fr"))
    b = composer.email("order_confirmation", order=samples.order("fr"))
    assert a.idempotency_key == b.idempotency_key
    assert a.message_id == b.message_id
    sms = composer.sms("order_confirmation", order=samples.order("fr"))
    assert sms.idempotency_key != a.idempotency_key
    other = composer.email("order_confirmation", order=samples.order("fr", seed=1))
    assert other.idempotency_key != a.idempotency_key
    other_customer = samples.order("fr", customer=samples.customer("fr", email="x@example.fr"))
    assert composer.email("order_confirmation", order=other_customer).idempotency_key != (
        a.idempotency_key
    )
    shipped = composer.email("shipment_sent", shipment=samples.shipment("fr"))
    assert shipped.idempotency_key != a.idempotency_key
    late = composer.email("order_delayed", order=samples.order("fr"), delay=samples.delay())
    assert (
        late.idempotency_key
        == composer.email(
            "order_delayed", order=samples.order("fr"), delay=samples.delay()
        ).idempotency_key
    )
