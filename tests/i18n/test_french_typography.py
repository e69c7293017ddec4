"""French typography: no-break spaces before ; : ! ? » and after «, in catalog and emails."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from relationclient import Composer, Kind, samples
from relationclient.checks.catalogs import french_typography
from relationclient.i18n.catalogs import CATALOG_DIR


def test_the_rule_catches_plain_and_missing_spaces() -> None:
    assert french_typography("Merci\u202f! Total\u00a0: 10\u00a0€ «\u00a0ok\u00a0»") == []
    assert len(french_typography("Merci ! Total : x")) == 2
    assert french_typography("Questions?") == ["no space before « ? » (French sets U+202F)"]
    # Not punctuation: times, links, placeholders.
    assert french_typography("à 10:42, https://a.fr/x?y=1 et %(name)s") == []


def test_every_french_string_follows_the_rule() -> None:
    with (CATALOG_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po)
    faults = {
        str(message.id): found
        for message in catalog
        if message.id
        for text in (message.string if isinstance(message.string, tuple) else (message.string,))
        if (found := french_typography(text))
    }
    assert faults == {}


@pytest.mark.parametrize("kind", [kind.value for kind in Kind])
def test_french_emails_follow_the_rule(kind: str) -> None:
    composer = Composer(
        samples.shop(),
        unsubscribe_url=samples.UNSUBSCRIBE_URL,
        unsubscribe_secret=samples.UNSUBSCRIBE_SECRET,
    )
    email = composer.email(kind, **samples.context(kind, "fr"))
    # The customer's own words (a quoted question) are theirs: the rule is for ours.
    ours = (
        email.text.split("> ")[0] if kind in ("inquiry_received", "support_reply") else email.text
    )
    if kind == "support_reply":
        ours = email.text.split("Sophie")[-1].split("> ")[0]
    for line in [email.subject, email.preheader, *ours.splitlines()]:
        assert french_typography(line) == [], line
