"""List the fields of pydantic models in their autodoc entry.

Pydantic keeps a model's fields out of the class namespace, so plain autodoc
shows none of them. This extension appends a "Fields" list (name, type,
default) to the docstring of every pydantic model that autodoc documents.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined
from sphinx.application import Sphinx


def _type_name(annotation: Any) -> str:
    """A readable name for an annotation: ``Address | None``, ``tuple[OrderLine, ...]``."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in args)
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in args)
    if annotation is type(None):
        return "None"
    if annotation is Ellipsis:
        return "..."
    if origin is not None:
        inner = ", ".join(_type_name(a) for a in args)
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    return getattr(annotation, "__name__", repr(annotation))


def _default(field: Any) -> str | None:
    if field.default is not PydanticUndefined:
        return repr(field.default)
    if field.default_factory is not None:
        return f"{field.default_factory.__name__}()"
    return None


def add_fields(app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    """Append the model's fields to its docstring lines."""
    if what != "class" or not isinstance(obj, type) or not issubclass(obj, BaseModel):
        return
    fields = obj.model_fields
    if not fields:
        return
    lines += ["", ".. rubric:: Fields", ""]
    for field_name, field in fields.items():
        kind = _type_name(field.annotation)
        default = _default(field)
        suffix = " — required" if default is None else f" — default ``{default}``"
        lines.append(f"* ``{field_name}``: ``{kind}``{suffix}")
    lines.append("")


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the docstring hook."""
    app.connect("autodoc-process-docstring", add_fields)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
