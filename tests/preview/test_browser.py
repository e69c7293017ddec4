"""The preview page in a real browser: the system's Chromium, headless, driven by Playwright.

Every email must fit a 375 px phone screen without horizontal scrolling, Arabic
must be laid out right to left, and the grid must list every kind × locale ×
channel. Screenshots land in ``test-artifacts/preview/`` for people to look at.
Playwright never downloads a browser here: it drives the Chromium found on the
PATH (or named by ``RELATIONCLIENT_CHROMIUM``, see :mod:`tests.services`); without
one these tests skip, naming Debian's package ``chromium`` (they fail under
``RELATIONCLIENT_REQUIRE_SERVICES=1``).
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from relationclient import Kind, samples
from relationclient.preview import PreviewServer

from ..services import require, require_module

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Route

# Playwright comes with the test extra; without it this module skips, naming the extra.
sync_playwright = require_module("playwright.sync_api").sync_playwright

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "preview"
KINDS = [kind.value for kind in Kind]
LOCALES = list(samples.LOCALES)
SCREENSHOTS = [
    ("order_confirmation", "fr"),
    ("order_confirmation", "ar"),
    ("shipment_sent", "fr"),
    ("shipment_sent", "ar"),
    ("delivery_check", "en"),
]


@pytest.fixture(scope="module")
def preview_url() -> Iterator[str]:
    with PreviewServer(port=0) as server:
        yield server.url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = require("chromium")  # Playwright's own browser downloads are not used
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


def offline(browser: Browser, preview_url: str, width: int, height: int) -> BrowserContext:
    """A browser context that reaches the preview server only (the shop's logo URL is not)."""
    context = browser.new_context(viewport={"width": width, "height": height})

    def local_only(route: Route) -> None:
        if route.request.url.startswith(preview_url):
            route.continue_()
        else:
            route.abort("internetdisconnected")

    context.route("**/*", local_only)
    return context


@pytest.fixture(scope="module")
def grid(browser: Browser, preview_url: str) -> Iterator[Page]:
    """The preview grid, every frame loaded and fitted to its content's height."""
    context = offline(browser, preview_url, 1600, 1000)
    page = context.new_page()
    page.goto(preview_url, wait_until="load", timeout=30_000)
    yield page
    context.close()


@pytest.fixture(scope="module")
def artifacts() -> Path:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


def _phone_frames(grid: Page) -> dict[tuple[str, str], dict[str, object]]:
    """What each phone-width frame measures: widths, direction, alignment of the content."""
    measures: dict[tuple[str, str], dict[str, object]] = {}
    for element in grid.query_selector_all("iframe.phone"):
        kind, locale = element.evaluate(
            "e => [e.closest('[data-kind]').dataset.kind, e.closest('[data-kind]').dataset.locale]"
        )
        frame = element.content_frame()
        assert frame is not None, f"{kind}/{locale}: the phone frame has no document"
        measures[kind, locale] = frame.evaluate(
            """() => {
                const root = document.documentElement;
                const content = document.querySelector('td.content');
                const heading = content && content.querySelector('h1');
                const style = (e) => e ? getComputedStyle(e) : null;
                return {
                    innerWidth: window.innerWidth,
                    scrollWidth: root.scrollWidth,
                    clientWidth: root.clientWidth,
                    bodyScrollWidth: document.body.scrollWidth,
                    direction: style(root).direction,
                    dirAttribute: root.getAttribute('dir'),
                    contentAlign: content ? style(content).textAlign : null,
                    headingAlign: heading ? style(heading).textAlign : null,
                    headingRightGap: heading && content
                        ? Math.round(content.getBoundingClientRect().right
                                     - heading.getBoundingClientRect().right)
                        : null,
                    wide: [...document.querySelectorAll('body *')]
                        .filter(e => e.getBoundingClientRect().right > root.clientWidth + 0.5)
                        .slice(0, 3)
                        .map(e => e.tagName + '.' + e.className + ': '
                                  + (e.textContent || '').trim().slice(0, 60)),
                };
            }"""
        )
    return measures


def test_grid_lists_every_kind_locale_and_channel(grid: Page) -> None:
    shown = grid.eval_on_selector_all(
        "main [data-channel]",
        "els => els.map(e => [e.dataset.kind, e.dataset.locale, e.dataset.channel])",
    )
    expected = set(itertools.product(KINDS, LOCALES, ["email", "sms"]))
    assert {tuple(x) for x in shown} == expected
    assert len(shown) == len(expected)
    assert grid.locator("nav tr").count() == 1 + len(KINDS)
    # Each email is shown at both widths, with its text part and size; each SMS with its cost.
    assert grid.locator("iframe.phone").count() == len(KINDS) * len(LOCALES)
    assert grid.locator("iframe.desktop").count() == len(KINDS) * len(LOCALES)
    assert grid.locator("pre.text").count() == len(KINDS) * len(LOCALES)
    assert grid.locator("main .error").count() == 0
    sms_meta = grid.locator('[data-kind="shipment_sent"][data-locale="fr"][data-channel="sms"]')
    assert "GSM-7" in sms_meta.inner_text()
    assert "1 segment" in sms_meta.inner_text()
    assert "clip limit" in grid.locator('[data-channel="email"] .meta').first.inner_text()


def test_every_email_fits_a_phone_without_horizontal_scroll(grid: Page) -> None:
    measures = _phone_frames(grid)
    assert set(measures) == set(itertools.product(KINDS, LOCALES))
    overflowing = {
        f"{kind}/{locale}": m
        for (kind, locale), m in measures.items()
        if int(str(m["scrollWidth"])) > int(str(m["clientWidth"]))
    }
    assert not overflowing, f"emails wider than a 375 px phone: {overflowing}"
    for m in measures.values():
        assert m["innerWidth"] == 375  # the frame really is phone-width


def test_arabic_is_laid_out_right_to_left(grid: Page) -> None:
    measures = _phone_frames(grid)
    for kind in KINDS:
        arabic, french = measures[kind, "ar"], measures[kind, "fr"]
        assert arabic["dirAttribute"] == "rtl", kind
        assert arabic["direction"] == "rtl", kind
        assert arabic["contentAlign"] == "right", kind
        assert arabic["headingAlign"] == "right", kind
        # The greeting hugs the right edge of the content cell (its padding aside).
        assert 0 <= int(str(arabic["headingRightGap"])) <= 40, (kind, arabic)
        assert french["direction"] == "ltr", kind
        assert french["contentAlign"] == "left", kind


def test_screenshots_of_phone_and_desktop(
    browser: Browser, preview_url: str, grid: Page, artifacts: Path
) -> None:
    for width, label in ((375, "phone"), (600, "desktop")):
        context = offline(browser, preview_url, width, 800)
        page = context.new_page()
        for kind, locale in SCREENSHOTS:
            page.goto(f"{preview_url}email/{kind}/{locale}.html", wait_until="load")
            path = artifacts / f"{kind}.{locale}.{label}.png"
            page.screenshot(path=str(path), full_page=True)
            assert path.stat().st_size > 3_000
        context.close()
    grid.screenshot(path=str(artifacts / "grid.png"))
    assert len(list(artifacts.glob("*.png"))) == 2 * len(SCREENSHOTS) + 1


def test_demo_index_opens_in_the_browser(browser: Browser, tmp_path: Path) -> None:
    """The README's main job: ``relationclient demo`` writes an index a browser opens."""
    from click.testing import CliRunner

    from relationclient.cli import main

    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    index = tmp_path / "index.html"
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith("file://")
            else route.abort("internetdisconnected")
        ),
    )
    page = context.new_page()
    try:
        page.goto(index.as_uri())
        links = page.locator("a")
        assert links.count() == len(KINDS) * len(LOCALES)
        page.screenshot(path=str(_artifact("demo-index.png")), full_page=False)
        with page.expect_navigation():
            page.get_by_text("Commande n° ML-2026-10482 confirmée").first.click()
        assert page.url.endswith("/html/order_confirmation.fr.html")
        assert "ML-2026-10482" in page.inner_text("body")
    finally:
        context.close()


def _artifact(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name
