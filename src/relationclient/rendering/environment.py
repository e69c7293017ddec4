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

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from babel.support import NullTranslations
from jinja2.exceptions import SecurityError
from jinja2.ext import Extension
from jinja2.sandbox import SandboxedEnvironment

from ..errors import RenderError
from .inline import inline_template

__all__ = ["PACKAGED_TEMPLATES", "build_environment", "packaged_template_names", "render_errors"]

#: Where relationclient's own templates live.
PACKAGED_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

T = TypeVar("T")


def packaged_template_names() -> list[str]:
    """Names of the packaged templates (``email/order_confirmation.html``…), sorted."""
    return sorted(
        path.relative_to(PACKAGED_TEMPLATES).as_posix()
        for path in PACKAGED_TEMPLATES.rglob("*")
        if path.is_file() and path.suffix in (".html", ".txt", ".css")
    )


class InliningLoader(jinja2.BaseLoader):
    """Hands out HTML templates with the email stylesheet already inlined.

    The stylesheet (``email/styles.css``, itself a template of the theme's
    colours and the text direction) is rendered once per environment, in that
    environment — so a merchant-edited stylesheet stays in the sandbox.
    """

    def __init__(self, inner: jinja2.BaseLoader, style_context: Mapping[str, Any]) -> None:
        self.inner = inner
        self.style_context = dict(style_context)
        self._stylesheet: str | None = None

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, filename, uptodate = self.inner.get_source(environment, template)
        if template.endswith(".html"):
            if self._stylesheet is None:
                css = environment.get_template("email/styles.css")
                self._stylesheet = css.render(self.style_context)
            source = inline_template(source, self._stylesheet)
        return source, filename, uptodate

    def list_templates(self) -> list[str]:
        return self.inner.list_templates()


_OUTPUT_GETTEXT = re.compile(r'\{\{ *_\( *"((?:[^"\\]|\\.)*)" *\) *\}\}')
_CALL_GETTEXT = re.compile(r'(?<![\w.])_\( *"((?:[^"\\]|\\.)*)" *\)')


class CompiledGettext(Extension):
    """Translates argument-less ``_("…")`` once, when a template loads.

    ``{{ _("Subtotal") }}`` becomes the translated text itself, and ``_("…")``
    inside an expression a string constant, so a message does not pay for
    dozens of gettext calls whose result never changes within a locale. The
    output is the same as Jinja's new-style gettext gives: the translation,
    ``%``-formatted with no variables, trusted (not escaped) in HTML.
    """

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        """Replace constant gettext calls in ``source`` by their translation."""
        translations: NullTranslations | None = getattr(
            self.environment, "relationclient_translations", None
        )
        if translations is None:
            return source
        html = bool(name and name.endswith(".html"))

        def translate(escaped: str) -> str:
            text = escaped.encode("latin-1", "backslashreplace").decode("unicode-escape")
            return str(translations.gettext(text)) % {}

        def as_data(match: re.Match[str]) -> str:
            text = translate(match.group(1))
            if any(mark in text for mark in ("{{", "{%", "{#", "}}", "%}", "#}")):
                return match.group(0)
            return text

        def as_constant(match: re.Match[str]) -> str:
            literal = json.dumps(translate(match.group(1)), ensure_ascii=False)
            return f"({literal}|safe)" if html else literal

        return _CALL_GETTEXT.sub(as_constant, _OUTPUT_GETTEXT.sub(as_data, source))


def build_environment(
    translations: NullTranslations,
    template_dirs: Sequence[str | Path] = (),
    merchant_templates: Mapping[str, str] | None = None,
    *,
    style_context: Mapping[str, Any] | None = None,
    compile_gettext: bool = True,
) -> jinja2.Environment:
    """An environment for one locale; sandboxed when ``merchant_templates`` are given.

    With ``style_context`` (``theme``, ``start``, ``end``), HTML templates are
    CSS-inlined once as they load (see :func:`inline_template`); without it,
    they render as written and the caller inlines each message.
    ``compile_gettext`` translates constant strings at load time
    (:class:`CompiledGettext`).
    """
    packaged = jinja2.FileSystemLoader(PACKAGED_TEMPLATES)
    loaders: list[jinja2.BaseLoader] = []
    if merchant_templates:
        loaders.append(jinja2.DictLoader(dict(merchant_templates)))
    loaders += [jinja2.FileSystemLoader(str(d)) for d in template_dirs]
    loaders += [packaged, jinja2.PrefixLoader({"relationclient": packaged})]
    loader: jinja2.BaseLoader = jinja2.ChoiceLoader(loaders)
    if style_context is not None:
        loader = InliningLoader(loader, style_context)
    cls = SandboxedEnvironment if merchant_templates else jinja2.Environment
    env = cls(
        loader=loader,
        autoescape=jinja2.select_autoescape(["html"], default_for_string=False),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n", *([CompiledGettext] if compile_gettext else [])],
        auto_reload=False,
        cache_size=-1,
    )
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    env.extend(relationclient_translations=translations)
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
