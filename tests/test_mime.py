"""The list headers are written as they are: folded between their ``<…>`` items, never encoded."""

from __future__ import annotations

import email.policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from relationclient.mime import SMTP_POLICY, SMTPUTF8_POLICY

LONG = "https://www.maison-lumiere.fr/desinscription?" + "&".join(
    f"p{i}=" + "v" * 30 for i in range(9)
)
MAILTO = "mailto:bonjour@maison-lumiere.fr?subject=unsubscribe"


def written(value: str, policy: email.policy.EmailPolicy = SMTP_POLICY) -> bytes:
    """The bytes of a small message whose List-Unsubscribe is ``value``."""
    message = EmailMessage(policy=policy)
    message["Subject"] = "Offre"
    message["List-Unsubscribe"] = value
    message.set_content("Bonjour")
    return message.as_bytes()


def header_of(raw: bytes) -> str:
    """The List-Unsubscribe header of ``raw`` as it is on the wire (folds included)."""
    parsed = BytesParser(policy=email.policy.default).parsebytes(raw)
    [value] = [v for name, v in parsed.raw_items() if name == "List-Unsubscribe"]
    return str(value)


def test_the_standard_library_alone_encodes_a_long_list_header() -> None:
    # Why these policies exist: email.policy.SMTP turns the URL into encoded words.
    assert "=?utf-8?q?=3Chttps" in header_of(written(f"<{LONG}>, <{MAILTO}>", email.policy.SMTP))


def test_a_long_item_stays_whole_and_the_next_one_goes_on_the_next_line() -> None:
    assert len(LONG) > 300
    assert header_of(written(f"<{LONG}>, <{MAILTO}>")) == f"<{LONG}>,\r\n <{MAILTO}>"


def test_short_items_share_a_line_until_it_is_full() -> None:
    items = [f"<https://x.example/{c * 8}>" for c in "abcd"]  # 28 characters each
    assert header_of(written(", ".join(items))) == (
        f"{items[0]}, {items[1]},\r\n {items[2]}, {items[3]}"
    )


def test_a_short_header_is_one_line() -> None:
    raw = written("<https://x.example/u/t>, <mailto:a@x.example>")
    assert b"\r\nList-Unsubscribe: <https://x.example/u/t>, <mailto:a@x.example>\r\n" in raw


def test_the_line_ends_follow_the_policy() -> None:
    message = EmailMessage(policy=SMTP_POLICY)
    message["List-Unsubscribe"] = f"<{LONG}>, <{MAILTO}>"
    raw = message.as_bytes(policy=message.policy.clone(linesep="\n"))  # as a Maildir writes
    assert f"List-Unsubscribe: <{LONG}>,\n <{MAILTO}>\n".encode() in raw


@pytest.mark.parametrize("value", ["NO (posting is not allowed)", "<https://x.example/a> junk"])
def test_other_values_are_folded_the_standard_way(value: str) -> None:
    assert header_of(written(value)) == value


def test_non_ascii_is_encoded_by_a_7bit_policy_and_kept_by_smtputf8() -> None:
    value = "<https://x.example/désinscription>"
    assert "=?utf-8?" in header_of(written(value))
    raw = written(value, SMTPUTF8_POLICY)
    assert f"List-Unsubscribe: {value}".encode() in raw
