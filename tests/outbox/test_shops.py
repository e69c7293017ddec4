"""Two shops on one outbox, and events told apart by their own identity."""

from __future__ import annotations

from pathlib import Path

import relationclient as rc
from relationclient import samples
from relationclient.composer import Composer
from relationclient.outbox import Outbox


def second_shop() -> rc.Shop:
    """Another shop, with its own website (and so its own id), selling to the same customer."""
    data = samples.shop().model_dump()
    data.update(name="Atelier Papier", website="https://atelier-papier.fr", id=None)
    return rc.Shop.model_validate(data)


def test_shop_id_defaults_to_the_websites_host() -> None:
    assert samples.shop().id == "maison-lumiere.fr"
    assert second_shop().id == "atelier-papier.fr"
    explicit = rc.Shop.model_validate({**samples.shop().model_dump(), "id": "ml-prod"})
    assert explicit.id == "ml-prod"


def test_editing_the_shops_phone_changes_no_key() -> None:
    order = samples.order("fr")
    before = Composer(samples.shop()).email("order_confirmation", order=order)
    moved = rc.Shop.model_validate({**samples.shop().model_dump(), "phone": "+33145678901"})
    after = Composer(moved).email("order_confirmation", order=order)
    assert before.idempotency_key == after.idempotency_key


def test_two_shops_same_order_number_same_customer_are_two_messages(outbox: Outbox) -> None:
    order = samples.order("fr")  # both shops number it ML-2026-10482
    first = Composer(samples.shop()).email("order_confirmation", order=order)
    second = Composer(second_shop()).email("order_confirmation", order=order)
    assert first.idempotency_key != second.idempotency_key
    assert (first.shop_id, second.shop_id) == ("maison-lumiere.fr", "atelier-papier.fr")
    a, b = outbox.put(first), outbox.put(second)
    assert a.idempotency_key != b.idempotency_key
    assert outbox.put(first).idempotency_key == a.idempotency_key  # retried: still one
    assert sum(outbox.counts().values()) == 2


def test_delays_are_told_apart_by_id_else_by_content(outbox: Outbox) -> None:
    composer = Composer(samples.shop())
    order = samples.order("fr")
    delay = samples.delay()
    same_again = composer.email("order_delayed", order=order, delay=samples.delay())
    first = composer.email("order_delayed", order=order, delay=delay)
    assert same_again.idempotency_key == first.idempotency_key  # content: one event
    # Two announced delays with the same dates but their own ids are two events.
    one = composer.email("order_delayed", order=order, delay=delay.model_copy(update={"id": "D1"}))
    two = composer.email("order_delayed", order=order, delay=delay.model_copy(update={"id": "D2"}))
    assert len({first.idempotency_key, one.idempotency_key, two.idempotency_key}) == 3
    for message in (first, one, two, same_again):
        outbox.put(message)
    assert sum(outbox.counts().values()) == 3


def test_a_shops_own_kind_is_told_apart_by_its_content_or_event_id(
    tmp_path: Path, outbox: Outbox
) -> None:
    (tmp_path / "sms").mkdir()
    (tmp_path / "sms" / "back_in_stock.txt").write_text(
        "{{ shop.name }}: {{ product }} is back in stock."
    )
    composer = Composer(samples.shop(), template_dirs=[tmp_path])
    customer = samples.customer("fr")
    lamp = composer.sms("back_in_stock", customer=customer, product="Arc lamp")
    vase = composer.sms("back_in_stock", customer=customer, product="Vase")
    again = composer.sms("back_in_stock", customer=customer, product="Arc lamp")
    assert lamp.idempotency_key != vase.idempotency_key  # two messages, not one dropped
    assert lamp.idempotency_key == again.idempotency_key  # the same one retried
    first = composer.sms("back_in_stock", customer=customer, product="Lamp", event_id="R1")
    second = composer.sms("back_in_stock", customer=customer, product="Lamp", event_id="R2")
    assert first.idempotency_key != second.idempotency_key
    for message in (lamp, vase, again, first, second):
        outbox.put(message)
    assert sum(outbox.counts().values()) == 4
