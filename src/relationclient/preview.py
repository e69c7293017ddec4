"""A local web page showing every message as the customer will see it: ``relationclient preview``.

One grid of kinds × locales × channels, rendered from sample data (or the
shop's own JSON): each email in frames at phone (375 px) and desktop (600 px)
widths, its plain-text part, its HTML size against Gmail's clipping limit, and
its SMS with encoding and segment count. The page polls ``/version`` — a hash
of the template and catalog files' modification times — and reloads itself
when a template changes, so editing a shop override shows at once.

Usable from tests and scripts::

    with PreviewServer(port=0) as server:
        url = server.url          # http://127.0.0.1:<free port>/

Routes: ``/`` (the grid), ``/email/<kind>/<locale>.html`` (one email's HTML),
``/email/<kind>/<locale>.txt`` (its text part), ``/version`` (JSON).
It serves on loopback by default and is meant for a developer's machine only.
"""

from __future__ import annotations

import hashlib
import html
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

from pydantic import ValidationError

from . import samples
from .checks import (
    DEFAULT_SMS_SEGMENTS,
    Problem,
    clear_caches,
    load_data,
    message_problems,
    sample_context,
)
from .composer import DEFAULT_HTML_LIMIT, Composer
from .errors import RelationClientError
from .i18n.catalogs import CATALOG_DIR, SHIPPED_LOCALES
from .messages import Email, Kind, Sms
from .models import Shop
from .rendering.environment import PACKAGED_TEMPLATES
from .sms import analyse

__all__ = ["DESKTOP_WIDTH", "GMAIL_CLIP_BYTES", "PHONE_WIDTH", "PreviewServer"]

#: Gmail shows "[Message clipped]" past about this many bytes of HTML.
GMAIL_CLIP_BYTES = 102 * 1024
#: The frame widths of the grid, in CSS pixels.
PHONE_WIDTH, DESKTOP_WIDTH = 375, 600

_WATCHED_SUFFIXES = (".html", ".txt", ".css", ".po", ".mo")


@dataclass
class _Rendered:
    """One kind in one locale: its email and SMS, or why they failed."""

    kind: str
    locale: str
    email: Email | None = None
    email_error: str | None = None
    sms: Sms | None = None
    sms_error: str | None = None
    problems: list[Problem] = field(default_factory=list)


class PreviewServer:
    """The preview web server, in a background thread.

    Args:
        host: Interface to listen on; loopback by default.
        port: TCP port; 0 picks a free one (read it back from :attr:`url`).
        shop: The shop whose messages are shown (the sample shop by default).
        data: The shop's own context values (``order``, ``shipment``…), used
            instead of sample data where given.
        data_file: A JSON file ``{"shop": {...}, "order": {...}}`` read instead of
            ``shop`` and ``data``, and re-read when it changes.
        template_dirs: The shop's template folders, searched before the packaged ones.
        catalog_dirs: The shop's gettext catalogs, tried before the packaged ones.
        locales: The locales in the grid (every shipped locale by default).
        poll_seconds: How often the page asks whether a template changed.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 8025,
        shop: Shop | None = None,
        data: Mapping[str, Any] | None = None,
        data_file: str | Path | None = None,
        template_dirs: Sequence[str | Path] = (),
        catalog_dirs: Sequence[str | Path] = (),
        locales: Sequence[str] = SHIPPED_LOCALES,
        poll_seconds: float = 1.0,
    ) -> None:
        self.host, self.port = host, port
        self.shop, self.data = shop, dict(data or {})
        self.data_file = Path(data_file) if data_file else None
        self.template_dirs = tuple(str(Path(d).resolve()) for d in template_dirs)
        self.catalog_dirs = tuple(str(Path(d).resolve()) for d in catalog_dirs)
        self.locales = tuple(locales)
        self.kinds = tuple(kind.value for kind in Kind)
        self.poll_seconds = poll_seconds
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._version: str | None = None
        self._rendered: dict[tuple[str, str], _Rendered] = {}
        self._setup_error: str | None = None

    # -- life cycle ----------------------------------------------------------------------
    def start(self) -> str:
        """Listen and serve in a daemon thread; returns the page's URL."""
        if self._server is not None:
            return self.url
        server = ThreadingHTTPServer((self.host, self.port), _Handler)
        server.daemon_threads = True
        server.preview = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="relationclient-preview", daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://host:port/`` of the running server (the real port when 0 was asked)."""
        if self._server is None:
            raise RuntimeError("the preview server is not started")
        host, port = self._server.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{name}]" if ":" in name else name
        return f"http://{shown}:{port}/"

    # -- what is shown -------------------------------------------------------------------
    def _watched(self) -> list[Path]:
        folders = [*self.template_dirs, str(PACKAGED_TEMPLATES), *self.catalog_dirs]
        folders.append(str(CATALOG_DIR))
        files = [
            path
            for folder in folders
            if Path(folder).is_dir()
            for path in Path(folder).rglob("*")
            if path.suffix in _WATCHED_SUFFIXES
        ]
        if self.data_file is not None:
            files.append(self.data_file)
        return sorted(files)

    def version(self) -> str:
        """A hash of the watched files' names, sizes and modification times."""
        digest = hashlib.sha256()
        for path in self._watched():
            try:
                stat = path.stat()
            except OSError:
                continue
            digest.update(f"{path}\0{stat.st_mtime_ns}\0{stat.st_size}\n".encode())
        return digest.hexdigest()[:16]

    def rendered(self) -> tuple[str, dict[tuple[str, str], _Rendered], str | None]:
        """Every message, rendered again when a watched file changed since last time."""
        version = self.version()
        with self._lock:
            if version != self._version:
                self._rendered, self._setup_error = self._render_all()
                self._version = version
            return version, self._rendered, self._setup_error

    def _render_all(self) -> tuple[dict[tuple[str, str], _Rendered], str | None]:
        clear_caches()  # catalogs are cached per process: read edited ones again
        shop, data = self.shop, self.data
        if self.data_file is not None:
            try:
                shop, data = load_data(self.data_file)
            except (RelationClientError, ValidationError) as exc:
                return {}, f"{self.data_file}: {exc}"
        composer = Composer(
            shop or samples.shop(),
            template_dirs=self.template_dirs,
            catalog_dirs=self.catalog_dirs,
            html_size_limit=10 * GMAIL_CLIP_BYTES,  # shown against the limit, not refused
            # A stand-in endpoint, as sample data stands in for the shop's.
            unsubscribe_url=samples.UNSUBSCRIBE_URL,
            unsubscribe_secret=samples.UNSUBSCRIBE_SECRET,
        )
        result: dict[tuple[str, str], _Rendered] = {}
        for kind in self.kinds:
            for locale in self.locales:
                result[kind, locale] = _render(composer, kind, locale, data)
        return result, None

    def page(self) -> str:
        """The grid page."""
        version, rendered, error = self.rendered()
        return _grid_page(self, version, rendered, error)


def _render(composer: Composer, kind: str, locale: str, data: Mapping[str, Any]) -> _Rendered:
    out = _Rendered(kind, locale)
    try:
        context = sample_context(kind, locale, data)
    except (RelationClientError, ValidationError) as exc:
        out.email_error = out.sms_error = str(exc)
        return out
    try:
        out.email = composer.email(kind, locale=locale, **context)
        out.problems += message_problems(composer, out.email, context)
    except (RelationClientError, ValidationError) as exc:
        out.email_error = str(exc)
    try:
        out.sms = composer.sms(kind, locale=locale, **context)
        out.problems += message_problems(
            composer, out.sms, context, sms_segments=DEFAULT_SMS_SEGMENTS
        )
    except (RelationClientError, ValidationError) as exc:
        out.sms_error = str(exc)
    return out


# -- HTTP ----------------------------------------------------------------------------------
class _Handler(BaseHTTPRequestHandler):
    server_version = "relationclient-preview"

    @property
    def preview(self) -> PreviewServer:
        preview: PreviewServer = self.server.preview  # type: ignore[attr-defined]
        return preview

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the page polls every second."""

    def _send(self, status: int, body: str, content_type: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        try:
            if path in ("/", "/index.html"):
                self._send(HTTPStatus.OK, self.preview.page(), "text/html")
            elif path == "/version":
                body = json.dumps({"version": self.preview.version()})
                self._send(HTTPStatus.OK, body, "application/json")
            elif path.startswith("/email/"):
                self._email(path.removeprefix("/email/"))
            else:
                self._send(HTTPStatus.NOT_FOUND, f"no page {path}", "text/plain")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page reloaded while a frame was loading

    def _email(self, rest: str) -> None:
        kind, _, name = rest.partition("/")
        locale, _, suffix = name.rpartition(".")
        _, rendered, _ = self.preview.rendered()
        found = rendered.get((kind, locale))
        if found is None or suffix not in ("html", "txt"):
            self._send(HTTPStatus.NOT_FOUND, f"no message {rest}", "text/plain")
        elif found.email is None:
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, found.email_error or "", "text/plain")
        elif suffix == "html":
            self._send(HTTPStatus.OK, found.email.html, "text/html")
        else:
            self._send(HTTPStatus.OK, found.email.text, "text/plain")


# -- the page ------------------------------------------------------------------------------
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; background: #f3f3f1; color: #222; }
header { padding: 16px 24px; background: #222; color: #fff; }
header h1 { margin: 0 0 4px 0; font-size: 20px; }
header p { margin: 0; color: #ccc; font-size: 13px; }
nav { padding: 16px 24px; background: #fff; border-bottom: 1px solid #ddd; overflow-x: auto; }
nav table { border-collapse: collapse; font-size: 13px; }
nav th, nav td { padding: 4px 8px; border: 1px solid #e3e3e3; text-align: left; }
nav a { text-decoration: none; color: inherit; }
.ok { color: #1a7f37; } .bad { color: #c62828; font-weight: bold; }
main { padding: 8px 24px 48px 24px; }
section.message { margin: 24px 0; padding: 16px; background: #fff; border-radius: 6px;
  box-shadow: 0 1px 2px rgba(0,0,0,.08); }
section.message h2 { margin: 0 0 8px 0; font-size: 17px; }
.meta { font-size: 13px; color: #555; margin: 4px 0 8px 0; }
.frames { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
figure { margin: 0; }
figcaption { font-size: 12px; color: #666; margin-bottom: 4px; }
iframe { border: 1px solid #ccc; background: #fff; height: 640px; display: block; }
iframe.phone { width: 375px; } iframe.desktop { width: 600px; }
pre.text { width: 520px; max-height: 900px; overflow: auto; margin: 0; padding: 12px;
  background: #fafafa; border: 1px solid #ddd; font-size: 12px; white-space: pre-wrap; }
.sms { margin-top: 12px; }
.bubble { display: inline-block; max-width: 420px; padding: 10px 14px; border-radius: 16px;
  background: #e9e9eb; font-size: 15px; line-height: 1.35; white-space: pre-wrap;
  overflow-wrap: anywhere; }
.error { color: #c62828; white-space: pre-wrap; font-family: monospace; font-size: 13px; }
ul.problems { color: #c62828; font-size: 13px; }
meter { width: 120px; vertical-align: middle; }
"""

_SCRIPT = """
(function () {
  var version = %(version)s;
  function fit(frame) {
    try {
      var doc = frame.contentDocument;
      if (doc && doc.documentElement) {
        frame.style.height = doc.documentElement.scrollHeight + "px";
      }
    } catch (e) {}
  }
  document.querySelectorAll("iframe").forEach(function (frame) {
    frame.addEventListener("load", function () { fit(frame); });
    fit(frame);
  });
  window.addEventListener("load", function () {
    document.querySelectorAll("iframe").forEach(fit);
  });
  setInterval(function () {
    fetch("/version", {cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (v) { if (v.version !== version) { location.reload(); } })
      .catch(function () {});
  }, %(poll)d);
})();
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _size(n: int) -> str:
    return f"{n / 1024:.1f} KB"


def _email_block(r: _Rendered, anchor: str) -> str:
    attrs = f'data-kind="{_e(r.kind)}" data-locale="{_e(r.locale)}" data-channel="email"'
    if r.email is None:
        return f'<div class="email" {attrs}><p class="error">{_e(r.email_error)}</p></div>'
    email, base = r.email, f"/email/{r.kind}/{r.locale}"
    size = len(email.html.encode())
    size_class = "bad" if size > DEFAULT_HTML_LIMIT else "ok"
    return (
        f'<div class="email" {attrs}>'
        f'<p class="meta"><strong>{_e(email.subject)}</strong><br>'
        f"Preheader: {_e(email.preheader)}<br>"
        f'HTML <span class="{size_class}">{_size(size)}</span> of Gmail\'s '
        f"{GMAIL_CLIP_BYTES // 1024} KB clip limit "
        f'<meter min="0" max="{GMAIL_CLIP_BYTES}" high="{DEFAULT_HTML_LIMIT}" '
        f'value="{size}"></meter> · {_e(email.purpose)} · '
        f'<a href="{base}.html" target="_blank">open</a> · '
        f'<a href="{base}.txt" target="_blank">text</a></p>'
        '<div class="frames">'
        f"<figure><figcaption>Phone · {PHONE_WIDTH} px</figcaption>"
        f'<iframe class="phone" title="{_e(anchor)} phone" src="{base}.html" '
        f'width="{PHONE_WIDTH}"></iframe></figure>'
        f"<figure><figcaption>Desktop · {DESKTOP_WIDTH} px</figcaption>"
        f'<iframe class="desktop" title="{_e(anchor)} desktop" src="{base}.html" '
        f'width="{DESKTOP_WIDTH}"></iframe></figure>'
        "<figure><figcaption>Text part</figcaption>"
        f'<pre class="text" dir="auto">{_e(email.text)}</pre></figure>'
        "</div></div>"
    )


def _sms_block(r: _Rendered) -> str:
    attrs = f'data-kind="{_e(r.kind)}" data-locale="{_e(r.locale)}" data-channel="sms"'
    if r.sms is None:
        return f'<div class="sms" {attrs}><p class="error">{_e(r.sms_error)}</p></div>'
    sms = r.sms
    units = analyse(sms.body).units
    plural = "segment" if sms.segments == 1 else "segments"
    return (
        f'<div class="sms" {attrs}>'
        f'<p class="meta">SMS to {_e(sms.to)} from {_e(sms.sender)} · '
        f"<strong>{_e(sms.encoding)}</strong> · "
        f'<strong class="{"ok" if sms.segments == 1 else "bad"}">{sms.segments} {plural}</strong>'
        f" · {units} units · {_e(sms.purpose)}</p>"
        f'<div class="bubble" dir="auto" lang="{_e(sms.locale)}">{_e(sms.body)}</div></div>'
    )


def _status(r: _Rendered, channel: str) -> str:
    failed = r.email_error if channel == "email" else r.sms_error
    mine = [p for p in r.problems if f"· {channel} ·" in p.where]
    if failed or mine:
        return '<span class="bad">✗</span>'
    return '<span class="ok">✓</span>'


def _grid_page(
    preview: PreviewServer,
    version: str,
    rendered: Mapping[tuple[str, str], _Rendered],
    error: str | None,
) -> str:
    folders = ", ".join(preview.template_dirs) or "packaged templates only"
    head = "".join(f"<th>{_e(locale)}</th>" for locale in preview.locales)
    nav_rows, sections = [], []
    for kind in preview.kinds:
        cells = []
        for locale in preview.locales:
            r = rendered.get((kind, locale))
            if r is None:
                cells.append("<td></td>")
                continue
            anchor = f"{kind}-{locale}"
            cells.append(
                f'<td><a href="#{_e(anchor)}">email {_status(r, "email")} · '
                f"sms {_status(r, 'sms')}</a></td>"
            )
            problems = "".join(f"<li>{_e(p)}</li>" for p in r.problems)
            sections.append(
                f'<section class="message" id="{_e(anchor)}" data-kind="{_e(kind)}" '
                f'data-locale="{_e(locale)}"><h2>{_e(kind)} · {_e(locale)}</h2>'
                + _email_block(r, anchor)
                + _sms_block(r)
                + (f'<ul class="problems">{problems}</ul>' if problems else "")
                + "</section>"
            )
        nav_rows.append(f"<tr><th>{_e(kind)}</th>{''.join(cells)}</tr>")
    script = _SCRIPT % {"version": json.dumps(version), "poll": int(preview.poll_seconds * 1000)}
    failure = f'<p class="error">{_e(error)}</p>' if error else ""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>relationclient preview</title>"
        f"<style>{_STYLE}</style></head><body>"
        "<header><h1>relationclient preview</h1>"
        f"<p>{len(preview.kinds)} kinds × {len(preview.locales)} locales × email, SMS · "
        f"templates: {_e(folders)} · reloads when a template changes</p></header>"
        f"<nav><table><tr><th>kind</th>{head}</tr>{''.join(nav_rows)}</table></nav>"
        f"<main>{failure}{''.join(sections)}</main>"
        f"<script>{script}</script></body></html>"
    )
