"""The preview server over plain HTTP: its routes, its reload signal, its start/stop API."""

from __future__ import annotations

import json
import os
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from relationclient import samples
from relationclient.cli import main
from relationclient.preview import PreviewServer


def get(url: str) -> tuple[int, str, str]:
    """Status, content type and body of ``url``; HTTP errors are answers too."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


@pytest.fixture(scope="module")
def server() -> Iterator[PreviewServer]:
    with PreviewServer(port=0, locales=("fr", "ar")) as running:
        yield running


def test_start_returns_the_url_and_stop_frees_the_port() -> None:
    server = PreviewServer(port=0, locales=("en",))
    url = server.start()
    assert url.startswith("http://127.0.0.1:")
    assert url == server.url
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    assert get(url + "version")[0] == 200
    server.stop()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0  # nobody listens any more
    with PreviewServer(port=port, locales=("en",)) as again:  # and the port can be taken again
        assert again.url == url
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.url


def test_grid_page_shows_each_message(server: PreviewServer) -> None:
    status, content_type, page = get(server.url)
    assert status == 200
    assert content_type == "text/html; charset=utf-8"
    for kind in ("account_created", "order_confirmation", "delivery_check"):
        for locale in ("fr", "ar"):
            assert f'src="/email/{kind}/{locale}.html"' in page
            assert f'data-kind="{kind}" data-locale="{locale}" data-channel="sms"' in page
    assert 'width="375"' in page
    assert 'width="600"' in page
    assert "clip limit" in page
    assert "UCS-2" in page  # the Arabic SMS
    assert "GSM-7" in page
    assert "ML-2026-10482" in page  # the SMS bodies and text parts are on the page
    assert 'fetch("/version"' in page


def test_email_routes_serve_html_and_text(server: PreviewServer) -> None:
    status, content_type, body = get(server.url + "email/order_confirmation/ar.html")
    assert (status, content_type) == (200, "text/html; charset=utf-8")
    assert '<html lang="ar" dir="rtl"' in body
    status, content_type, body = get(server.url + "email/shipment_sent/fr.txt")
    assert (status, content_type) == (200, "text/plain; charset=utf-8")
    assert samples.shipment("fr").tracking_number in body
    assert get(server.url + "email/shipment_sent/xx.html")[0] == 404
    assert get(server.url + "email/nope/fr.html")[0] == 404
    assert get(server.url + "elsewhere")[0] == 404


def test_version_changes_when_a_template_changes(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    (templates / "email").mkdir(parents=True)
    override = templates / "email" / "order_delayed.html"
    override.write_text(
        '{% extends "relationclient/email/order_delayed.html" %}'
        "{% block content %}<p>First draft</p>{{ super() }}{% endblock %}",
        encoding="utf-8",
    )
    with PreviewServer(port=0, template_dirs=[templates], locales=("fr",)) as server:
        url = server.url + "email/order_delayed/fr.html"
        first = json.loads(get(server.url + "version")[2])["version"]
        assert "First draft" in get(url)[2]
        assert json.loads(get(server.url + "version")[2])["version"] == first  # stable
        override.write_text(override.read_text().replace("First", "Second"), encoding="utf-8")
        stat = override.stat()
        os.utime(override, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        second = json.loads(get(server.url + "version")[2])["version"]
        assert second != first
        body = get(url)[2]
        assert "Second draft" in body
        assert "First draft" not in body


def test_a_broken_override_shows_its_error_instead_of_the_email(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    (templates / "email").mkdir(parents=True)
    (templates / "email" / "account_created.html").write_text(
        '{% extends "relationclient/email/account_created.html" %}'
        "{% block content %}{{ customer.nickname }}{% endblock %}",
        encoding="utf-8",
    )
    with PreviewServer(port=0, template_dirs=[templates], locales=("fr",)) as server:
        status, _, page = get(server.url)
        assert status == 200
        assert "nickname" in page
        assert 'class="error"' in page
        status, _, body = get(server.url + "email/account_created/fr.html")
        assert status == 500
        assert "nickname" in body
        assert get(server.url + "email/order_confirmation/fr.html")[0] == 200


def test_shop_data_file_is_shown(tmp_path: Path) -> None:
    shop = samples.shop().model_copy(update={"name": "Atelier Nord"})
    data = tmp_path / "shop.json"
    data.write_text(json.dumps({"shop": shop.model_dump(mode="json")}), encoding="utf-8")
    with PreviewServer(port=0, data_file=data, locales=("fr",)) as server:
        assert "Atelier Nord" in get(server.url + "email/order_confirmation/fr.html")[2]


def test_preview_command_reports_a_port_in_use() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["preview", "--port", str(port)])
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
