"""The shop's look: colours, logo and fonts applied to every email."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from ..models._types import HttpUrl, Model

__all__ = ["Theme"]


def _css_color(value: str) -> str:
    if not re.fullmatch(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?|[a-zA-Z]{3,20}", value):
        raise PydanticCustomError(
            "css_color", "'{value}' is not a CSS colour (#1a2b3c)", {"value": value}
        )
    return value


def _font_stack(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9 ,'\"-]+", value):
        raise PydanticCustomError(
            "font_stack", "font_stack may hold font names, commas and quotes only"
        )
    return value


Color = Annotated[str, AfterValidator(_css_color)]


class Theme(Model):
    """Brand colours, logo and font stack for the email layout.

    Values go into CSS, so they are checked strictly: a colour is ``#rgb``,
    ``#rrggbb`` or a CSS colour name; the font stack holds names only.
    ``logo_url`` overrides the shop's logo.
    """

    brand_color: Color = "#8a5a2b"
    text_color: Color = "#222222"
    muted_color: Color = "#6b6b6b"
    background_color: Color = "#f4f1ec"
    notice_color: Color = "#faf7f2"
    button_text_color: Color = "#ffffff"
    font_stack: Annotated[str, AfterValidator(_font_stack)] = (
        "-apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
    )
    logo_url: HttpUrl | None = None
    logo_width: Annotated[int, Field(gt=0, le=600)] = 160
