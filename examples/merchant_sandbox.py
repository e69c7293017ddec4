"""Templates a merchant edits in a back office, rendered in Jinja's sandbox.

Such templates are strings from a database, written by people who are not the
shop's developers. ``Composer.with_merchant_templates`` renders them in
:class:`jinja2.sandbox.SandboxedEnvironment`: they see the same variables as
the packaged templates, but a template that reaches for Python internals is
stopped with :class:`~relationclient.RenderError` — it never runs — and a
syntax error is reported with the template's name and line when it is loaded,
not when the first customer would have received it.
"""

from __future__ import annotations

import relationclient as rc
from relationclient import samples

composer = rc.Composer(samples.shop())
context = samples.context("order_confirmation", "fr")
print(f"Templates a merchant may replace: {len(composer.template_names())}")

# 1. A friendlier SMS, as the merchant typed it in the back office.
merchant_sms = {
    "sms/order_confirmation.txt": (
        "{{ shop.name }} : merci {{ customer.first_name }} ! Commande {{ order.number }} "
        "({{ fmt.money(order.total) }}) bien reçue. Suivi : {{ order.tracking_url }}"
    )
}
sms = composer.with_merchant_templates(merchant_sms).sms("order_confirmation", **context)
print(f"Merchant SMS ({sms.encoding}, {sms.segments} segment(s)): {sms.body}")
# The single "ç" of "reçue" is outside GSM-7: the SMS costs three segments.
# Transliteration (opt-in) keeps it in GSM-7, in one segment.
cheap = rc.Composer(samples.shop(), transliterate_sms=True).with_merchant_templates(merchant_sms)
sms = cheap.sms("order_confirmation", **context)
print(f"Transliterated ({sms.encoding}, {sms.segments} segment(s)): {sms.body}")

# 2. A template that tries to reach Python internals: refused, never run.
unsafe = composer.with_merchant_templates(
    {"sms/order_confirmation.txt": "{{ order.__class__.__init__.__globals__ }}"}
)
try:
    unsafe.sms("order_confirmation", **context)
except rc.RenderError as exc:
    print(f"Unsafe template refused: {exc}")
else:
    raise SystemExit("the sandbox let an unsafe template run")

# 3. A syntax error: reported as soon as the merchant saves, with its line.
try:
    composer.with_merchant_templates(
        {"email/order_confirmation.txt": "Bonjour,\n{% if order %}\nsans fin\n"}
    )
except rc.RenderError as exc:
    print(f"Syntax error caught on save: {exc.template}, line {exc.lineno}")

# The shop's own composer is untouched by any of this.
print(f"Packaged SMS still used elsewhere: {composer.sms('order_confirmation', **context).body}")
