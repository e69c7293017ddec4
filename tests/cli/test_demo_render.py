"""The command line: the demo the README promises, and render from the shop's JSON."""

import json
import mailbox
from pathlib import Path

from click.testing import CliRunner

from relationclient import Kind, samples
from relationclient.cli import main


def test_demo_delivers_every_kind_and_locale_to_a_maildir(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Maildir" in result.output
    assert "index.html" in result.output
    box = mailbox.Maildir(tmp_path / "maildir", create=False)
    assert len(box) == len(Kind) * len(samples.LOCALES)
    subjects = {message["Subject"] for message in box}
    assert any("ML-2026-10482" in s for s in subjects)
    sms_lines = (tmp_path / "maildir" / "sms.jsonl").read_text().splitlines()
    assert len(sms_lines) == len(Kind) * len(samples.LOCALES)
    index = (tmp_path / "index.html").read_text()
    assert index.count("<tr>") == 1 + len(Kind) * len(samples.LOCALES)
    for locale in samples.LOCALES:
        assert (tmp_path / "html" / f"order_confirmation.{locale}.html").exists()


def test_demo_run_twice_replaces_its_output_and_says_what_is_on_disk(tmp_path: Path) -> None:
    keep = tmp_path / "notes.txt"
    keep.write_text("mine")
    for _ in range(2):
        result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path)])
        assert result.exit_code == 0, result.output
    count = len(Kind) * len(samples.LOCALES)
    assert f"Delivered {count} emails and {count} SMS." in result.output
    assert len(mailbox.Maildir(tmp_path / "maildir", create=False)) == count
    assert len((tmp_path / "maildir" / "sms.jsonl").read_text().splitlines()) == count
    assert keep.read_text() == "mine"  # only what the demo writes is replaced


def _data(tmp_path: Path, **payload: object) -> str:
    path = tmp_path / "data.json"
    path.write_text(json.dumps({"shop": samples.shop().model_dump(mode="json"), **payload}))
    return str(path)


def test_render_from_json(tmp_path: Path) -> None:
    order = samples.order("de").model_dump(mode="json")
    result = CliRunner().invoke(
        main, ["render", "order_confirmation", "--data", _data(tmp_path, order=order)]
    )
    assert result.exit_code == 0, result.output
    assert "ML-2026-10482" in result.output
    sms = CliRunner().invoke(
        main,
        [
            "render",
            "shipment_sent",
            "--channel",
            "sms",
            "--format",
            "json",
            "--data",
            _data(tmp_path, shipment=samples.shipment("fr").model_dump(mode="json")),
        ],
    )
    assert sms.exit_code == 0, sms.output
    assert json.loads(sms.output)["encoding"] in ("GSM-7", "UCS-2")


def test_render_names_the_bad_field(tmp_path: Path) -> None:
    order = samples.order("fr").model_dump(mode="json")
    order["lines"][1]["quantity"] = -2
    result = CliRunner().invoke(
        main, ["render", "order_confirmation", "--data", _data(tmp_path, order=order)]
    )
    assert result.exit_code != 0
    assert "quantity" in result.output
