"""CSS inlining with premailer: styles onto elements, media queries kept in ``<style>``.

Two ways, one result. :func:`inline_css` inlines a finished message — simple,
and the reference. :func:`inline_template` inlines a *template* once, when it
is loaded: Jinja syntax is set aside behind placeholders, premailer applies the
stylesheet to the static markup, and the syntax is put back. Every message
rendered from that template then comes out already inlined, at no cost per
message. This works because the stylesheet only uses selectors whose elements
and ancestors sit in the same template file (tags and classes, no ``.footer a``
across a macro boundary); the tests compare both ways element by element.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

__all__ = ["STYLESHEET_INCLUDE", "inline_css", "inline_template"]

#: How ``email/base.html`` pulls the stylesheet into its ``<style>`` element.
STYLESHEET_INCLUDE = '{% include "email/styles.css" %}'

_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_PLACEHOLDER = re.compile(r"rcjinja(\d{5})x")
_FRAGMENT_OPEN = '<div id="rcjinjafragment">'
_FRAGMENT = re.compile(r'<div id="rcjinjafragment">(.*)</div>\s*</body>', re.DOTALL)


def _premailer(html: str) -> str:
    # Imported on first use: premailer (with cssutils and lxml) is most of the
    # cost of importing relationclient, and only loading a template needs it.
    import premailer

    return str(
        premailer.Premailer(
            html,
            remove_classes=False,
            keep_style_tags=False,
            strip_important=False,
            allow_network=False,
            disable_validation=True,
            cssutils_logging_level=logging.CRITICAL,
            cache_css_parsing=True,
        ).transform(pretty_print=False)
    )


def inline_css(html: str) -> str:
    """Move the ``<style>`` rules of a finished ``html`` message onto its elements.

    Rules premailer cannot inline (``@media`` queries for phones) stay in a
    ``<style>`` block; classes are kept so those queries still apply. Nothing is
    fetched from the network.
    """
    return _premailer(html)


@lru_cache(maxsize=512)
def inline_template(source: str, stylesheet: str) -> str:
    """Inline ``stylesheet`` into the static markup of a Jinja HTML template ``source``.

    A whole document (``email/base.html``) gets the stylesheet in place of its
    ``{% include "email/styles.css" %}``; a fragment (a kind's blocks, the
    macros) is inlined inside a throw-away document and taken out again.
    """
    tokens: list[str] = []

    def protect(match: re.Match[str]) -> str:
        if match.group(0) == STYLESHEET_INCLUDE:
            return stylesheet
        tokens.append(match.group(0))
        return f"rcjinja{len(tokens) - 1:05d}x"

    protected = _JINJA.sub(protect, source)
    document = "<html" in protected[:2000].lower()
    if document:
        head, sep, rest = protected.partition("<!DOCTYPE html>")
        prefix = head + sep if sep else ""
        body = rest if sep else protected
        inlined = prefix + "\n" + _premailer(body).strip()
    else:
        wrapped = (
            f"<html><head><style>{stylesheet}</style></head>"
            f"<body>{_FRAGMENT_OPEN}{protected}</div></body></html>"
        )
        match = _FRAGMENT.search(_premailer(wrapped))
        if match is None:  # pragma: no cover - premailer always returns the body
            raise ValueError("template fragment lost while inlining CSS")
        inlined = match.group(1)
    return _PLACEHOLDER.sub(lambda m: tokens[int(m.group(1))], inlined)
