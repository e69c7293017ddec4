"""The shop's unsubscribe endpoint: where a marketing email's List-Unsubscribe link leads.

When the reader presses "Unsubscribe" in Gmail, Yahoo or Apple Mail, the mail
client POSTs ``List-Unsubscribe=One-Click`` to the link (RFC 8058): the
endpoint verifies the token and opts the reader out at once — no login, no
cookie, no confirmation. A person who clicks the link in the email's footer
arrives with a GET: they get a page with a button making the same POST (a GET
never unsubscribes anybody: mail scanners open links).

``unsubscribe_app`` is a plain WSGI application (serve it with any WSGI
server, or route to it from your framework); it needs nothing beyond
relationclient. Run as a script, it serves on 127.0.0.1 and plays the mail
client and the reader against itself.
"""

from __future__ import annotations

import html
import os
import threading
from collections.abc import Callable, Iterable
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

import httpx

import relationclient as rc
from relationclient import samples
from relationclient.unsubscribe import Unsubscription, verify

# -- the endpoint ------------------------------------------------------------------------


def one_click(environ: WSGIEnvironment) -> bool:
    """Whether the POST's body is RFC 8058's ``List-Unsubscribe=One-Click``.

    Mail clients send it as a form, URL-encoded or multipart.
    """
    length = min(int(environ.get("CONTENT_LENGTH") or 0), 10_000)
    body = environ["wsgi.input"].read(length)
    content_type = environ.get("CONTENT_TYPE", "")
    if content_type.startswith("multipart/form-data"):
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        form = BytesParser(policy=HTTP).parsebytes(head + body)
        fields = {
            part.get_param("name", header="content-disposition"): part.get_payload()
            for part in form.iter_parts()
        }
    else:
        fields = {name: values[0] for name, values in parse_qs(body.decode()).items()}
    return str(fields.get("List-Unsubscribe", "")).strip() == "One-Click"


def unsubscribe_app(
    *, secret: str, shop_id: str, record_opt_out: Callable[[Unsubscription], None]
) -> WSGIApplication:
    """The endpoint at ``unsubscribe_url``: the token in its ``token`` query parameter."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        def page(status: str, title: str, body: str) -> list[bytes]:
            content = (
                f'<!DOCTYPE html><html lang="en"><meta charset="utf-8">'
                f"<title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>{body}"
            ).encode()
            start_response(status, [("Content-Type", "text/html; charset=utf-8")])
            return [content]

        token = parse_qs(environ.get("QUERY_STRING", "")).get("token", [""])[0]
        try:
            opt_out = verify(token, secret=secret, shop_id=shop_id)
        except rc.UnsubscribeTokenError as exc:
            # Forged, altered, expired or another shop's: nobody is unsubscribed.
            reason = "has expired" if exc.reason == "expired" else "is not valid"
            return page(
                "400 Bad Request",
                "This link " + reason,
                "<p>Unsubscribe from your account settings, or reply to our email.</p>",
            )
        method = environ["REQUEST_METHOD"]
        if method == "POST":
            if not one_click(environ):
                return page("400 Bad Request", "Unexpected request", "")
            record_opt_out(opt_out)
            return page(
                "200 OK",
                "You are unsubscribed",
                f"<p>{html.escape(opt_out.recipient)} will receive no more offers.</p>",
            )
        if method in ("GET", "HEAD"):
            # The same URL, POSTed by a button: the token stays in the query string.
            return page(
                "200 OK",
                "Unsubscribe from our offers?",
                f"<p>{html.escape(opt_out.recipient)} will receive no more offers.</p>"
                '<form method="post"><input type="hidden" name="List-Unsubscribe" '
                'value="One-Click"><button>Unsubscribe</button></form>',
            )
        return page("405 Method Not Allowed", "Method not allowed", "")

    return app


# -- the shop's side -----------------------------------------------------------------------

opted_out: list[str] = []


def record_opt_out(opt_out: Unsubscription) -> None:
    """The shop's own bookkeeping: here a list; in a shop, marketing_consent=False."""
    opted_out.append(opt_out.recipient)


class QuietHandler(WSGIRequestHandler):
    """No access log on the terminal."""

    def log_message(self, format: str, *args: object) -> None:
        pass


# -- a run against itself -------------------------------------------------------------------

if __name__ == "__main__":
    # The same secret signs (composer) and verifies (endpoint); keep it out of the code.
    secret = os.environ.get("UNSUBSCRIBE_SECRET", samples.UNSUBSCRIBE_SECRET)
    shop = samples.shop()
    assert shop.id is not None
    app = unsubscribe_app(secret=secret, shop_id=shop.id, record_opt_out=record_opt_out)
    server = make_server("127.0.0.1", 0, app, handler_class=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_port}/desinscription?token={{token}}"
    try:
        composer = rc.Composer(shop, unsubscribe_url=endpoint, unsubscribe_secret=secret)
        email = composer.email("delivery_check", **samples.context("delivery_check", "fr"))
        link = email.headers["List-Unsubscribe"].split(">")[0].removeprefix("<")
        print(f"List-Unsubscribe-Post: {email.headers['List-Unsubscribe-Post']}")

        with httpx.Client(timeout=10) as client:
            shown = client.get(link)
            asked = "Unsubscribe from our offers?" in shown.text
            print(
                f"GET (a reader's click): {shown.status_code}, asks first: {asked}, "
                f"opted out: {opted_out}"
            )

            # What Gmail does when the reader presses "Unsubscribe".
            clicked = client.post(link, data={"List-Unsubscribe": "One-Click"})
            print(f"One-click POST: {clicked.status_code}, opted out: {opted_out}")

            german = composer.email("delivery_check", **samples.context("delivery_check", "de"))
            other = german.headers["List-Unsubscribe"].split(">")[0].removeprefix("<")
            multipart = client.post(other, files={"List-Unsubscribe": (None, "One-Click")})
            print(f"Multipart POST: {multipart.status_code}, opted out: {len(opted_out)}")

            altered = link.replace("token=", "token=x")
            forged = client.post(altered, data={"List-Unsubscribe": "One-Click"})
            print(f"Altered token: {forged.status_code}, opted out: {len(opted_out)}")
    finally:
        server.shutdown()
        server.server_close()
