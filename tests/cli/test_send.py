"""``relationclient send``: one message through a transport URL, secrets from the environment."""

from __future__ import annotations

import json
import mailbox
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from relationclient import samples
from relationclient.cli import main
from relationclient.testing import make_certificate

from ..transports.smtp_server import (
    PASSWORD,
    USERNAME,
    SMTPServer,
    authenticate,
    server_tls_context,
)


def send(
    runner: CliRunner, *args: str, env: dict[str, str | None] | None = None
) -> tuple[int, str]:
    result = runner.invoke(main, ["send", *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


@pytest.fixture
def submission_server(tmp_path: Path) -> Iterator[tuple[SMTPServer, Path]]:
    """A loopback submission server (STARTTLS then AUTH required) and its certificate."""
    cert, key = make_certificate(tmp_path)
    server = SMTPServer(
        tls_context=server_tls_context(cert, key),
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
    ).start()
    yield server, cert
    server.stop()


def test_send_email_to_a_maildir(runner: CliRunner, tmp_path: Path, data_file: Path) -> None:
    box = tmp_path / "box"
    code, output = send(
        runner, "order_confirmation", "--data", str(data_file), "--transport", f"maildir://{box}"
    )
    assert code == 0, output
    [message] = mailbox.Maildir(box, create=False)
    assert "ML-2026-10482" in message["Subject"]
    assert message["To"].endswith("<camille.dupont@example.fr>")
    assert "maildir" in output
    assert "camille.dupont@example.fr" in output
    assert "Sent order_confirmation email" in output


def test_send_sms_from_the_environment_transport(
    runner: CliRunner, tmp_path: Path, data_file: Path
) -> None:
    box = tmp_path / "box"
    code, output = send(
        runner,
        "order_delayed",
        "--channel",
        "sms",
        "--locale",
        "de",
        "--data",
        str(_with(data_file, delay=samples.delay().model_dump(mode="json"))),
        env={"RELATIONCLIENT_TRANSPORT": f"maildir://{box}"},
    )
    assert code == 0, output
    [line] = (box / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    sms = json.loads(line)["sms"]
    assert sms["to"] == "+33612345678"
    assert sms["locale"] == "de"
    assert "ML-2026-10482" in sms["body"]
    assert "+33612345678" in output


def _with(data_file: Path, **extra: object) -> Path:
    payload = json.loads(data_file.read_text(encoding="utf-8"))
    payload.update(extra)
    data_file.write_text(json.dumps(payload), encoding="utf-8")
    return data_file


def test_send_through_smtp_with_starttls_and_the_password_from_the_environment(
    runner: CliRunner, data_file: Path, submission_server: tuple[SMTPServer, Path]
) -> None:
    server, cert = submission_server
    code, output = send(
        runner,
        "order_confirmation",
        "--data",
        str(data_file),
        "--transport",
        f"smtp://{USERNAME}@127.0.0.1:{server.port}?security=starttls&timeout=10",
        env={"RELATIONCLIENT_SMTP_PASSWORD": PASSWORD, "SSL_CERT_FILE": str(cert)},
    )
    assert code == 0, output
    [received] = server.received
    assert received.tls
    assert received.login == USERNAME.encode()
    assert received.rcpt_tos == ["camille.dupont@example.fr"]
    assert "ML-2026-10482" in str(received.message["Subject"])
    assert received.message_id.strip("<>") in output.replace("\n", "")
    assert PASSWORD not in output


def test_a_password_in_the_url_is_refused(runner: CliRunner, data_file: Path) -> None:
    code, output = send(
        runner,
        "order_confirmation",
        "--data",
        str(data_file),
        "--transport",
        "smtp://shop:hunter2@smtp.example.net:587",
    )
    assert code == 2
    assert "refusing a smtp:// URL that contains a password" in output
    assert "RELATIONCLIENT_SMTP_PASSWORD" in output
    assert "hunter2" not in output


@pytest.mark.parametrize(
    ("url", "variables"),
    [
        ("smtp://shop@smtp.example.net", ["RELATIONCLIENT_SMTP_PASSWORD"]),
        ("brevo://", ["BREVO_API_KEY"]),
        ("mailjet://", ["MAILJET_API_KEY", "MAILJET_SECRET_KEY"]),
    ],
)
def test_a_missing_credential_is_named(
    runner: CliRunner, data_file: Path, url: str, variables: list[str]
) -> None:
    code, output = send(
        runner,
        "order_confirmation",
        "--data",
        str(data_file),
        "--transport",
        url,
        env=dict.fromkeys(variables),
    )
    assert code == 2
    for name in variables:
        assert name in output
    assert "in the environment" in output


def test_an_unknown_scheme_lists_the_known_ones(runner: CliRunner, data_file: Path) -> None:
    code, output = send(
        runner, "order_confirmation", "--data", str(data_file), "--transport", "carrier-pigeon://"
    )
    assert code == 2
    assert "known schemes:" in output
    assert "smtp://" in output
    assert "twilio://" in output


def test_a_bad_kind_or_data_fails_clearly(
    runner: CliRunner, tmp_path: Path, data_file: Path
) -> None:
    maildir = f"maildir://{tmp_path / 'box'}"
    code, output = send(runner, "invoice", "--data", str(data_file), "--transport", maildir)
    assert code == 1
    assert "unknown message kind 'invoice'" in output
    code, output = send(runner, "shipment_sent", "--data", str(data_file), "--transport", maildir)
    assert code == 1
    assert "shipment_sent needs shipment" in output
    broken = tmp_path / "broken.json"
    broken.write_text('{"order": {}}', encoding="utf-8")
    code, output = send(runner, "order_confirmation", "--data", str(broken), "--transport", maildir)
    assert code == 2
    assert '"shop" key' in output
    assert not (tmp_path / "box").exists()  # nothing was sent


def test_a_transient_failure_exits_75(runner: CliRunner, data_file: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # held, never listening: connecting is refused
        port = sock.getsockname()[1]
        code, output = send(
            runner,
            "order_confirmation",
            "--data",
            str(data_file),
            "--transport",
            f"smtp://127.0.0.1:{port}?security=none&timeout=5",
        )
    assert code == 75, output
    assert "not sent" in output
