"""Bad input is refused before anything is rendered or stored, naming the field and its unit."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

import relationclient as rc
from relationclient import RenderError, samples
from relationclient.composer import Composer
from relationclient.models._types import IDENTIFIER_LENGTH, NAME_LENGTH


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "/account/login",
        "http://www.maison-lumiere.fr/login",  # plain http outside loopback
        "https://exa mple.com/",
    ],
)
@pytest.mark.parametrize(
    ("kind", "field"), [("account_created", "login_url"), ("delivery_check", "review_url")]
)
def test_unsafe_links_are_refused_naming_the_field(
    composer: Composer, kind: str, field: str, url: str
) -> None:
    context = {**samples.context(kind, "fr"), field: url}
    with pytest.raises(RenderError, match=field):
        composer.email(kind, **context)
    with pytest.raises(RenderError, match=field):
        composer.sms(kind, **context)


def test_loopback_http_links_are_allowed_for_local_testing(composer: Composer) -> None:
    context = {**samples.context("account_created", "fr"), "login_url": "http://127.0.0.1:8000/in"}
    assert "http://127.0.0.1:8000/in" in composer.email("account_created", **context).text


def test_model_links_use_the_same_type() -> None:
    with pytest.raises(ValidationError, match="tracking_url"):
        samples.order("fr", tracking_url="javascript:alert(1)")
    with pytest.raises(ValidationError, match="website"):
        rc.Shop.model_validate({**samples.shop().model_dump(), "website": "http://example.com"})


def test_an_expired_promo_is_refused_at_render_time(composer: Composer) -> None:
    stale = samples.promo().model_copy(update={"expires_on": date.today() - timedelta(days=2)})
    context = {**samples.context("delivery_check", "fr"), "promo": stale}
    with pytest.raises(RenderError, match="expired"):
        composer.email("delivery_check", **context)
    with pytest.raises(RenderError, match="MERCI10"):
        composer.sms("delivery_check", **context)
    current = samples.promo().model_copy(update={"expires_on": date.today() + timedelta(days=1)})
    email = composer.email("delivery_check", **{**context, "promo": current})
    assert "MERCI10" in email.text


@pytest.mark.parametrize(("value", "hint"), [("0.15", "15"), ("0.5", "50"), ("150", "")])
def test_percent_off_is_a_percentage(value: str, hint: str) -> None:
    with pytest.raises(ValidationError, match="percent_off") as caught:
        rc.Promo(code="MERCI15", percent_off=Decimal(value))
    assert "percentage" in str(caught.value)
    if hint:
        assert f"did you mean {hint}" in str(caught.value)
    assert rc.Promo(code="MERCI15", percent_off=Decimal(15)).percent_off == 15


@pytest.mark.parametrize("value", ["20", "5.5", "1", "-0.1"])
def test_tax_rate_is_a_fraction(value: str) -> None:
    line = samples.order("fr").lines[0].model_dump(exclude={"total"})
    with pytest.raises(ValidationError, match="tax_rate") as caught:
        rc.OrderLine.model_validate({**line, "tax_rate": value})
    assert "fraction" in str(caught.value)


def test_single_line_fields_have_sensible_lengths() -> None:
    with pytest.raises(ValidationError, match="first_name"):
        samples.customer("fr", first_name="A" * 1_000_000)
    samples.customer("fr", first_name="A" * NAME_LENGTH)
    with pytest.raises(ValidationError, match="number"):
        samples.order("fr", number="N" * (IDENTIFIER_LENGTH + 1))


@pytest.mark.parametrize("sender", ["Maison\r\nBcc", "Shop\x00", "TooLongSenderName", "12", "!!"])
def test_sms_sender_is_validated(sender: str) -> None:
    sms = Composer(samples.shop()).sms("order_confirmation", order=samples.order("fr"))
    with pytest.raises(ValidationError, match="sender"):
        rc.Sms.model_validate(
            {**sms.model_dump(exclude={"encoding", "segments"}), "sender": sender}
        )


@pytest.mark.parametrize("sender", ["MaisonLum", "36111", "+33612345678", "Shop 24"])
def test_valid_sms_senders(sender: str) -> None:
    sms = Composer(samples.shop()).sms("order_confirmation", order=samples.order("fr"))
    data = {**sms.model_dump(exclude={"encoding", "segments"}), "sender": sender}
    assert rc.Sms.model_validate(data).sender == sender


def test_the_segment_budget_is_enforced() -> None:
    # A long name in a script that needs UCS-2: far over budget.
    customer = samples.customer("fr", first_name="Ŝ" * 190)
    order = samples.order("fr", customer=customer)
    with pytest.raises(RenderError, match=r"account_created SMS in fr would cost \d+ segments"):
        Composer(samples.shop()).sms(
            "account_created", customer=customer, login_url=samples.LOGIN_URL
        )
    generous = Composer(samples.shop(), max_sms_segments=20)
    assert generous.sms("order_confirmation", order=order).segments <= 20
    tight = Composer(samples.shop(), max_sms_segments=1)
    normal = Composer(samples.shop()).sms("delivery_check", **samples.context("delivery_check"))
    assert normal.segments > 1
    with pytest.raises(RenderError, match="budget of 1"):
        tight.sms("delivery_check", **samples.context("delivery_check"))
    with pytest.raises(ValueError, match="max_sms_segments"):
        Composer(samples.shop(), max_sms_segments=0)
