"""Autoescape, strict variables, header safety, template overrides and the merchant sandbox."""

import email
from email import policy
from pathlib import Path

import pytest

import relationclient as rc
from relationclient import samples
from relationclient.composer import Composer, HtmlSizeWarning

from .conftest import visible_text


def test_customer_name_with_markup_is_escaped_in_html_and_raw_in_text(composer: Composer) -> None:
    customer = samples.customer("fr", first_name="<script>alert(1)</script>")
    email_ = composer.email("account_created", customer=customer, login_url=samples.LOGIN_URL)
    assert "<script>" not in email_.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email_.html
    assert "<script>alert(1)</script>" in email_.text
    sms = composer.sms("account_created", customer=customer, login_url=samples.LOGIN_URL)
    assert "<script>alert(1)</script>" in sms.body


def test_missing_variable_is_an_error_not_an_empty_string(tmp_path: Path) -> None:
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "account_created.txt").write_text(
        '{% extends "relationclient/email/account_created.txt" %}'
        "{% block content %}{{ customer.nickname_that_does_not_exist }}{% endblock %}"
    )
    composer = Composer(samples.shop(), template_dirs=[tmp_path])
    with pytest.raises(rc.RenderError, match="nickname_that_does_not_exist"):
        composer.email("account_created", **samples.context("account_created"))


def test_missing_context_names_what_is_needed(composer: Composer) -> None:
    with pytest.raises(rc.RenderError, match="needs order"):
        composer.email("order_confirmation")
    with pytest.raises(rc.RenderError, match="unknown message kind"):
        composer.email("order_teleported", order=samples.order())


def test_context_given_as_json_data_is_validated(composer: Composer) -> None:
    data = samples.order("fr").model_dump(mode="json")
    email_ = composer.email("order_confirmation", order=data)
    assert samples.order("fr").number in email_.subject
    data["lines"][0]["quantity"] = 0
    with pytest.raises(rc.RenderError, match="quantity"):
        composer.email("order_confirmation", order=data)


def test_passwords_are_refused(composer: Composer) -> None:
    with pytest.raises(rc.RenderError, match="password"):
        composer.email("account_created", password="hunter2", **samples.context("account_created"))
    context = samples.context("account_created")
    with pytest.raises(rc.RenderError, match="refusing password, temporary_Password: "):
        composer.sms("account_created", password="a", temporary_Password="b", **context)


def test_shop_template_overrides_one_block_and_keeps_the_rest(tmp_path: Path) -> None:
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "base.html").write_text(
        '{% extends "relationclient/email/base.html" %}'
        '{% block header %}<p class="custom-header">Atelier Maison Lumière</p>{% endblock %}'
    )
    composer = Composer(samples.shop(), template_dirs=[tmp_path])
    email_ = composer.email("order_confirmation", **samples.context("order_confirmation"))
    assert "Atelier Maison Lumière" in email_.html
    assert samples.order().number in visible_text(email_.html)  # content block untouched
    assert "04 78 12 34 56" in visible_text(email_.html)  # contact block untouched


def test_template_names_lists_packaged_templates(composer: Composer) -> None:
    names = composer.template_names()
    for kind in rc.Kind:
        assert f"email/{kind}.html" in names
        assert f"email/{kind}.txt" in names
        assert f"sms/{kind}.txt" in names


def test_merchant_template_renders_in_the_sandbox(composer: Composer) -> None:
    edited = composer.with_merchant_templates(
        {"sms/order_confirmation.txt": "{{ shop.name }} — merci ! Commande {{ order.number }}"}
    )
    sms = edited.sms("order_confirmation", **samples.context("order_confirmation"))
    assert sms.body == f"Maison Lumière — merci ! Commande {samples.order().number}"
    # the original composer is untouched
    original = composer.sms("order_confirmation", **samples.context("order_confirmation"))
    assert original.body != sms.body


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ order.__class__.__init__.__globals__ }}",
        "{{ fmt.money.__func__.__globals__ }}",
        "{% for c in ''.__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    ],
)
def test_unsafe_merchant_template_raises_render_error(composer: Composer, source: str) -> None:
    edited = composer.with_merchant_templates({"sms/order_confirmation.txt": source})
    with pytest.raises(rc.RenderError, match="unsafe"):
        edited.sms("order_confirmation", **samples.context("order_confirmation"))


def test_merchant_syntax_error_names_template_and_line(composer: Composer) -> None:
    with pytest.raises(rc.RenderError) as caught:
        composer.with_merchant_templates(
            {"email/order_confirmation.txt": "line one\nline two\n{% if order %}never closed\n"}
        )
    assert caught.value.template == "email/order_confirmation.txt"
    assert caught.value.lineno == 3
    assert "email/order_confirmation.txt" in str(caught.value)


def test_merchant_template_name_must_exist(composer: Composer) -> None:
    with pytest.raises(rc.RenderError, match="template_names"):
        composer.with_merchant_templates({"email/nope.html": "x"})


def test_crlf_in_headers_refused_before_anything_is_built(composer: Composer) -> None:
    base = composer.email("order_confirmation", **samples.context("order_confirmation"))
    for header in ("X-Campaign", "List-Unsubscribe"):
        with pytest.raises(ValueError, match="CR or LF"):
            rc.Email.model_validate(
                {**base.model_dump(), "headers": {header: "a\r\nBcc: victim@example.com"}}
            )
    with pytest.raises(ValueError, match="one line"):
        rc.Email.model_validate({**base.model_dump(), "subject": "Hi\r\nBcc: victim@example.com"})
    with pytest.raises(ValueError, match="one line"):
        samples.customer("fr", last_name="Dupont\nBcc: victim@example.com")


def test_a_subject_with_a_control_character_is_refused(tmp_path: Path) -> None:
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "account_created.txt").write_text(
        '{% extends "relationclient/email/account_created.txt" %}'
        "{% block subject %}Bienvenue\x07 {{ customer.first_name }}{% endblock %}"
    )
    composer = Composer(samples.shop(), template_dirs=[tmp_path])
    with pytest.raises(rc.MessageError, match="subject"):
        composer.email("account_created", **samples.context("account_created"))
    # A control character a blank stands for (a line separator) is tidied away instead.
    (tmp_path / "email" / "account_created.txt").write_text(
        '{% extends "relationclient/email/account_created.txt" %}'
        "{% block subject %}Bienvenue\u2028{{ customer.first_name }}{% endblock %}"
    )
    composer = Composer(samples.shop(), template_dirs=[tmp_path])
    email_ = composer.email("account_created", **samples.context("account_created"))
    assert email_.subject == f"Bienvenue {samples.customer().first_name}"


def test_non_ascii_display_names_are_rfc2047_encoded(composer: Composer) -> None:
    email_ = composer.email("order_confirmation", order=samples.order("ar"))
    raw = email_.as_bytes()
    assert raw.isascii()
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["To"].addresses[0].display_name == "ليلى حداد"
    assert parsed["From"].addresses[0].display_name == "Maison Lumière"
    assert parsed["Message-ID"] == email_.message_id
    assert parsed.get_content_type() == "multipart/alternative"
    text, html = parsed.get_payload()
    assert text.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    assert text.get_content_charset() == "utf-8"
    assert text.get_content().replace("\r\n", "\n").rstrip("\n") == email_.text.rstrip("\n")
    assert html.get_content().replace("\r\n", "\n").rstrip("\n") == email_.html.rstrip("\n")


def test_html_size_guard_refuses_or_warns() -> None:
    strict = Composer(samples.shop(), html_size_limit=2_000)
    with pytest.raises(rc.MessageError, match="Gmail"):
        strict.email("order_confirmation", **samples.context("order_confirmation"))
    lenient = Composer(samples.shop(), html_size_limit=2_000, oversize="warn")
    with pytest.warns(HtmlSizeWarning):
        lenient.email("order_confirmation", **samples.context("order_confirmation"))
    normal = Composer(samples.shop()).email(
        "order_confirmation", **samples.context("order_confirmation")
    )
    assert len(normal.html.encode()) < 100_000


def test_a_shop_may_add_its_own_message_kind(tmp_path: Path) -> None:
    (tmp_path / "sms").mkdir()
    (tmp_path / "sms" / "back_in_stock.txt").write_text(
        "{{ shop.name }}: {{ customer.first_name }}, it is back in stock!"
    )
    composer = Composer(samples.shop(), template_dirs=[tmp_path])
    sms = composer.sms("back_in_stock", customer=samples.customer("fr"))
    assert sms.body == "Maison Lumière: Camille, it is back in stock!"
    assert sms.kind == "back_in_stock"
    with pytest.raises(rc.RenderError, match="unknown message kind"):
        composer.sms("never_heard_of", customer=samples.customer("fr"))
