"""Regenerate the email pictures in ``docs/_static/screenshots/`` (a maintainer's tool).

One command, from the repository's root, in the development environment::

    python docs/_tools/make_screenshots.py [--chromium PATH]

It runs ``relationclient demo`` into a temporary folder, then photographs the
HTML emails with headless Chromium (Debian's ``chromium`` package, found on the
PATH, driven by Playwright), each the whole page, light colour scheme:

* every kind in French at 600 px: ``<kind>.fr.png`` (the message pages show these);
* every kind in French and Arabic at 375 px, a phone: ``phone/<kind>.<locale>.png``;
* ``order_confirmation`` and ``order_delayed`` in French and Arabic at 375 and
  800 px: ``after/<kind>.<locale>.<width>.png``, the "after" half of the
  before/after comparison on the docs' "Look" page.

The "before" half is the same four kinds × locales × widths rendered by the code
of an older git revision (extracted with ``git archive`` into a temporary folder,
the working tree untouched)::

    python docs/_tools/make_screenshots.py --before cc8df9a

The sample shop's logo URL points at a site that does not exist, so requests for
it are answered with a small local wordmark, and any other image (a line item's
thumbnail) with a plain grey square; nothing is fetched from the network.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from playwright.sync_api import Page, Route, sync_playwright

from relationclient import Kind, samples

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "_static" / "screenshots"
DOCS_WIDTH = 600
PHONE_WIDTH = 375
PHONE_LOCALES = ("fr", "ar")
COMPARED_KINDS = ("order_confirmation", "order_delayed")
COMPARED_LOCALES = ("fr", "ar")
COMPARED_WIDTHS = (375, 800)
LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="60" viewBox="0 0 320 60">'
    '<text x="0" y="42" font-family="Georgia, serif" font-size="34" fill="#8a5a2b">'
    "Maison Lumière</text></svg>"
)
THUMBNAIL = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96">'
    '<rect width="96" height="96" fill="#e4ded6"/></svg>'
)

# One picture to take: the demo's HTML file of (kind, locale) at a width, into a file.
Shot = tuple[str, str, int, Path]


def docs_shots() -> list[Shot]:
    """The pictures the docs show, and the "after" half of the comparison."""
    shots: list[Shot] = [
        (kind.value, "fr", DOCS_WIDTH, OUT / f"{kind.value}.fr.png") for kind in Kind
    ]
    shots += [
        (kind.value, locale, PHONE_WIDTH, OUT / "phone" / f"{kind.value}.{locale}.png")
        for kind in Kind
        for locale in PHONE_LOCALES
    ]
    return shots + compared_shots("after")


def compared_shots(folder: str) -> list[Shot]:
    """The before/after comparison's pictures, into ``folder``."""
    return [
        (kind, locale, width, OUT / folder / f"{kind}.{locale}.{width}.png")
        for kind in COMPARED_KINDS
        for locale in COMPARED_LOCALES
        for width in COMPARED_WIDTHS
    ]


def render_demo(out: Path, source: Path | None) -> None:
    """Run ``relationclient demo --out out``, with the package from ``source`` if given."""
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
    subprocess.run(
        [sys.executable, "-m", "relationclient", "demo", "--out", str(out)], check=True, env=env
    )


def extract_source(revision: str, into: Path) -> Path:
    """The ``src`` folder of git ``revision``, extracted under ``into``; returns its path."""
    archive = into / "src.tar"
    with archive.open("wb") as handle:
        subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", revision, "src"],
            check=True,
            stdout=handle,
        )
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def photograph(browser_path: str, demo: Path, shots: list[Shot]) -> None:
    """Take every shot of the demo in ``demo`` with one headless Chromium."""
    logo_url = samples.shop().logo_url

    def serve(route: Route) -> None:
        request = route.request
        if request.url == logo_url:
            route.fulfill(status=200, content_type="image/svg+xml", body=LOGO)
        elif request.resource_type == "image":
            route.fulfill(status=200, content_type="image/svg+xml", body=THUMBNAIL)
        else:
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=browser_path,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        pages: dict[int, Page] = {}
        for kind, locale, width, target in shots:
            if width not in pages:
                pages[width] = browser.new_page(
                    viewport={"width": width, "height": 800}, color_scheme="light"
                )
                pages[width].route("http*://**/*", serve)
            page = pages[width]
            page.goto((demo / "html" / f"{kind}.{locale}.html").as_uri(), wait_until="load")
            page.evaluate("document.fonts.ready.then(() => true)")
            target.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(target), full_page=True)
            print(f"{target.relative_to(ROOT)} ({target.stat().st_size // 1024} KB)")
        browser.close()


def main() -> int:
    """Render the demo (of this tree, or of ``--before REV``) and write the PNGs."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--chromium", help="the browser (default: chromium on the PATH)")
    parser.add_argument(
        "--before",
        metavar="REV",
        help="write only before/: the comparison's pictures from git revision REV's code",
    )
    args = parser.parse_args()
    browser_path = args.chromium or next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
    )
    if browser_path is None:
        parser.error("no Chromium found on the PATH: apt-get install chromium, or pass --chromium")
    with tempfile.TemporaryDirectory() as tmp:
        demo = Path(tmp) / "demo"
        if args.before:
            render_demo(demo, extract_source(args.before, Path(tmp)))
            shots = compared_shots("before")
        else:
            render_demo(demo, None)
            shots = docs_shots()
        photograph(browser_path, demo, shots)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
