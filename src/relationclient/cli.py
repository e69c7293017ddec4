"""The ``relationclient`` command line (also ``python -m relationclient``).

``demo`` renders every message from sample data into a local Maildir; ``render``
one message from the shop's JSON; ``preview`` serves every message in a browser
and reloads on template changes; ``check`` is a shop's CI gate (templates,
catalogs, must-show items, sizes); ``send`` sends one message through a
transport named by URL; ``i18n`` extracts, updates and compiles a shop's own
catalogs; ``outbox show`` prints an entry with its delivery events;
``suppressions`` lists and edits a shop's suppression list; ``events replay``
records a saved webhook payload.
"""

from __future__ import annotations

import html
import importlib
import json
import logging
import mailbox
import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click
from babel.messages.pofile import read_po
from pydantic import ValidationError
from rich import box
from rich.console import Console
from rich.markup import escape as rich_escape
from rich.progress import Progress
from rich.table import Table

from . import samples
from .__about__ import __version__
from .checks import (
    BABEL_CFG,
    DEFAULT_SMS_SEGMENTS,
    CheckReport,
    MessageResult,
    Problem,
    load_data,
    run_checks,
    template_problems,
)
from .composer import DEFAULT_HTML_LIMIT, Composer
from .errors import ConfigurationError, RelationClientError, TransportError
from .i18n.catalogs import CATALOG_DIR, DOMAIN, SHIPPED_LOCALES
from .messages import Email, Kind, Sms
from .models import Shop
from .preview import PreviewServer
from .rendering.environment import PACKAGED_TEMPLATES
from .transports.maildir import MaildirTransport
from .transports.url import transport_from_url

__all__ = ["main"]

_console = Console(stderr=True)

# Babel's frontend (the code behind ``pybabel``): its stubs describe Babel 2.11, before
# the command classes got their current names, so it is used untyped.
_pybabel: Any = importlib.import_module("babel.messages.frontend")


@click.group()
@click.version_option(package_name="relationclient")
def main() -> None:
    """Build and send correct customer messages for an online shop."""


@main.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("relationclient-demo"),
    show_default=True,
    help="Folder for the Maildir and the index page.",
)
def demo(out: Path) -> None:
    """Render every kind × channel × locale from sample data into a local Maildir."""
    composer = Composer(
        samples.shop(),
        unsubscribe_url=samples.UNSUBSCRIBE_URL,
        unsubscribe_secret=samples.UNSUBSCRIBE_SECRET,
    )
    out.mkdir(parents=True, exist_ok=True)
    # A run replaces the previous one: only what the demo itself writes goes.
    for previous in (out / "maildir", out / "html"):
        if previous.is_dir():
            shutil.rmtree(previous)
    previews = out / "html"
    previews.mkdir()
    rows: list[tuple[str, str, Email, Sms]] = []
    jobs = [(kind.value, locale) for locale in samples.LOCALES for kind in Kind]
    with MaildirTransport(out / "maildir") as transport, Progress(console=_console) as progress:
        task = progress.add_task("Rendering and delivering", total=len(jobs))
        for kind, locale in jobs:
            context = samples.context(kind, locale)
            email = composer.email(kind, **context)
            sms = composer.sms(kind, **context)
            transport.send_many([email, sms])
            (previews / f"{kind}.{locale}.html").write_text(email.html, encoding="utf-8")
            rows.append((kind, locale, email, sms))
            progress.advance(task)
    index = out / "index.html"
    index.write_text(_index_page(rows), encoding="utf-8")
    # Counted on disk, so what is said is what is there.
    emails = len(mailbox.Maildir(out / "maildir", create=False))
    with (out / "maildir" / "sms.jsonl").open(encoding="utf-8") as log:
        texts = sum(1 for line in log if line.strip())
    click.echo(f"Delivered {emails} emails and {texts} SMS.")
    click.echo(f"Maildir (open with any mail client, e.g. mutt -f): {(out / 'maildir').resolve()}")
    click.echo(f"SMS log (JSON lines): {(out / 'maildir' / 'sms.jsonl').resolve()}")
    click.echo(f"Index of every message: {index.resolve()}")


def _index_page(rows: list[tuple[str, str, Email, Sms]]) -> str:
    body = []
    for kind, locale, email, sms in rows:
        body.append(
            "<tr>"
            f"<td>{html.escape(kind)}</td><td>{html.escape(locale)}</td>"
            f'<td><a href="html/{kind}.{locale}.html">{html.escape(email.subject)}</a></td>'
            f'<td dir="auto">{html.escape(sms.body)}</td>'
            f"<td>{sms.encoding}, {sms.segments}</td>"
            "</tr>"
        )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>relationclient demo</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{border-bottom:1px solid #ddd;"
        "padding:4px 8px;text-align:left;vertical-align:top}</style></head><body>"
        "<h1>relationclient demo</h1><table><tr><th>Kind</th><th>Locale</th><th>Email</th>"
        "<th>SMS</th><th>Encoding, segments</th></tr>" + "".join(body) + "</table></body></html>"
    )


#: Where ``render`` and ``send`` read the unsubscribe secret: never from the command line.
UNSUBSCRIBE_SECRET_VARIABLE = "RELATIONCLIENT_UNSUBSCRIBE_SECRET"

_unsubscribe_url = click.option(
    "--unsubscribe-url",
    envvar="RELATIONCLIENT_UNSUBSCRIBE_URL",
    default=None,
    help="The shop's unsubscribe endpoint, with {token} (also $RELATIONCLIENT_UNSUBSCRIBE_URL); "
    f"the secret signing the token comes from ${UNSUBSCRIBE_SECRET_VARIABLE}. Needed for "
    "marketing emails.",
)


def _unsubscribe(url: str | None) -> dict[str, Any]:
    """The composer's unsubscribe options: the URL given, the secret from the environment."""
    if url is None:
        return {}
    return {
        "unsubscribe_url": url,
        "unsubscribe_secret": os.environ.get(UNSUBSCRIBE_SECRET_VARIABLE),
    }


@main.command()
@click.argument("kind")
@click.option("--locale", default=None, help="Locale to write in (default: the customer's).")
@click.option("--channel", type=click.Choice(["email", "sms"]), default="email", show_default=True)
@click.option(
    "--data",
    type=click.File("r", encoding="utf-8"),
    required=True,
    help='JSON: {"shop": {...}, "order": {...}, ...} as the models\' JSON schema says.',
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "text", "eml", "json"]),
    default="text",
    show_default=True,
)
@_unsubscribe_url
def render(
    kind: str, locale: str | None, channel: str, data: Any, fmt: str, unsubscribe_url: str | None
) -> None:
    """Render one message from the shop's own JSON data.

    A marketing email (a promo for a consenting customer) needs
    --unsubscribe-url and the secret in $RELATIONCLIENT_UNSUBSCRIBE_SECRET.
    """
    try:
        payload = json.load(data)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--data") from exc
    if not isinstance(payload, dict) or "shop" not in payload:
        raise click.BadParameter('needs an object with a "shop" key', param_hint="--data")
    try:
        composer = Composer(
            Shop.model_validate(payload.pop("shop")), **_unsubscribe(unsubscribe_url)
        )
        if channel == "sms":
            sms = composer.sms(kind, locale=locale, **payload)
            click.echo(sms.model_dump_json(indent=2) if fmt == "json" else sms.body)
            return
        email = composer.email(kind, locale=locale, **payload)
    except ValidationError as exc:
        _console.print(f"[red]invalid data:[/red] {exc}")
        sys.exit(2)
    except RelationClientError as exc:
        _console.print(f"[red]cannot render:[/red] {exc}")
        sys.exit(1)
    if fmt == "html":
        click.echo(email.html)
    elif fmt == "eml":
        sys.stdout.buffer.write(email.as_bytes())
    elif fmt == "json":
        click.echo(email.model_dump_json(indent=2))
    else:
        click.echo(f"Subject: {email.subject}\n\n{email.text}")


# -- shared options ------------------------------------------------------------------------
_template_dirs = click.option(
    "--template-dir",
    "template_dirs",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, resolve_path=True, path_type=Path),
    help="A folder of the shop's own templates, searched before the packaged ones "
    "(repeat for several).",
)
_catalog_dirs = click.option(
    "--catalog-dir",
    "catalog_dirs",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, resolve_path=True, path_type=Path),
    help="A folder of the shop's own gettext catalogs (<dir>/<locale>/LC_MESSAGES/messages.po),"
    " tried before the packaged ones (repeat for several).",
)
_data_file = click.option(
    "--data",
    "data_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help='The shop\'s own JSON: {"shop": {...}, "order": {...}, ...}; sample data fills the rest.',
)


def _stdout() -> Console:
    """A console on standard output, wide enough for CI logs that are not terminals."""
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 120
    return console


def _fail(message: str, code: int = 2) -> NoReturn:
    _console.print(f"[red]error:[/red] {rich_escape(message)}", soft_wrap=True)
    sys.exit(code)


def _load(data_file: Path | None) -> tuple[Shop | None, dict[str, Any]]:
    if data_file is None:
        return None, {}
    try:
        return load_data(data_file)
    except ConfigurationError as exc:
        _fail(str(exc))
    except ValidationError as exc:
        _fail(f"invalid data in {data_file}: {exc}")


# -- preview -------------------------------------------------------------------------------
@main.command()
@click.option("--port", default=8025, show_default=True, type=click.IntRange(0, 65535))
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@_template_dirs
@_catalog_dirs
@_data_file
def preview(
    port: int,
    host: str,
    template_dirs: tuple[Path, ...],
    catalog_dirs: tuple[Path, ...],
    data_file: Path | None,
) -> None:
    """Serve every kind × locale × channel in the browser; reloads when a template changes."""
    if data_file is not None:
        _load(data_file)  # refuse a bad file now rather than on the page
    server = PreviewServer(
        host=host,
        port=port,
        data_file=data_file,
        template_dirs=template_dirs,
        catalog_dirs=catalog_dirs,
    )
    try:
        url = server.start()
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    out = _stdout()
    out.print(f"Preview of every message at [bold]{url}[/bold]", soft_wrap=True)
    out.print("Edit a template and the page reloads. Ctrl-C to stop.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        out.print("Stopped.")
    finally:
        server.stop()


# -- check ---------------------------------------------------------------------------------
@main.command()
@_template_dirs
@_catalog_dirs
@click.option(
    "--locale",
    "locales",
    multiple=True,
    type=click.Choice(SHIPPED_LOCALES),
    help="Check only this locale (repeat for several; default: every shipped locale).",
)
@_data_file
@click.option(
    "--html-limit",
    type=click.IntRange(min=1),
    default=DEFAULT_HTML_LIMIT,
    show_default=True,
    help="Bytes of HTML allowed per email after inlining (Gmail clips at about 102 KB).",
)
@click.option(
    "--sms-segments",
    type=click.IntRange(min=1),
    default=DEFAULT_SMS_SEGMENTS,
    show_default=True,
    help="Most segments allowed per SMS.",
)
def check(
    template_dirs: tuple[Path, ...],
    catalog_dirs: tuple[Path, ...],
    locales: tuple[str, ...],
    data_file: Path | None,
    html_limit: int,
    sms_segments: int,
) -> None:
    """Check a shop's templates and catalogs, for its CI: exit 1 on any problem.

    Compiles the template overrides, verifies that every string the templates
    use is translated (not fuzzy, right plural forms) in every locale, renders
    every kind × channel × locale from sample data through the overrides, and
    checks that each shows what it must, within the HTML size and SMS budgets.
    """
    shop, data = _load(data_file)
    out = _stdout()
    chosen = locales or SHIPPED_LOCALES
    with out.status("Checking templates, catalogs and every message…"):
        report = run_checks(
            shop,
            template_dirs=template_dirs,
            catalog_dirs=catalog_dirs,
            locales=chosen,
            html_limit=html_limit,
            sms_segments=sms_segments,
            data=data,
        )
    _print_report(out, report, template_dirs, chosen, html_limit, sms_segments)
    if not report.ok:
        sys.exit(1)


def _print_report(
    out: Console,
    report: CheckReport,
    template_dirs: Sequence[Path],
    locales: Sequence[str],
    html_limit: int,
    sms_segments: int,
) -> None:
    out.rule("relationclient check")
    if template_dirs:
        names = ", ".join(report.templates) or "none"
        out.print(f"Shop templates compiled: {len(report.templates)} ({names})", soft_wrap=True)
    else:
        out.print("Shop templates: none given (--template-dir); checking the packaged ones.")
    out.print(f"Catalogs read: {len(report.catalogs)} .po files for {', '.join(locales)}")
    out.print(
        f"Messages rendered: {len(report.messages)} · HTML limit {html_limit:,} bytes · "
        f"SMS budget {sms_segments} segment{'s' if sms_segments > 1 else ''}"
    )
    for note in report.notes:
        out.print(f"[yellow]note:[/yellow] {rich_escape(note)}", soft_wrap=True)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("kind")
    table.add_column("channel")
    for locale in locales:
        table.add_column(locale, justify="right")
    cells: dict[tuple[str, str, str], MessageResult] = {
        (r.kind, r.channel, r.locale): r for r in report.messages
    }
    for kind in dict.fromkeys(r.kind for r in report.messages):
        for channel in ("email", "sms"):
            row = [kind if channel == "email" else "", channel]
            for locale in locales:
                result = cells.get((kind, channel, locale))
                row.append(_cell(result) if result else "")
            table.add_row(*row)
    out.print(table)
    if report.ok:
        out.print("[green]✓ All checks passed.[/green]")
        return
    out.print(f"[red bold]Problems ({len(report.problems)}):[/red bold]")
    by_place: dict[str, list[Problem]] = {}
    for problem in report.problems:
        by_place.setdefault(problem.where, []).append(problem)
    for where, problems in by_place.items():
        out.print(f"[bold]{rich_escape(where)}[/bold]", soft_wrap=True)
        for problem in problems:
            out.print(
                f"  [red]✗[/red] {problem.part:<8} {rich_escape(problem.detail)}", soft_wrap=True
            )
    out.print(f"[red bold]✗ {len(report.problems)} problems: fix them and run check again.[/]")


def _cell(result: MessageResult) -> str:
    if result.problems:
        return f"[red]✗ {len(result.problems)}[/red]"
    if result.html_size is not None:
        return f"[green]✓[/green] {result.html_size / 1024:.0f} KB"
    return f"[green]✓[/green] {result.segments}×{(result.encoding or '').replace('-', '')}"


# -- send ----------------------------------------------------------------------------------
@main.command()
@click.argument("kind")
@click.option(
    "--data",
    "data_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSON: {"shop": {...}, "order": {...}, ...} as the models\' JSON schema says.',
)
@click.option(
    "--transport",
    "transport_url",
    required=True,
    envvar="RELATIONCLIENT_TRANSPORT",
    help="Where to send: smtp://user@host:587, maildir:///path, brevo://, twilio://… "
    "(also $RELATIONCLIENT_TRANSPORT). Credentials come from environment variables, "
    "never from the URL.",
)
@click.option("--channel", type=click.Choice(["email", "sms"]), default="email", show_default=True)
@click.option("--locale", default=None, help="Locale to write in (default: the customer's).")
@_template_dirs
@_catalog_dirs
@_unsubscribe_url
def send(
    kind: str,
    data_file: Path,
    transport_url: str,
    channel: str,
    locale: str | None,
    template_dirs: tuple[Path, ...],
    catalog_dirs: tuple[Path, ...],
    unsubscribe_url: str | None,
) -> None:
    """Send one message KIND through a transport named by URL; prints the receipt.

    \b
    Credentials are read from the environment only:
      smtp://user@host:587     RELATIONCLIENT_SMTP_PASSWORD  (smtps:// for port 465)
      brevo://, brevo-sms://   BREVO_API_KEY
      postmark://              POSTMARK_SERVER_TOKEN
      sendgrid://              SENDGRID_API_KEY
      mailgun://DOMAIN         MAILGUN_API_KEY               (?region=eu)
      mailjet://               MAILJET_API_KEY, MAILJET_SECRET_KEY
      twilio://                TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN
      vonage://                VONAGE_API_KEY, VONAGE_API_SECRET
    maildir:///path, console:// and memory:// need none.
    A marketing email also needs --unsubscribe-url and
    RELATIONCLIENT_UNSUBSCRIBE_SECRET.

    Exit status: 0 sent, 1 refused or failed, 2 bad input, 75 temporary failure (retry later).
    """  # noqa: D301 (\b is click's "do not rewrap this paragraph" mark)
    try:
        transport = transport_from_url(transport_url)
    except ConfigurationError as exc:
        _fail(str(exc))
    shop, context = _load(data_file)
    assert shop is not None
    try:
        composer = Composer(
            shop,
            template_dirs=template_dirs,
            catalog_dirs=catalog_dirs,
            **_unsubscribe(unsubscribe_url),
        )
    except ConfigurationError as exc:
        _fail(str(exc))
    try:
        message: Email | Sms = (
            composer.sms(kind, locale=locale, **context)
            if channel == "sms"
            else composer.email(kind, locale=locale, **context)
        )
    except RelationClientError as exc:
        _fail(f"cannot render {kind} {channel}: {exc}", 1)
    try:
        with transport:
            receipt = transport.send(message)
    except TransportError as exc:
        _fail(f"not sent: {exc}", 75 if exc.transient else 1)
    except RelationClientError as exc:
        _fail(f"not sent: {exc}", 1)
    _stdout().print(
        _facts(
            f"Sent {kind} {channel}",
            ("transport", receipt.transport),
            ("message id", receipt.message_id),
            ("recipient", receipt.recipient),
            ("locale", message.locale),
            ("idempotency key", receipt.idempotency_key),
            ("accepted at", receipt.accepted_at.isoformat(timespec="seconds")),
        )
    )


# -- i18n ----------------------------------------------------------------------------------
@main.group()
def i18n() -> None:
    """Translate the shop's own templates: extract, update, compile (Babel's pybabel steps).

    \b
    relationclient i18n extract --templates templates --catalogs locale
    relationclient i18n update  --catalogs locale --locale fr --locale de
    relationclient i18n compile --catalogs locale
    relationclient check --template-dir templates --catalog-dir locale
    """  # noqa: D301 (\b is click's "do not rewrap this paragraph" mark)


_templates_option = click.option(
    "--templates",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("templates"),
    show_default=True,
    help="The shop's template folder.",
)
_catalogs_option = click.option(
    "--catalogs",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("locale"),
    show_default=True,
    help="The shop's catalog folder (<catalogs>/<locale>/LC_MESSAGES/messages.po).",
)
_locales_option = click.option(
    "--locale",
    "locales",
    multiple=True,
    help="A locale to work on (repeat for several; default: the catalogs already there).",
)
_packaged_option = click.option(
    "--packaged",
    is_flag=True,
    help="Work on relationclient's own templates and catalogs (for its maintainers).",
)


class _EchoHandler(logging.Handler):
    """Shows Babel's progress messages on standard error."""

    def emit(self, record: logging.LogRecord) -> None:
        style = "red" if record.levelno >= logging.ERROR else "dim"
        _console.print(f"[{style}]{rich_escape(record.getMessage())}[/{style}]", soft_wrap=True)


def _run_babel(command: Any, **options: Any) -> None:
    """Run one of Babel's frontend commands as ``pybabel`` would, failing with its errors."""
    logger = logging.getLogger("relationclient.i18n")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = _EchoHandler()
    logger.addHandler(handler)
    command.log = logger
    try:
        command.initialize_options()
        for name, value in options.items():
            setattr(command, name, value)
        command.finalize_options()
        status = command.run()
    except (_pybabel.OptionError, _pybabel.BaseError, OSError) as exc:
        _fail(str(exc), 1)
    finally:
        logger.removeHandler(handler)
    if status:
        _fail(f"{type(command).__name__} failed", 1)


def _where(templates: Path, catalogs: Path, packaged: bool) -> tuple[Path, Path]:
    return (PACKAGED_TEMPLATES, CATALOG_DIR) if packaged else (templates, catalogs)


def _relative(path: Path) -> str:
    """``path`` relative to the working folder when inside it: portable ``#:`` locations."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@i18n.command()
@_templates_option
@_catalogs_option
@_packaged_option
def extract(templates: Path, catalogs: Path, packaged: bool) -> None:
    """Extract the translatable strings of the templates into <catalogs>/messages.pot."""
    templates, catalogs = _where(templates, catalogs, packaged)
    if not templates.is_dir():
        _fail(f"no template folder {templates} (give --templates DIR)")
    _, problems, _ = template_problems([templates])
    broken = [p for p in problems if "syntax error" in p.detail or "not UTF-8" in p.detail]
    if broken:
        _fail("cannot extract from broken templates:\n" + "\n".join(map(str, broken)), 1)
    catalogs.mkdir(parents=True, exist_ok=True)
    pot = catalogs / f"{DOMAIN}.pot"
    _run_babel(
        _pybabel.ExtractMessages(),
        input_paths=[_relative(templates)],
        output_file=str(pot),
        mapping_file=str(BABEL_CFG),
        project="relationclient" if packaged else None,
        version=__version__ if packaged else None,
        sort_by_file=True,
    )
    click.echo(f"Wrote {pot}")


@i18n.command()
@_catalogs_option
@_locales_option
@_packaged_option
def update(catalogs: Path, locales: tuple[str, ...], packaged: bool) -> None:
    """Merge <catalogs>/messages.pot into each locale's messages.po (creating missing ones)."""
    _, catalogs = _where(Path(), catalogs, packaged)
    pot = catalogs / f"{DOMAIN}.pot"
    if not pot.exists():
        _fail(f"no {pot}: run `relationclient i18n extract` first")
    existing = sorted(p.parent.parent.name for p in catalogs.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    chosen = list(locales) or existing
    if not chosen:
        _fail(f"no catalog in {catalogs} yet: name one with --locale (e.g. --locale fr)")
    for locale in chosen:
        po = catalogs / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        if po.exists():
            _run_babel(
                _pybabel.UpdateCatalog(),
                input_file=str(pot),
                output_dir=str(catalogs),
                locale=locale,
                domain=DOMAIN,
            )
            click.echo(f"Updated {po}")
        else:
            _run_babel(
                _pybabel.InitCatalog(),
                input_file=str(pot),
                output_dir=str(catalogs),
                locale=locale,
                domain=DOMAIN,
            )
            click.echo(f"Created {po}")


@i18n.command(name="compile")
@_catalogs_option
@_locales_option
@_packaged_option
def compile_(catalogs: Path, locales: tuple[str, ...], packaged: bool) -> None:
    """Compile each locale's messages.po into the messages.mo the composer loads."""
    _, catalogs = _where(Path(), catalogs, packaged)
    found = sorted(p.parent.parent.name for p in catalogs.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    chosen = list(locales) or found
    if not chosen:
        _fail(f"no catalog in {catalogs}: run `relationclient i18n update --locale …` first")
    for locale in chosen:
        if locale not in found:
            _fail(f"no {locale} catalog in {catalogs}")
        po = catalogs / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        with po.open("rb") as f:
            header_fuzzy = read_po(f, locale=locale).fuzzy
        if header_fuzzy:
            # Babel would skip it silently, and the composer would not see its strings.
            _fail(
                f"{po} is marked fuzzy as a whole: review it, then delete the `#, fuzzy` "
                "line above its first msgid, and compile again",
                1,
            )
        _run_babel(
            _pybabel.CompileCatalog(),
            directory=str(catalogs),
            locale=locale,
            domain=DOMAIN,
            statistics=True,
        )
        click.echo(f"Compiled {catalogs / locale / 'LC_MESSAGES' / f'{DOMAIN}.mo'}")


# -- outbox, suppressions, events ------------------------------------------------------------
_outbox_option = click.option(
    "--outbox",
    "outbox_url",
    envvar="RELATIONCLIENT_OUTBOX",
    default="sqlite:///relationclient-outbox.sqlite3",
    show_default=True,
    help="The outbox's database: sqlite:///path or postgresql://… (also $RELATIONCLIENT_OUTBOX).",
)
_shop_option = click.option(
    "--shop",
    "shop_id",
    default=None,
    help="The shop's id (Shop.id); default: messages without one.",
)
_channel_choice = click.Choice(["email", "sms"])


def _open_outbox(url: str) -> Any:
    """The outbox at ``url``, or exit with the reason."""
    from .outbox import Outbox

    try:
        return Outbox(url)
    except ConfigurationError as exc:
        _fail(str(exc))


def _facts(title: str, *rows: tuple[str, object]) -> Table:
    """A two-column table of labels and values (escaped), as ``send`` and ``outbox show`` print."""
    table = Table(title=title, box=box.SIMPLE, show_header=False)
    table.add_column(style="bold")
    table.add_column()
    for label, value in rows:
        table.add_row(label, rich_escape(str(value)))
    return table


def _when(instant: Any) -> str:
    return "" if instant is None else instant.isoformat(timespec="seconds")


@main.group(name="outbox")
def outbox_group() -> None:
    """Look into the outbox: an entry, its state and its delivery events."""


@outbox_group.command(name="show")
@click.argument("key")
@_outbox_option
def outbox_show(key: str, outbox_url: str) -> None:
    """Print the entry stored under idempotency KEY and the delivery events recorded for it.

    Exit status: 0 found, 1 no such entry.
    """
    with _open_outbox(outbox_url) as outbox:
        entry = outbox.get(key)
        if entry is None:
            _fail(f"no entry under {key} in {outbox!r}", 1)
        history = outbox.events(key)
    out = _stdout()
    receipt = entry.receipt
    out.print(
        _facts(
            f"Outbox entry {entry.id}",
            ("idempotency key", entry.idempotency_key),
            ("state", entry.state),
            ("channel", entry.channel),
            ("kind", entry.kind),
            ("recipient", entry.recipient),
            ("shop", entry.shop_id or "(none)"),
            ("attempts", entry.attempts),
            ("created at", _when(entry.created_at)),
            ("updated at", _when(entry.updated_at)),
            ("not before", _when(entry.not_before)),
            ("sent by", receipt.transport if receipt else ""),
            ("provider message id", entry.provider_message_id or ""),
            ("last error", entry.last_error or ""),
        )
    )
    if not history:
        out.print("No delivery event recorded.")
        return
    events_table = Table(title="Delivery events", box=box.SIMPLE)
    for column in ("occurred at", "event", "provider", "description"):
        events_table.add_column(column)
    for event in history:
        kind = f"{event.type.value}{' (hard)' if event.hard else ''}"
        events_table.add_row(
            _when(event.occurred_at), kind, event.provider, rich_escape(event.description)
        )
    out.print(events_table)


@main.group()
def suppressions() -> None:
    """A shop's suppression list: who receives no more email or SMS, and why.

    \b
    relationclient suppressions list --shop maison-lumiere.fr
    relationclient suppressions add camille@example.fr --channel email --shop maison-lumiere.fr
    relationclient suppressions remove +33612345678 --channel sms --shop maison-lumiere.fr
    """  # noqa: D301 (\b is click's "do not rewrap this paragraph" mark)


@suppressions.command(name="list")
@_shop_option
@click.option("--channel", type=_channel_choice, default=None, help="Only email, or only SMS.")
@click.option("--recipient", default=None, help="Only the lines about this address or number.")
@click.option("--limit", type=click.IntRange(min=1), default=1000, show_default=True)
@_outbox_option
def suppressions_list(
    shop_id: str | None, channel: str | None, recipient: str | None, limit: int, outbox_url: str
) -> None:
    """Print a shop's suppression list, newest first."""
    with _open_outbox(outbox_url) as outbox:
        lines = outbox.suppressions(shop_id, channel=channel, recipient=recipient, limit=limit)
    out = _stdout()
    if not lines:
        out.print(f"No suppression for {shop_id or 'messages without a shop'}.")
        return
    table = Table(title=f"Suppressions of {shop_id or '(no shop)'}", box=box.SIMPLE)
    for column in ("channel", "recipient", "stops", "reason", "by", "since", "description"):
        table.add_column(column)
    for line in lines:
        table.add_row(
            line.channel,
            rich_escape(line.recipient),
            "everything" if line.scope == "all" else "marketing",
            line.reason,
            line.provider or "hand",
            line.created_at.date().isoformat(),
            rich_escape(line.description),
        )
    out.print(table)


@suppressions.command(name="add")
@click.argument("recipient")
@click.option("--channel", type=_channel_choice, required=True)
@_shop_option
@click.option(
    "--marketing-only",
    is_flag=True,
    help="Stop marketing messages only; transactional ones still go.",
)
@click.option("--reason", default="manual", show_default=True, help="A word for the list.")
@click.option("--note", default="", help="A note kept with the line.")
@_outbox_option
def suppressions_add(
    recipient: str,
    channel: str,
    shop_id: str | None,
    marketing_only: bool,
    reason: str,
    note: str,
    outbox_url: str,
) -> None:
    """Put RECIPIENT (an address or an E.164 number) on a shop's suppression list."""
    with _open_outbox(outbox_url) as outbox:
        line = outbox.suppress(
            recipient,
            channel=channel,
            shop_id=shop_id,
            scope="marketing" if marketing_only else "all",
            reason=reason,
            description=note,
        )
    stops = "marketing" if line.scope == "marketing" else "every message"
    click.echo(
        f"Suppressed {line.recipient} ({line.channel}, {stops}) for "
        f"{shop_id or 'messages without a shop'}: {line.reason}"
    )


@suppressions.command(name="remove")
@click.argument("recipient")
@click.option("--channel", type=_channel_choice, required=True)
@_shop_option
@click.option(
    "--scope",
    type=click.Choice(["all", "marketing"]),
    default=None,
    help="Remove only this line (default: both).",
)
@_outbox_option
def suppressions_remove(
    recipient: str, channel: str, shop_id: str | None, scope: str | None, outbox_url: str
) -> None:
    """Take RECIPIENT off a shop's suppression list.

    Entries it stopped stay suppressed; requeue them to send them.
    Exit status: 0 removed, 1 it was not on the list.
    """
    with _open_outbox(outbox_url) as outbox:
        removed = outbox.unsuppress(recipient, channel=channel, shop_id=shop_id, scope=scope)
    if not removed:
        _fail(f"{recipient} is not on the {channel} suppression list of {shop_id or 'no shop'}", 1)
    click.echo(f"Removed {removed} line(s) for {recipient} ({channel}).")


@main.group(name="events")
def events_group() -> None:
    """Delivery events from providers' webhooks."""


@events_group.command(name="replay")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--provider",
    required=True,
    help="Whose payload it is: postmark, twilio.",
)
@click.option(
    "--content-type",
    default=None,
    help="The body's type (default: JSON if it starts with { or [, else a form).",
)
@_shop_option
@_outbox_option
def events_replay(
    file: Path, provider: str, content_type: str | None, shop_id: str | None, outbox_url: str
) -> None:
    """Record the webhook body saved in FILE, as if the provider had just sent it.

    For a payload kept from a request you trust (a provider's dashboard, a
    log): its signature is not checked. An event already recorded is not
    recorded twice.
    Exit status: 0 recorded, 2 a payload or provider that cannot be read.
    """
    from .errors import WebhookPayloadError
    from .events import parse

    body = file.read_bytes()
    if content_type is None:
        json_like = body.lstrip()[:1] in (b"{", b"[")
        content_type = "application/json" if json_like else "application/x-www-form-urlencoded"
    try:
        found = parse(
            provider,
            headers={"Content-Type": content_type},
            body=body,
            secret=None,
            verify=False,
        )
    except (WebhookPayloadError, ConfigurationError) as exc:
        _fail(str(exc))
    with _open_outbox(outbox_url) as outbox:
        report = outbox.record_events(found, shop_id=shop_id)
    click.echo(
        f"Replayed {len(found)} event(s) from {file}: {report.recorded} recorded, "
        f"{report.duplicates} already there, {report.attached} attached to an entry, "
        f"{report.suppressed} suppression(s) added, {report.lifted} lifted."
    )
