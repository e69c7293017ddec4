"""Jinja environments: packaged templates, shop overrides, merchant edits in a sandbox.

One environment per locale (its gettext catalog installed, new-style), with:

* ``StrictUndefined`` — a missing variable is an error, never an empty string;
* autoescape for ``.html`` templates only — text and SMS are not HTML-escaped;
* a ``ChoiceLoader`` — the shop's template directories first, the packaged
  templates last, and the packaged ones also reachable as
  ``relationclient/<name>`` so a shop template can ``{% extends %}`` the
  packaged template of the same name and override single blocks;
* for templates a merchant edits at run time (strings from a database), a
  :class:`~relationclient.rendering.sandbox.MerchantSandbox` (Jinja's immutable
  sandbox, with allow-lists and a budget for each render) with those strings
  loaded first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from babel.support import NullTranslations
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from markupsafe import Markup

from ..errors import RenderError
from ..i18n.isolation import Isolated, isolate, plain
from .inline import inline_template
from .sandbox import MerchantSandbox, SandboxLimits
from .text import blocks, columns

__all__ = [
    "PACKAGED_TEMPLATES",
    "Fragments",
    "SandboxFragments",
    "build_environment",
    "ltr_filter",
    "packaged_template_names",
    "render_errors",
]

#: Where relationclient's own templates live.
PACKAGED_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def packaged_template_names() -> list[str]:
    """Names of the packaged templates (``email/order_confirmation.html``…), sorted."""
    return list(_packaged_template_names())


@cache
def _packaged_template_names() -> tuple[str, ...]:
    # The installed package does not change while it runs: walk it once.
    return tuple(
        sorted(
            path.relative_to(PACKAGED_TEMPLATES).as_posix()
            for path in PACKAGED_TEMPLATES.rglob("*")
            if path.is_file() and path.suffix in (".html", ".txt", ".css")
        )
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
                self._stylesheet = self._render_stylesheet(environment)
            source = inline_template(source, self._stylesheet)
        return source, filename, uptodate

    def _render_stylesheet(self, environment: jinja2.Environment) -> str:
        name = "email/styles.css"
        css = environment.get_template(name)
        if isinstance(environment, MerchantSandbox):
            # Perhaps merchant-edited: rendered within a budget of its own.
            with environment.budget(name) as budget:
                return budget.collect(css.generate(self.style_context))
        return css.render(self.style_context)

    def list_templates(self) -> list[str]:
        return self.inner.list_templates()


class Fragments:
    """``once(name, macro, *args)``: a macro's output, computed once per distinct arguments.

    The contact block, header and footer of an email depend only on the shop,
    the locale and the reader's country — the same for thousands of messages.
    Templates call them through ``once`` so each distinct output is rendered
    one time per environment. The macro and its arguments are the cache key, so
    the result is exactly what calling the macro would give. Bounded (oldest
    entries go first) and thread-safe.

    Objects are keyed by identity, not by value: hashing a shop model field by
    field would cost more than the macro. An entry keeps its arguments alive, so
    an identity in the cache always names the object it was computed from.
    """

    #: Keyed by value (1 and True are equal keys, so numbers go by identity).
    _VALUES = (str, type(None))

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._cache: dict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] = {}
        self._lock = threading.Lock()

    def __call__(self, name: str, macro: Callable[..., Any], *args: Any) -> Any:
        """What ``macro(*args)`` returns, rendered the first time only."""
        return self.fetch(name, macro, args, macro)

    def fetch(self, name: str, macro: Any, args: tuple[Any, ...], call: Callable[..., Any]) -> Any:
        """What ``call(*args)`` gives for ``once(name, macro, *args)``, computed once only."""
        # The macro itself is part of the key: a text and an HTML macro may
        # share a name.
        values = self._VALUES
        key = (name, id(macro), *(a if type(a) in values else id(a) for a in args))
        entry = self._cache.get(key)  # one dict read: safe without the lock
        if entry is not None:
            return entry[1]
        value = call(*args)
        with self._lock:
            self._cache[key] = ((macro, *args), value)
            while len(self._cache) > self.size:  # the oldest entry goes first
                del self._cache[next(iter(self._cache))]
        return value


class SandboxFragments:
    """``once`` in the merchant sandbox: the macro is called through the sandbox's ``call``.

    Whatever a template passes as ``macro`` is checked (and counted) as any
    call the template writes itself would be — a ``str.format`` smuggled in
    as the "macro" is refused, never called.
    """

    def __init__(self, size: int = 512) -> None:
        self._fragments = Fragments(size)

    @jinja2.pass_context
    def __call__(self, context: Context, name: str, macro: Any, *args: Any) -> Any:
        """What the sandbox's ``call`` of ``macro(*args)`` returns, rendered the first time only."""
        env = context.environment
        if not isinstance(env, MerchantSandbox):
            raise SecurityError("the sandbox's once() runs only in the merchant sandbox")

        def call(*values: Any) -> Any:
            return env.call(context, macro, *values)

        return self._fragments.fetch(name, macro, args, call)


def textlines(lines: Iterable[str]) -> str:
    """Jinja filter: ``lines`` indented by two spaces, one per line (text addresses)."""
    return "".join(f"  {line}\n" for line in lines)


def quoted(text: str) -> str:
    """Jinja filter: ``text`` quoted as in a reply, each line after ``> `` (plain-text emails)."""
    return "\n".join(f"> {line}".rstrip() for line in text.strip().split("\n"))


def ltr_filter(rtl: bool) -> Callable[..., Isolated]:
    """Jinja filter ``value|ltr``: a shop's own code or number kept whole in running text.

    ``{{ _("Your voucher %(code)s", code=voucher|ltr) }}`` prints the value in
    a ``dir="ltr"`` span in HTML, between U+2066 and U+2069 in a right-to-left
    text part or SMS, as the packaged templates print order numbers;
    ``|ltr(nowrap=false)`` lets it wrap (a long address). ``rtl`` is the
    environment's language direction.
    """

    def ltr(value: Any, nowrap: bool = True) -> Isolated:
        return isolate(value, rtl=rtl, nowrap=nowrap)

    return ltr


def build_environment(
    translations: NullTranslations,
    template_dirs: Sequence[str | Path] = (),
    merchant_templates: Mapping[str, str] | None = None,
    *,
    style_context: Mapping[str, Any] | None = None,
    colon: str = ":",
    comma: str = ", ",
    rtl: bool = False,
    limits: SandboxLimits | None = None,
) -> jinja2.Environment:
    """An environment for one catalog language; sandboxed when ``merchant_templates`` are given.

    With ``style_context`` (``theme``, ``start``, ``end``), HTML templates are
    CSS-inlined once as they load (see :func:`inline_template`); without it,
    they render as written and the caller inlines each message. ``colon`` is
    what the language sets before the colon of ``Label : value``, ``comma``
    its list comma. ``rtl`` is the language's direction, for the ``ltr``
    filter (see :func:`ltr_filter`); ``plain`` gives a value bare, for
    attributes and URLs. ``limits`` are the merchant sandbox's (see
    :class:`SandboxLimits`).
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
    options: dict[str, Any] = {
        "loader": loader,
        "autoescape": jinja2.select_autoescape(["html"], default_for_string=False),
        "undefined": jinja2.StrictUndefined,
        "extensions": ["jinja2.ext.i18n"],
        "auto_reload": False,
        "cache_size": -1,
    }
    env = (
        MerchantSandbox(limits=limits, **options)
        if merchant_templates
        else jinja2.Environment(**options)
    )
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    env.globals["rule"] = "-" * 64
    env.globals["br"] = Markup("<br>")
    env.globals["colon"] = colon
    env.globals["comma"] = comma
    env.filters["columns"] = columns
    env.filters["textlines"] = textlines
    env.filters["quoted"] = quoted
    env.filters["blocks"] = blocks
    env.filters["ltr"] = ltr_filter(rtl)
    env.filters["plain"] = plain
    if isinstance(env, MerchantSandbox):
        env.globals["once"] = SandboxFragments()
        env.seal()
    else:
        env.globals["once"] = Fragments()
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
