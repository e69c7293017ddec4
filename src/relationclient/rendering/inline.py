"""CSS inlining with premailer: styles onto elements, media queries kept in ``<style>``."""

from __future__ import annotations

import logging

import premailer

__all__ = ["inline_css"]

_QUIET = logging.CRITICAL


def inline_css(html: str) -> str:
    """Move the ``<style>`` rules of ``html`` onto its elements, as email clients need.

    Rules premailer cannot inline (``@media`` queries for phones) stay in a
    ``<style>`` block; classes are kept so those queries still apply. Nothing is
    fetched from the network.
    """
    return str(
        premailer.Premailer(
            html,
            remove_classes=False,
            keep_style_tags=False,
            strip_important=False,
            allow_network=False,
            disable_validation=True,
            cssutils_logging_level=_QUIET,
            cache_css_parsing=True,
        ).transform(pretty_print=False)
    )
