"""The ``relationclient`` command line (also ``python -m relationclient``)."""

from __future__ import annotations

import html
import json
import sys
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress

from . import samples
from .composer import Composer
from .errors import RelationClientError
from .messages import Email, Kind, Sms
from .models import Shop
from .transports.maildir import MaildirTransport

__all__ = ["main"]

_console = Console(stderr=True)


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
    composer = Composer(samples.shop())
    out.mkdir(parents=True, exist_ok=True)
    previews = out / "html"
    previews.mkdir(exist_ok=True)
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
    click.echo(f"Delivered {len(rows)} emails and {len(rows)} SMS.")
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
def render(kind: str, locale: str | None, channel: str, data: Any, fmt: str) -> None:
    """Render one message from the shop's own JSON data."""
    try:
        payload = json.load(data)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--data") from exc
    if not isinstance(payload, dict) or "shop" not in payload:
        raise click.BadParameter('needs an object with a "shop" key', param_hint="--data")
    try:
        composer = Composer(Shop.model_validate(payload.pop("shop")))
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
