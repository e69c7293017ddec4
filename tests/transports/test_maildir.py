"""MaildirTransport: files any mail client reads, and an SMS log several processes can share."""

from __future__ import annotations

import email
import email.policy
import json
import mailbox
import threading
from email.message import EmailMessage
from pathlib import Path

import pytest

from relationclient import TransientTransportError
from relationclient.messages import Email, Mailbox, Sms
from relationclient.transports.maildir import MaildirTransport

from .sample_messages import (
    assert_arrived_intact,
    assert_list_unsubscribe_unencoded,
    composed_email,
    marketing_email,
    sms,
)
from .sample_messages import email as sample_email


def read_maildir(path: Path) -> dict[str, EmailMessage]:
    """Every message of the Maildir at ``path``, parsed, by Message-ID."""
    box = mailbox.Maildir(path, create=False)
    messages = {}
    for key in box.iterkeys():
        raw = box.get_bytes(key)
        if b"SMTPUTF8" in raw or not raw.isascii():
            parsed = email.message_from_string(raw.decode(), policy=email.policy.default)
        else:
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        messages[parsed["Message-ID"]] = parsed
    return messages


def test_emails_are_read_back_by_the_stdlib_maildir(tmp_path: Path) -> None:
    folder = tmp_path / "deep" / "outbox"  # created on first use
    built: list[Email] = [
        composed_email("fr"),
        sample_email("de", seed=1),
        sample_email("ar", seed=2),
        sample_email(seed=3, to=Mailbox(address="josé@exemple.fr", name="José")),  # SMTPUTF8
    ]
    with MaildirTransport(folder) as maildir:
        receipts = maildir.send_many(built)

    found = read_maildir(folder)
    assert sorted(found) == sorted(m.message_id for m in built)
    for message in built:
        assert_arrived_intact(found[message.message_id], message)
    assert [r.message_id for r in receipts] == [m.message_id for m in built]
    assert all(r.transport == "maildir" for r in receipts)


def test_list_unsubscribe_is_filed_unencoded(tmp_path: Path) -> None:
    built = marketing_email("de")
    with MaildirTransport(tmp_path) as transport:
        transport.send(built)
    [path] = (tmp_path / "new").iterdir()
    raw = path.read_bytes()
    assert b"\r\n" not in raw  # the Maildir's own line ends
    assert_list_unsubscribe_unencoded(raw, built)
    [parsed] = read_maildir(tmp_path).values()
    assert parsed["List-Unsubscribe"] == built.headers["List-Unsubscribe"]


def test_files_are_eml_in_new_and_nothing_is_left_in_tmp(tmp_path: Path) -> None:
    with MaildirTransport(tmp_path) as maildir:
        receipts = [maildir.send(sample_email(seed=seed)) for seed in range(3)]

    files = sorted((tmp_path / "new").iterdir())
    assert [f.suffix for f in files] == [".eml"] * 3
    assert sorted(Path(r.raw) for r in receipts) == files
    assert list((tmp_path / "tmp").iterdir()) == []
    assert (tmp_path / "cur").is_dir()
    assert len({f.name for f in files}) == 3
    data = files[0].read_bytes()
    assert b"\r\n" not in data  # files on disk use local line ends


def test_sms_lines_parse_back_into_sms(tmp_path: Path) -> None:
    built = [sms("fr"), sms("de", seed=1), sms("ar", seed=2, body="طلبك في الطريق 🚚")]
    with MaildirTransport(tmp_path) as maildir:
        receipts = maildir.send_many(built)

    lines = (tmp_path / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [Sms.model_validate(r["sms"]) for r in records] == built
    assert [r["id"] for r in records] == [r.message_id for r in receipts]
    assert len({r.message_id for r in receipts}) == 3
    assert records[2]["sms"]["encoding"] == "UCS-2"
    assert list((tmp_path / "new").iterdir()) == []


def test_concurrent_writers_never_interleave_sms_lines(tmp_path: Path) -> None:
    body = "Maison Lumière : " + "votre colis arrive demain. " * 40  # long lines, several segments
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            transport = MaildirTransport(tmp_path)  # one per writer, as separate processes would
            for i in range(25):
                transport.send(sms(seed=n * 100 + i, body=body, idempotency_key=f"key-{n}-{i:04d}"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    lines = (tmp_path / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    keys = [Sms.model_validate(json.loads(line)["sms"]).idempotency_key for line in lines]
    assert sorted(keys) == sorted(f"key-{n}-{i:04d}" for n in range(8) for i in range(25))


def test_unwritable_folder_is_a_transport_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    maildir = MaildirTransport(blocker / "outbox")
    with maildir, pytest.raises(TransientTransportError, match="cannot write") as info:
        maildir.send(sample_email())
    assert info.value.accepted is False
    assert isinstance(info.value.__cause__, OSError)
