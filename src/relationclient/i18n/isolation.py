"""Values kept whole in running text: phones, order and tracking numbers, amounts, addresses.

In a right-to-left sentence the Unicode bidi algorithm reorders the runs of
a left-to-right value: ``+33 4 78 12 34 56`` prints as ``56 34 12 78 4 33+``
and ``ML-2026-10482`` splits at its hyphens. An :class:`Isolated` value keeps
such a value in one piece wherever a template prints it — in a table cell,
the contact block or the middle of a translated sentence:

* as a string (text parts, SMS, subjects) it is the value itself in a
  left-to-right message, and the value between a directional isolate
  (U+2066 LRI or U+2067 RLI) and U+2069 PDI in a right-to-left one;
* in HTML (``__html__``, which Jinja's autoescape and ``Markup``'s ``%``
  formatting call — so ``{{ _("Order %(number)s", number=o.number) }}``
  gets it too) it is the escaped bare value in
  ``<span dir="ltr" class="ltr">`` (``dir="rtl" class="rtl"`` for an amount
  formatted by a right-to-left locale), with ``white-space: nowrap`` for
  values that must never break across lines (phones, numbers, amounts), in
  every language. The style is written on the span itself: the stylesheet is
  inlined into the templates' own markup when they load, never into values.

:attr:`Isolated.plain` is the bare value, for HTML attributes and URLs
(``href="tel:…"``, a ``mailto:`` subject), where a span or an invisible
mark does not belong; the ``plain`` Jinja filter gives it for any value.
"""

from __future__ import annotations

from typing import Any, Literal

from markupsafe import Markup, escape

__all__ = ["Isolated", "isolate", "plain"]

Direction = Literal["ltr", "rtl"]

#: The isolate that opens a value of each direction (LRI, RLI); PDI closes both.
_OPEN = {"ltr": "\u2066", "rtl": "\u2067"}
_CLOSE = "\u2069"
_NOWRAP = ' style="white-space: nowrap;"'


class Isolated(str):
    """A value printed whole in text of either direction; see the module documentation.

    The string is the value as a text part prints it (with the isolate marks
    in a right-to-left message). Build one with :func:`isolate`, or with
    :meth:`Formatter.money <relationclient.i18n.Formatter.money>`,
    :meth:`~relationclient.i18n.Formatter.phone` and
    :meth:`~relationclient.i18n.Formatter.ltr`.

    Attributes:
        plain: The bare value, without marks: for attributes and URLs.
        direction: ``"ltr"`` or ``"rtl"``: the value's own direction (the
            ``dir`` of its HTML span). Order numbers, phones and email
            addresses are left to right; an amount runs in the direction of
            the locale that formatted it.
        nowrap: Whether the HTML keeps the value on one line.
    """

    plain: str
    direction: Direction
    nowrap: bool

    def __html__(self) -> str:
        """The bare value, escaped, in a ``<span dir="…" class="…">`` (one line when ``nowrap``)."""
        direction, style = self.direction, _NOWRAP if self.nowrap else ""
        return f'<span dir="{direction}" class="{direction}"{style}>{escape(self.plain)}</span>'

    def __repr__(self) -> str:
        return f"Isolated({self.plain!r}, direction={self.direction!r})"


def isolate(
    value: Any, *, rtl: bool, direction: Direction = "ltr", nowrap: bool = True
) -> Isolated:
    """``value`` (made a string) as an :class:`Isolated` value.

    Args:
        value: The value as formatted for the reader (an :class:`Isolated`
            value is taken bare and isolated again).
        rtl: Whether the text around it runs right to left: then its string
            carries the isolate marks.
        direction: The value's own direction.
        nowrap: Keep it on one line in HTML.

    Raises:
        ValueError: ``direction`` is neither ``"ltr"`` nor ``"rtl"``.
    """
    if direction not in _OPEN:
        raise ValueError(f"direction must be 'ltr' or 'rtl', not {direction!r}")
    bare = plain(value)
    result = Isolated(f"{_OPEN[direction]}{bare}{_CLOSE}" if rtl else bare)
    result.plain = bare
    result.direction = direction
    result.nowrap = nowrap
    return result


def plain(value: Any) -> str:
    """The bare text of ``value``: an :class:`Isolated` value's :attr:`~Isolated.plain`.

    Also the ``plain`` Jinja filter, for values in HTML attributes and URLs
    (``href="tel:{{ phone|plain }}"``). Markup stays markup; anything else is
    made a string.
    """
    if isinstance(value, Isolated):
        return value.plain
    if isinstance(value, Markup):
        return value
    return str(value)
