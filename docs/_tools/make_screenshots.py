"""Regenerate the email pictures in ``docs/_static/screenshots/`` (a maintainer's tool).

Runs ``relationclient demo`` into a temporary folder, then photographs the
French HTML email of every kind with headless Chromium (Debian's ``chromium``
package, found on the PATH, driven by Playwright), 600 px wide, the whole page.

The sample shop's logo URL points at a site that does not exist, so requests
for it are answered with a small local wordmark; nothing else is fetched.

Usage::

    python docs/_tools/make_screenshots.py [--chromium PATH]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Route, sync_playwright

from relationclient import Kind, samples

OUT = Path(__file__).resolve().parent.parent / "_static" / "screenshots"
LOCALE = "fr"
LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="60" viewBox="0 0 320 60">'
    '<text x="0" y="42" font-family="Georgia, serif" font-size="34" fill="#8a5a2b">'
    "Maison Lumière</text></svg>"
)


def main() -> int:
    """Render the demo and write one PNG per kind."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", help="the browser (default: chromium on the PATH)")
    args = parser.parse_args()
    browser_path = args.chromium or next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
    )
    if browser_path is None:
        parser.error("no Chromium found on the PATH: apt-get install chromium, or pass --chromium")
    OUT.mkdir(parents=True, exist_ok=True)
    logo_url = samples.shop().logo_url
    with tempfile.TemporaryDirectory() as tmp:
        demo = Path(tmp) / "demo"
        subprocess.run(
            [sys.executable, "-m", "relationclient", "demo", "--out", str(demo)], check=True
        )

        def serve(route: Route) -> None:
            if route.request.url == logo_url:
                route.fulfill(status=200, content_type="image/svg+xml", body=LOGO)
            else:
                route.abort()

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=browser_path,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page(viewport={"width": 600, "height": 800})
            page.route("http*://**/*", serve)
            for kind in Kind:
                source = demo / "html" / f"{kind.value}.{LOCALE}.html"
                target = OUT / f"{kind.value}.{LOCALE}.png"
                page.goto(source.as_uri())
                page.screenshot(path=str(target), full_page=True)
                print(f"{target} ({target.stat().st_size // 1024} KB)")
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
