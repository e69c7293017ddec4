"""Consent gates promotions; marketing carries unsubscribe headers; keys are deterministic."""

import pytest

from relationclient import samples
from relationclient.composer import Composer


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


def test_unsubscribe_url_template_and_callable() -> None:
    shop = samples.shop()
    templated = Composer(shop, unsubscribe_url="https://x.example/u?e={email}")
    email_ = templated.email("delivery_check", **delivery_check(True))
    assert "https://x.example/u?e=camille.dupont%40example.fr" in email_.headers["List-Unsubscribe"]
    assert "https://x.example/u?e=camille.dupont%40example.fr" in email_.html
    called = Composer(shop, unsubscribe_url=lambda c: f"https://x.example/{c.id}")
    assert "https://x.example/C-fr" in called.email("delivery_check", **delivery_check(True)).text


@pytest.mark.parametrize(
    "url", ["https://x.example/u?e={mail}", "https://x.example/{0}", "https://x/{"]
)
def test_unsubscribe_url_with_unknown_placeholder_is_refused_at_once(url: str) -> None:
    with pytest.raises(ValueError, match=r"unsubscribe_url .* only \{email\} and \{customer_id\}"):
        Composer(samples.shop(), unsubscribe_url=url)


def test_unsubscribe_url_may_hold_literal_braces() -> None:
    composer = Composer(samples.shop(), unsubscribe_url="https://x.example/u?{{v}}&e={email}")
    email_ = composer.email("delivery_check", **delivery_check(True))
    assert (
        "https://x.example/u?{v}&e=camille.dupont%40example.fr"
        in email_.headers["List-Unsubscribe"]
    )


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
