"""Override one block of a packaged template from the shop's own template folder.

The shop keeps its templates in its repository (here, written to a temporary
folder). ``email/base.html`` there extends ``relationclient/email/base.html``,
the packaged layout, and replaces only its ``header`` block — the shop's name
and phone number instead of the logo. The content, the contact block and the
footer stay the packaged ones, translated and checked.
A :class:`~relationclient.Theme` sets the brand colours.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import relationclient as rc
from relationclient import samples

# What the shop keeps in, say, templates/relationclient/email/base.html.
BASE_OVERRIDE = """\
{% extends "relationclient/email/base.html" %}
{% block header -%}
<a href="{{ shop.website }}" class="shop-name">{{ shop.name }}</a>
<span class="header-phone">&nbsp;·&nbsp;
<a href="tel:{{ shop.phone }}">{{ fmt.phone(shop.phone) }}</a></span>
{%- endblock %}
"""

with tempfile.TemporaryDirectory() as tmp:
    templates = Path(tmp) / "templates"
    (templates / "email").mkdir(parents=True)
    (templates / "email" / "base.html").write_text(BASE_OVERRIDE, encoding="utf-8")

    composer = rc.Composer(
        samples.shop(),
        template_dirs=[templates],  # searched before the packaged templates
        theme=rc.Theme(brand_color="#1f5f8b", background_color="#eef3f7"),
    )
    email = composer.email("order_confirmation", order=samples.order("fr"))

    shipped = composer.email("shipment_sent", shipment=samples.shipment("fr"))
    checks = {
        "custom header (name and phone)": 'class="header-phone"' in email.html,
        "packaged logo replaced": "logo.png" not in email.html,
        "brand colour applied": "#1f5f8b" in email.html,
        "packaged content kept": samples.order("fr").number in email.html,
        "contact block kept": "lundi" in email.html,
        "other kinds get the header too": 'class="header-phone"' in shipped.html,
    }
    print(f"Subject (packaged template): {email.subject}")
    for check, ok in checks.items():
        print(f"{check:<32} {'yes' if ok else 'NO'}")
    if not all(checks.values()):
        raise SystemExit("the override did not apply as expected")
