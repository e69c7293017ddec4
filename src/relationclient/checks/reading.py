"""Reading a rendered message as its reader does: whitespace squashed, hidden parts left out."""

from __future__ import annotations

import html as htmllib
import re
from html.parser import HTMLParser


def squash(text: str) -> str:
    """``text`` with every run of whitespace (no-break spaces included) made one space.

    A value that a template wraps over lines or pads into columns still matches.
    Narrow no-break spaces (French thousands) are whitespace too, so both sides
    of a comparison must be squashed.
    """
    return re.sub(r"\s+", " ", text).strip()


_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_INVISIBLE = frozenset({"head", "style", "script", "title", "template"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden")


class _VisibleText(HTMLParser):
    """Collects what a reader sees or clicks: text outside hidden elements, and link targets."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, hidden)

    @property
    def _hidden(self) -> bool:
        return bool(self._stack) and self._stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        hidden = (
            self._hidden
            or tag in _INVISIBLE
            or "hidden" in values
            or bool(_HIDDEN_STYLE.search(values.get("style", "").lower()))
        )
        if not hidden:
            if tag == "a" and values.get("href"):
                self.parts.append(f" {values['href']} ")
            if tag == "img" and values.get("alt"):
                self.parts.append(f" {values['alt']} ")
            self.parts.append(" ")
        if tag not in _VOID:
            self._stack.append((tag, hidden))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._stack) - 1, -1, -1):
            if self._stack[depth][0] == tag:
                del self._stack[depth:]
                break
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """What a reader of an HTML email sees or clicks, whitespace squashed.

    Text outside ``<head>``, ``<style>`` and hidden elements (``display: none``,
    as the preheader is), plus the target of every link and the ``alt`` of
    every image. A must-show item hidden in the preheader is not shown.
    """
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return squash(htmllib.unescape("".join(parser.parts)))
