"""``examples/django_shop`` runs as a shop would run it: manage.py, a real server, the command.

``manage.py check`` passes (relationclient's checks included); ``runserver``
serves the shop on loopback; an order posted to it stores its confirmation and
the staff's notice; ``manage.py relationclient_dispatch`` sends both through
Django's file backend; Postmark's delivery webhook for the confirmation is
recorded against it.
"""

from __future__ import annotations

import email.policy
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email.parser import BytesParser
from pathlib import Path

import httpx
import pytest

from relationclient.events import BasicAuth

from ...events.payloads import postmark_body, postmark_delivery, postmark_headers

SHOP = Path(__file__).resolve().parents[3] / "examples" / "django_shop"
MANAGE = SHOP / "manage.py"
PASSWORD = "example-webhook-password"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The shop's environment: its data in the test's directory, its own settings module."""
    variables = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    variables.update(SHOP_DATA_DIR=str(tmp_path / "data"), POSTMARK_WEBHOOK_PASSWORD=PASSWORD)
    return variables


def manage(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(MANAGE), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """``manage.py runserver`` on a free loopback port: its base URL once it answers."""
    port = free_port()
    log = (tmp_path / "runserver.log").open("w")
    process = subprocess.Popen(
        [sys.executable, str(MANAGE), "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # readiness, not a timing assertion
            if process.poll() is not None:
                break
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        if process.poll() is not None:
            pytest.fail(f"runserver exited:\n{(tmp_path / 'runserver.log').read_text()}")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_check_passes(env: dict[str, str], tmp_path: Path) -> None:
    done = manage(env, tmp_path, "check")
    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout


def test_an_order_its_dispatch_and_its_webhook(
    env: dict[str, str], tmp_path: Path, server: str
) -> None:
    placed = httpx.post(f"{server}/orders/", data={"locale": "fr"}, timeout=30)
    assert placed.status_code == 200, placed.text
    key = placed.json()["confirmation"]
    assert placed.json()["state"] == "queued"

    done = manage(env, tmp_path, "relationclient_dispatch")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "sent 2" in done.stdout
    status = httpx.get(f"{server}/orders/{key}", timeout=30).json()
    assert status == {"state": "sent", "events": []}

    # Django's file backend wrote both mails; the standard library reads them back.
    [written] = (tmp_path / "data" / "sent").iterdir()
    mails = [
        BytesParser(policy=email.policy.default).parsebytes(chunk.strip() + b"\n")
        for chunk in written.read_bytes().split(b"-" * 79)
        if chunk.strip()
    ]
    subjects = sorted(str(m["Subject"]).lstrip() for m in mails)
    assert subjects[1].startswith("Nouvelle commande")
    assert [m.get_content_type() for m in mails].count("multipart/alternative") == 1

    delivered = postmark_delivery("camille.dupont@example.fr", message_id="pm-1", key=key)
    answer = httpx.post(
        f"{server}/hooks/postmark",
        headers=postmark_headers(BasicAuth("postmark", PASSWORD)),
        content=postmark_body(delivered),
        timeout=30,
    )
    assert answer.json() == {"recorded": 1, "duplicates": 0}
    status = httpx.get(f"{server}/orders/{key}", timeout=30).json()
    assert status == {"state": "sent", "events": ["delivered"]}


def test_the_loop_stops_on_sigterm_after_its_round(
    env: dict[str, str], tmp_path: Path, server: str
) -> None:
    placed = httpx.post(f"{server}/orders/", data={"locale": "de"}, timeout=30)
    key = placed.json()["confirmation"]
    process = subprocess.Popen(
        [sys.executable, str(MANAGE), "relationclient_dispatch", "--loop", "0.05"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # the round that sent the order's two mails
        assert "sent 2" in first, first
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, rest
    assert "Stopped." in rest
    assert httpx.get(f"{server}/orders/{key}", timeout=30).json()["state"] == "sent"
