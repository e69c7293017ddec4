"""Jinja environments: packaged templates, shop overrides, merchant edits in a sandbox.

One environment per locale (its gettext catalog installed, new-style), with:

* ``StrictUndefined`` — a missing variable is an error, never an empty string;
* autoescape for ``.html`` templates only — text and SMS are not HTML-escaped;
* a ``ChoiceLoader`` — the shop's template directories first, the packaged
  templates last, and the packaged ones also reachable as
  ``relationclient/<name>`` so a shop template can ``{% extends %}`` the
  packaged template of the same name and override single blocks;
* for templates a merchant edits at run time (strings from a database), a
  :class:`~jinja2.sandbox.SandboxedEnvironment` with those strings loaded first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from babel.support import NullTranslations
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from ..errors import RenderError

__all__ = ["PACKAGED_TEMPLATES", "build_environment", "packaged_template_names", "render_errors"]

#: Where relationclient's own templates live.
PACKAGED_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

T = TypeVar("T")


def packaged_template_names() -> list[str]:
    """Names of the packaged templates (``email/order_confirmation.html``…), sorted."""
    return sorted(
        path.relative_to(PACKAGED_TEMPLATES).as_posix()
        for path in PACKAGED_TEMPLATES.rglob("*")
        if path.is_file() and path.suffix in (".html", ".txt")
    )


def build_environment(
    translations: NullTranslations,
    template_dirs: Sequence[str | Path] = (),
    merchant_templates: Mapping[str, str] | None = None,
) -> jinja2.Environment:
    """An environment for one locale; sandboxed when ``merchant_templates`` are given."""
    packaged = jinja2.FileSystemLoader(PACKAGED_TEMPLATES)
    loaders: list[jinja2.BaseLoader] = []
    if merchant_templates:
        loaders.append(jinja2.DictLoader(dict(merchant_templates)))
    loaders += [jinja2.FileSystemLoader(str(d)) for d in template_dirs]
    loaders += [packaged, jinja2.PrefixLoader({"relationclient": packaged})]
    cls = SandboxedEnvironment if merchant_templates else jinja2.Environment
    env = cls(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(["html"], default_for_string=False),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        auto_reload=False,
        cache_size=-1,
    )
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    return env


@contextmanager
def render_errors(template: str) -> Iterator[None]:
    """Turn Jinja's errors inside the block into :class:`RenderError` naming template and line."""
    try:
        yield
    except jinja2.TemplateSyntaxError as exc:
        name = exc.name or exc.filename or template
        raise RenderError(
            f"syntax error in template {name!r}, line {exc.lineno}: {exc.message}",
            template=name,
            lineno=exc.lineno,
        ) from exc
    except SecurityError as exc:
        raise RenderError(
            f"template {template!r} tried an unsafe operation and was stopped: {exc}",
            template=template,
        ) from exc
    except jinja2.UndefinedError as exc:
        raise RenderError(
            f"template {template!r} uses a missing variable: {exc.message}", template=template
        ) from exc
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"template {exc.name!r} not found", template=template) from exc
    except jinja2.TemplateError as exc:
        raise RenderError(f"template {template!r} failed: {exc}", template=template) from exc


def render_block(env: jinja2.Environment, name: str, block: str, context: Mapping[str, Any]) -> str:
    """Render one ``{% block %}`` of template ``name`` alone (subjects, preheaders)."""
    with render_errors(name):
        template = env.get_template(name)
        ctx = template.new_context(dict(context))
        render: Callable[[Any], Iterator[str]] | None = template.blocks.get(block)
        if render is None:
            # The block lives in a parent template (a shop override that extends
            # the packaged one): run the inheritance chain to find the most
            # derived definition.
            for _ in template.root_render_func(ctx):
                pass
            stack = ctx.blocks.get(block)
            if not stack:
                raise RenderError(f"template {name!r} has no block {block!r}", template=name)
            render = stack[0]
        return "".join(render(ctx))


def render_template(env: jinja2.Environment, name: str, context: Mapping[str, Any]) -> str:
    """Render template ``name`` whole."""
    with render_errors(name):
        return env.get_template(name).render(context)
