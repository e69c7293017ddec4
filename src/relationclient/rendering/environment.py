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

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from babel.support import NullTranslations
from jinja2.exceptions import SecurityError
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from jinja2.runtime import Context, new_context
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from ..errors import RenderError
from .compiled import CompiledTemplate, TemplateCompiler, one_shot
from .inline import inline_template

__all__ = ["PACKAGED_TEMPLATES", "build_environment", "packaged_template_names", "render_errors"]

#: Where relationclient's own templates live.
PACKAGED_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

T = TypeVar("T")


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
                css = environment.get_template("email/styles.css")
                self._stylesheet = css.render(self.style_context)
            source = inline_template(source, self._stylesheet)
        return source, filename, uptodate

    def list_templates(self) -> list[str]:
        return self.inner.list_templates()


_OPENING = frozenset({"lparen", "lbracket", "lbrace"})
_CLOSING = frozenset({"rparen", "rbracket", "rbrace"})


class CompiledGettext(Extension):
    """Translates ``_("…", name=value)`` when a template loads, not when it renders.

    Jinja's new-style ``_()`` costs three context calls per use, and an order
    email uses it dozens of times with a result that only depends on the
    locale. This extension rewrites, in the token stream, ``_("text", a=x)``
    into ``("translated"|safe) % {"a": x}`` in HTML templates and
    ``"translated" % {"a": x}`` in text ones — exactly what new-style gettext
    returns (a trusted translation, %-formatted, values escaped in HTML), minus
    the calls. Nested ``_()`` in arguments are rewritten too.
    """

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        """Rewrite every ``_("literal", …)`` call of the template."""
        translations: NullTranslations | None = getattr(
            self.environment, "relationclient_translations", None
        )
        tokens = list(stream)
        if translations is None:
            yield from tokens
            return
        html = bool(stream.name and stream.name.endswith(".html"))
        yield from self._rewrite(tokens, translations, html)

    def _rewrite(
        self, tokens: list[Token], translations: NullTranslations, html: bool
    ) -> Iterator[Token]:
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if not (
                token.type == "name"
                and token.value == "_"
                and index + 2 < len(tokens)
                and tokens[index + 1].type == "lparen"
                and tokens[index + 2].type == "string"
                and (index == 0 or tokens[index - 1].type != "dot")
            ):
                yield token
                index += 1
                continue
            end, depth = index + 3, 0
            while tokens[end].type not in _CLOSING or depth:
                depth += tokens[end].type in _OPENING
                depth -= tokens[end].type in _CLOSING
                end += 1
            arguments = self._split(tokens[index + 3 : end])
            if arguments is None:  # positional arguments: leave the call as it is
                yield from tokens[index : end + 1]
                index = end + 1
                continue
            line = token.lineno
            text = str(translations.gettext(tokens[index + 2].value))
            yield Token(line, "lparen", "(")
            yield Token(line, "lparen", "(")
            yield Token(line, "string", text)
            if html:
                yield Token(line, "pipe", "|")
                yield Token(line, "name", "safe")
            yield Token(line, "rparen", ")")
            if arguments or "%" in text:
                yield Token(line, "mod", "%")
                yield Token(line, "lbrace", "{")
                for name, value in arguments:
                    yield Token(line, "string", name)
                    yield Token(line, "colon", ":")
                    yield from self._rewrite(value, translations, html)
                    yield Token(line, "comma", ",")
                yield Token(line, "rbrace", "}")
            yield Token(line, "rparen", ")")
            index = end + 1

    @staticmethod
    def _split(tokens: list[Token]) -> list[tuple[str, list[Token]]] | None:
        """``, a=x, b=f(y, z)`` as ``[("a", [x]), ("b", [f, (, y, ,, z, )])]``."""
        parts: list[list[Token]] = []
        depth = 0
        for token in tokens:
            if token.type == "comma" and depth == 0:
                parts.append([])
                continue
            depth += token.type in _OPENING
            depth -= token.type in _CLOSING
            if not parts:
                return None
            parts[-1].append(token)
        result = []
        for part in parts:
            if not part:
                continue
            if len(part) < 3 or part[0].type != "name" or part[1].type != "assign":
                return None
            result.append((str(part[0].value), part[2:]))
        return result


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

    def __init__(self, enabled: bool = True, size: int = 512) -> None:
        self.enabled = enabled
        self.size = size
        self._cache: dict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] = {}
        self._lock = threading.Lock()

    def __call__(self, name: str, macro: Callable[..., Any], *args: Any) -> Any:
        if not self.enabled:
            return macro(*args)
        # The macro itself is part of the key: a text and an HTML macro may
        # share a name.
        values = self._VALUES
        key = (name, id(macro), *(a if type(a) in values else id(a) for a in args))
        entry = self._cache.get(key)  # one dict read: safe without the lock
        if entry is not None:
            return entry[1]
        value = macro(*args)
        with self._lock:
            self._cache[key] = ((macro, *args), value)
            while len(self._cache) > self.size:  # the oldest entry goes first
                del self._cache[next(iter(self._cache))]
        return value


def columns(left: str, right: str, width: int = 64) -> str:
    """Jinja filter ``left|columns(right)``: ``right`` flush with column ``width``.

    For plain-text emails; text too long for the line is not cut, ``right``
    then follows after two spaces.
    """
    gap = width - len(left) - len(right)
    if gap < 2:
        gap = 2
    return f"{left}{_SPACES[gap] if gap < len(_SPACES) else ' ' * gap}{right}"


_SPACES = tuple(" " * size for size in range(81))  # columns' gaps, made once


def textlines(lines: Iterable[str]) -> str:
    """Jinja filter: ``lines`` indented by two spaces, one per line (text addresses)."""
    return "".join([f"  {line}\n" for line in lines])


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
    (:class:`CompiledGettext`) and renders templates through
    :class:`~relationclient.rendering.compiled.TemplateCompiler` (except in
    the sandbox, where Jinja's checks must run).
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
    fragments = Fragments(enabled=compile_gettext)
    env.globals["once"] = fragments
    env.filters["columns"] = columns
    env.filters["textlines"] = textlines
    env.globals["rule"] = "-" * 64
    env.globals["br"] = Markup("<br>")
    compiler = (
        TemplateCompiler(env, translations, pure=(fragments,))
        if compile_gettext and cls is jinja2.Environment
        else None
    )
    env.extend(relationclient_compiler=compiler)
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


def _new_context(template: jinja2.Template, context: Mapping[str, Any]) -> Context:
    """A render context for ``template``: its globals, then ``context`` over them.

    Jinja's own ``render`` merges the globals (a ChainMap) into every context;
    here the merged globals are kept as a plain dict on the template, which
    makes starting a render several times cheaper. Globals do not change once
    the environment is built.
    """
    merged: dict[str, Any] | None = getattr(template, "_relationclient_globals", None)
    if merged is None:
        merged = dict(template.globals)
        template._relationclient_globals = merged  # type: ignore[attr-defined]
    # Jinja's runtime function directly: Template.new_context would also walk the
    # globals ChainMap again to note their names, which rendering never uses.
    return new_context(
        template.environment, template.name, template.blocks, {**merged, **context}, shared=True
    )


def _compiled(
    env: jinja2.Environment,
    name: str,
    context: Mapping[str, Any],
    blocks: tuple[str, ...],
    checked: bool,
) -> tuple[str, list[str]] | CompiledTemplate | None:
    """Render through the compiled template: the text, else what Jinja must render.

    ``None`` when the template is Jinja's; the compiled template itself when
    its render raised — the caller renders with Jinja, and reports the failure
    only if Jinja succeeds (a data error fails both alike). ``checked``: the
    caller made sure ``context`` holds no iterator.
    """
    compiler: TemplateCompiler | None = getattr(env, "relationclient_compiler", None)
    if compiler is None:
        return None
    compiled = compiler.get(name)
    if compiled is None:
        return None
    if not checked and one_shot(context):
        # An iterator can be read once: a compiled render that failed half-way
        # could not be rendered again. Jinja renders it.
        return None
    try:
        return compiled.render(compiler.globals, context, blocks, checked=True)
    except Exception:
        # Jinja renders it again and gives its own result or error.
        return compiled


def _fell_back(env: jinja2.Environment, compiled: CompiledTemplate | None) -> None:
    """Jinja rendered what ``compiled`` could not: a template that keeps needing it stays."""
    compiler: TemplateCompiler | None = getattr(env, "relationclient_compiler", None)
    if compiled is not None and compiler is not None:
        compiler.failed(compiled)


def render_with_blocks(
    env: jinja2.Environment,
    name: str,
    context: Mapping[str, Any],
    blocks: Sequence[str],
    *,
    checked: bool = False,
) -> tuple[str, dict[str, str]]:
    """Render template ``name`` whole, and some of its blocks alone, from one context.

    The email text template carries the subject and preheader as blocks; one
    context serves all three. Rendering the whole template first registers the
    blocks of every parent, so a block defined only in a parent is found too.
    ``checked``: the caller made sure ``context`` holds no iterator, which the
    compiled path could otherwise read half-way before handing over to Jinja.
    """
    fast = _compiled(env, name, context, tuple(blocks), checked)
    if isinstance(fast, tuple):
        return fast[0], dict(zip(blocks, fast[1], strict=True))
    with render_errors(name):
        template = env.get_template(name)
        ctx = _new_context(template, context)
        try:
            whole = env.concat(template.root_render_func(ctx))
            parts = {}
            for block in blocks:
                stack = ctx.blocks.get(block)
                if not stack:
                    raise RenderError(f"template {name!r} has no block {block!r}", template=name)
                parts[block] = env.concat(stack[0](ctx))
        except RenderError:
            raise
        except Exception:
            env.handle_exception()
        _fell_back(env, fast)
        return str(whole), parts


def render_template(
    env: jinja2.Environment, name: str, context: Mapping[str, Any], *, checked: bool = False
) -> str:
    """Render template ``name`` whole.

    ``checked`` (as for :func:`render_with_blocks`): the caller made sure
    ``context`` holds no iterator, read once.
    """
    fast = _compiled(env, name, context, (), checked)
    if isinstance(fast, tuple):
        return fast[0]
    with render_errors(name):
        template = env.get_template(name)
        ctx = _new_context(template, context)
        try:
            text = str(env.concat(template.root_render_func(ctx)))
        except Exception:
            env.handle_exception()
        _fell_back(env, fast)
        return text
