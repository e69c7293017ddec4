"""Templates compiled to plain Python functions: Jinja's output at a fraction of its cost.

Jinja compiles a template to Python too, but the code it writes goes through
its runtime at every step — a context object to resolve each name, a
``Macro`` object to bind each macro call's arguments, a generator resumed for
every piece of output. For an order email that overhead, not the work, is
most of the time.

:class:`TemplateCompiler` translates the parsed template (Jinja's own parser,
with the environment's extensions, loaders and CSS inlining) into Python
functions that append strings to a list: names are dictionary look-ups,
local variables are Python locals, macros are functions, constant
expressions are folded the way Jinja folds them. Every step keeps Jinja's
semantics — the same ``getattr``-then-item look-up, the same escaping, the
same ``Undefined`` objects, the same calling convention for filters and
``pass_context`` gettext.

Two guarantees keep it honest:

* templates using a construct outside the supported subset (``super()``,
  call blocks, ``{% with %}``, recursive loops, macros with ``caller``…) are
  not compiled: :meth:`TemplateCompiler.get` returns ``None`` and Jinja
  renders them;
* any exception while a compiled template renders is never shown: the
  caller renders the template again with Jinja, whose result — or error,
  with its template name and line — is the one returned. (A context holding
  an iterator, which cannot be read twice, goes to Jinja from the start.)

Each template has three variants: the fast one reads attributes with plain
Python ``obj.name``; the *careful* one, used after an ``AttributeError``
(a dictionary read as ``d.key``), follows Jinja's attribute-then-item rule;
the *generic* one, used when the context gives its own value to a global
that the others have written in as a constant, looks every name up.

The test suite renders every packaged template, in every locale, and a corpus
of shop-style templates through both paths and requires identical bytes.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache, partial
from itertools import count
from keyword import iskeyword
from math import isfinite
from types import MethodType
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import find_undeclared, has_safe_repr
from jinja2.nodes import EvalContext
from jinja2.runtime import LoopContext, markup_join, new_context
from jinja2.utils import _PassArg
from markupsafe import Markup, escape

__all__ = ["CompiledTemplate", "TemplateCompiler", "Unsupported", "one_shot"]


class Unsupported(Exception):
    """The template uses a construct the compiler leaves to Jinja."""


Blocks = dict[str, Callable[..., None]]

_BINARY = {
    nodes.Add: "+",
    nodes.Sub: "-",
    nodes.Mul: "*",
    nodes.Div: "/",
    nodes.FloorDiv: "//",
    nodes.Mod: "%",
    nodes.Pow: "**",
}
_UNARY = {nodes.Neg: "-", nodes.Pos: "+", nodes.Not: "not "}
_COMPARE = {
    "eq": "==",
    "ne": "!=",
    "gt": ">",
    "gteq": ">=",
    "lt": "<",
    "lteq": "<=",
    "in": "in",
    "notin": "not in",
}
# Names Jinja gives a meaning the compiled functions do not reproduce.
_SPECIAL_NAMES = frozenset({"super", "self", "caller", "varargs", "kwargs", "loop"})
_I18N_NAMES = ("_", "gettext", "ngettext", "pgettext", "npgettext")
_PLAIN_CONSTANTS = (str, int, float, bool, type(None))
# The code of jinja2.async_utils.async_variant's wrapper, as seen on do_join.
_ASYNC_VARIANT = getattr(jinja2.filters.do_join, "__code__", None)
_NOT_AN_ATTRIBUTE = object()
# Attribute reads that failed after which a template renders in its careful variant.
_MAX_MISSES = 8
# What fold() answers for an expression that is not a constant.
_NOT_CONSTANT = object()


try:
    # markupsafe's escaping of a plain string, in C, without the Markup around it.
    from markupsafe._speedups import _escape_inner as _escape_str
except ImportError:  # pragma: no cover - markupsafe without its C extension

    def _escape_str(value: str, /) -> str:
        # markupsafe's own replacements, in its order.
        return (
            value.replace("&", "&amp;")
            .replace(">", "&gt;")
            .replace("<", "&lt;")
            .replace("'", "&#39;")
            .replace('"', "&#34;")
        )


def _immutable(value: Any) -> bool:
    """True for constants a render cannot change (Jinja's safe-repr kinds, minus containers)."""
    if type(value) in (tuple, frozenset):
        return all(_immutable(item) for item in value)
    return type(value) in (str, Markup, int, float, bool, type(None), complex, range)


def _plain_literal(value: Any) -> bool:
    """Whether ``repr(value)`` is Python source giving an equal value (no Markup, no nan)."""
    if type(value) in (list, tuple, set, frozenset):
        return all(_plain_literal(item) for item in value)
    if type(value) is dict:
        return all(_plain_literal(k) and _plain_literal(v) for k, v in value.items())
    if type(value) is float:
        return isfinite(value)
    return type(value) in (str, int, bool, type(None))


def escape_text(value: Any) -> str:
    """The text of ``markupsafe.escape(value)``, without building a ``Markup`` when avoidable."""
    kind = type(value)
    if kind is Markup:
        return str.__str__(value)  # already safe; a plain str, so ``+`` never escapes around it
    if kind is str:
        return _escape_str(value)
    if kind is int:
        return str(value)  # digits need no escaping
    return str(escape(value))


@jinja2.pass_eval_context
def join_filter(
    eval_ctx: EvalContext, value: Any, d: Any = "", attribute: str | int | None = None
) -> Any:
    """Jinja's ``|join``, its usual HTML case done in one pass.

    A ``Markup`` separator joining a list of plain strings (``lines|join(br)``)
    gives ``Markup(d.join(escape(item) for item in value))`` in Jinja, through
    ``Markup.join`` and one ``escape`` call per item; here with markupsafe's C
    escaping directly. Anything else is Jinja's own filter.
    """
    if attribute is None and type(d) is Markup and type(value) is list and eval_ctx.autoescape:
        for item in value:
            if type(item) is not str:
                break
        else:
            return Markup(str.join(d, map(_escape_str, value)))
    return jinja2.filters.sync_do_join(eval_ctx, value, d, attribute)


_FIELD = re.compile(r"%(?:\((\w+)\)s|%)")


def _format_pieces(pattern: str) -> list[str] | None:
    """``"a %(x)s b"`` as ``["a ", "x", " b"]`` (text, name, text…), or None.

    Only patterns made of ``%(name)s`` fields and ``%%`` are split: anything
    else is left to the ``%`` operator itself.
    """
    pieces, text, last = [], [], 0
    for match in _FIELD.finditer(pattern):
        text.append(pattern[last : match.start()])
        last = match.end()
        if match.group(1) is None:
            text.append("%")
        else:
            pieces += ["".join(text), match.group(1)]
            text = []
    text.append(pattern[last:])
    if "%" in _FIELD.sub("", pattern):
        return None
    return [*pieces, "".join(text)]


_pieces = lru_cache(1024)(_format_pieces)


def _interpolate(pattern: str, variables: Mapping[str, Any], html: bool) -> Any:
    """``(Markup(pattern) if html else pattern) % variables``, without the ``%`` machinery.

    Patterns of ``%(name)s`` fields only (a translation's) are put together
    from their pieces, each value escaped in HTML as ``Markup.__mod__`` does;
    any other pattern goes through the operator.
    """
    pieces = _pieces(pattern) if type(pattern) is str else None
    if pieces is None:
        return (Markup(pattern) if html else pattern) % variables
    convert = escape_text if html else str
    text = pieces[0]
    for index in range(1, len(pieces), 2):
        text += convert(variables[pieces[index]]) + pieces[index + 1]
    return Markup(text) if html else text


class CompiledMacro:
    """A macro as a Python function, called as Jinja calls its ``Macro`` objects.

    Arguments are bound the same way (missing ones become ``Undefined`` or
    their constant default), and the result is ``Markup`` when the calling
    template escapes — or, called from Python (``once``), when the defining
    template does.
    """

    __slots__ = (
        "arguments",
        "autoescape",
        "defaults",
        "environment",
        "function",
        "name",
        "required",
        "tail",
    )

    def __init__(
        self,
        environment: jinja2.Environment,
        name: str,
        function: Callable[..., str],
        arguments: tuple[str, ...],
        defaults: dict[str, Any],
        autoescape: bool,
    ) -> None:
        self.environment = environment
        self.name = name
        self.function = function
        self.arguments = arguments
        self.defaults = defaults
        self.autoescape = autoescape
        # Defaults are always the trailing parameters.
        self.required = len(arguments) - len(defaults)
        self.tail = tuple(defaults[name] for name in arguments[self.required :])

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
        """The argument list Jinja's ``Macro.__call__`` would pass its function."""
        arguments = list(args[: len(self.arguments)])
        for name in self.arguments[len(arguments) :]:
            if name in kwargs:
                arguments.append(kwargs.pop(name))
            elif name in self.defaults:
                arguments.append(self.defaults[name])
            else:
                arguments.append(
                    self.environment.undefined(f"parameter {name!r} was not provided", name=name)
                )
        if kwargs:
            raise TypeError(f"macro {self.name!r} takes no keyword argument {next(iter(kwargs))!r}")
        if len(args) > len(self.arguments):
            raise TypeError(
                f"macro {self.name!r} takes not more than {len(self.arguments)} argument(s)"
            )
        return arguments

    def invoke(self, autoescape: bool, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Call with ``autoescape`` deciding whether the result is ``Markup``."""
        if kwargs or len(args) != len(self.arguments):
            if not kwargs and self.required <= len(args) < len(self.arguments):
                args += self.tail[len(args) - self.required :]
            else:
                args = tuple(self.bind(args, dict(kwargs)))
        result = self.function(*args)
        return Markup(result) if autoescape else result

    def __call__(self, /, *args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], EvalContext):
            return self.invoke(args[0].autoescape, args[1:], kwargs)
        return self.invoke(self.autoescape, args, kwargs)


class _Module:
    """What ``{% import "x" as m %}`` binds: the template's exported macros and variables."""

    def __init__(self, name: str, exports: dict[str, Any], body: str = "") -> None:
        self.__name = name
        self.__body = body
        self.__dict__.update(exports)

    def __str__(self) -> str:
        return self.__body  # as Jinja's TemplateModule: the template's own output

    def __html__(self) -> Markup:
        return Markup(self.__body)

    def __repr__(self) -> str:
        return f"<compiled template module {self.__name!r}>"


#: Per type: is it an iterator (readable only once)?
_ITERATOR_TYPES: dict[type, bool] = {}


def one_shot(context: Mapping[str, Any]) -> bool:
    """Whether ``context`` holds an iterator, which a second render would find spent."""
    for value in context.values():
        kind = type(value)
        iterator = _ITERATOR_TYPES.get(kind)
        if iterator is None:
            iterator = _ITERATOR_TYPES[kind] = hasattr(kind, "__next__")
        if iterator:
            return True
    return False


@dataclass
class CompiledTemplate:
    """One template as Python functions; render with :meth:`render`.

    ``inlined`` names the environment globals written into the code as
    constants (``colon``, ``rule``, ``once``…). A context that gives one of
    them a value of its own is rendered by the *generic* variant, which looks
    every name up as Jinja does; when plain attribute reads fail, the
    *careful* variant reads attributes as Jinja does (attribute, else item,
    else Undefined). ``variant`` makes them, on first need only: most
    templates never use them.
    """

    name: str
    root: Callable[[dict[str, Any], list[str], Blocks], None]
    blocks: Blocks
    namespace: type[dict[str, Any]]
    inlined: frozenset[str] = frozenset()
    #: Makes the ``"careful"`` or the ``"generic"`` variant (None: this is one).
    variant: Callable[[str], CompiledTemplate] | None = None
    failures: int = 0
    misses: int = 0
    _variants: dict[str, CompiledTemplate] = field(default_factory=dict, repr=False)

    def other(self, kind: str) -> CompiledTemplate:
        """The ``"careful"`` or ``"generic"`` variant, compiled the first time it is asked for."""
        found = self._variants.get(kind)
        if found is None:
            assert self.variant is not None
            found = self._variants[kind] = self.variant(kind)
        return found

    def render(
        self,
        globals: Mapping[str, Any],
        context: Mapping[str, Any],
        blocks: tuple[str, ...] = (),
        *,
        checked: bool = False,
    ) -> tuple[str, list[str]]:
        """The whole template from ``context`` over ``globals``, then each of ``blocks`` alone.

        ``checked``: the caller made sure ``context`` holds no iterator (see
        :func:`one_shot`), so a failed attempt may be rendered again.
        """
        variants = self.variant is not None
        if variants:
            # From the keys' side: the few inlined names are looked up, not every key.
            if not context.keys().isdisjoint(self.inlined):
                return self.other("generic").render(globals, context, blocks, checked=checked)
            if self.misses >= _MAX_MISSES or (not checked and one_shot(context)):
                # Iterators in the context can be read once: no second attempt.
                return self.other("careful").render(globals, context, blocks, checked=checked)
        ns = self.namespace(globals)
        ns.update(context)
        out: list[str] = []
        try:
            self.root(ns, out, self.blocks)
            whole = "".join(out)
            parts = []
            for name in blocks:
                out.clear()
                self.blocks[name](ns, out, self.blocks)
                parts.append("".join(out))
        except AttributeError:
            # A dictionary read as ``d.key``, or a missing attribute: Jinja's
            # rules decide, in the careful variant.
            if not variants:
                raise
            self.misses += 1
            return self.other("careful").render(globals, context, blocks, checked=checked)
        return whole, parts


@dataclass
class _Scope:
    """Names bound in one Python function scope (loop body, block, macro)."""

    parent: _Scope | None
    names: dict[str, str] = field(default_factory=dict)
    toplevel: bool = False  # template or module top level: assignments go to ``ns``
    #: Names read here before any assignment here: assigning one later would
    #: make a loop body read a different variable on its next pass.
    outer_reads: set[str] = field(default_factory=set)

    def find(self, name: str) -> str | None:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            scope = scope.parent
        return None

    def lookup(self, name: str) -> str | None:
        """Like :meth:`find`, noting the read in every scope it passes."""
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            scope.outer_reads.add(name)
            scope = scope.parent
        return None

    def has_locals(self) -> bool:
        scope: _Scope | None = self
        while scope is not None:
            if scope.names:
                return True
            scope = scope.parent
        return False


class _Writer:
    """Python source, line by line, with indentation."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.level = 0

    def line(self, text: str) -> None:
        self.lines.append("    " * self.level + text)


def _substitute(node: nodes.Node, values: Mapping[str, Any]) -> nodes.Node:
    """A copy of expression ``node`` with the names in ``values`` as constants."""
    if isinstance(node, nodes.Name):
        constant = nodes.Const(values[node.name], lineno=node.lineno)
        constant.environment = node.environment
        return constant
    copy = object.__new__(type(node))
    copy.__dict__.update(node.__dict__)
    for name in node.fields:
        value = getattr(node, name)
        if isinstance(value, nodes.Node):
            setattr(copy, name, _substitute(value, values))
        elif isinstance(value, list):
            items = [_substitute(v, values) if isinstance(v, nodes.Node) else v for v in value]
            setattr(copy, name, items)
    return copy


def _toplevel_stores(body: list[nodes.Node], macros: bool = True) -> set[str]:
    """Names a template assigns at its top level (into the render namespace).

    With ``macros=False``, the names of the macros it defines are left out.
    """
    names: set[str] = set()
    for node in body:
        if isinstance(node, nodes.Assign):
            names.update(n.name for n in node.target.find_all(nodes.Name))
            if isinstance(node.target, nodes.Name):
                names.add(node.target.name)
        elif isinstance(node, nodes.Import):
            names.add(node.target)
        elif isinstance(node, nodes.FromImport):
            names.update(n[1] if isinstance(n, tuple) else n for n in node.names)
        elif isinstance(node, nodes.Macro):
            if macros:
                names.add(node.name)
        elif isinstance(node, nodes.If):
            names |= _toplevel_stores(node.body, macros)
            names |= _toplevel_stores(node.else_, macros)
            for branch in node.elif_:
                names |= _toplevel_stores(branch.body, macros)
        elif isinstance(node, (nodes.AssignBlock, nodes.With, nodes.Scope)):
            names.add("*")  # not compiled anyway
    return names


class _CodeGenerator:
    """Translates one parsed template into the source of a Python module."""

    def __init__(
        self,
        compiler: TemplateCompiler,
        name: str,
        module: bool,
        inline: Mapping[str, Any],
        excluded: frozenset[str] | None,
        speculative: bool = False,
    ) -> None:
        self.compiler = compiler
        #: Read attributes with Python's own ``obj.name`` (see CompiledTemplate).
        self.speculative = speculative
        self.env = compiler.environment
        self.name = name
        self.module = module
        #: Globals whose values are written into the code (see CompiledTemplate).
        self.inline = inline
        self.excluded = excluded
        self.inlined: set[str] = set()
        #: Top-level ``{% import %}``: name → module, for direct macro calls.
        self.imports: dict[str, _Module] = {}
        self.eval_ctx = EvalContext(self.env, name)
        self.autoescape = bool(self.eval_ctx.autoescape)
        self.globals: dict[str, Any] = {}
        self.src = _Writer()
        self.ids = count()
        self.extends: str | None = None
        self.after_extends = False
        self.blocks: dict[str, str] = {}
        self.exported: set[str] = set()  # top-level macros and assignments
        self.conditional = 0  # inside {% if %} or {% for %}
        self.toplevel_names: set[str] = set()
        #: Output waiting to be written: (True, Python expression) or (False, text).
        self.pending: list[tuple[bool, str]] = []

    # -- helpers --------------------------------------------------------------------------
    def bind(self, value: Any, prefix: str = "k") -> str:
        """A module-global name for ``value`` (constants, filters, helpers)."""
        for key, bound in self.globals.items():
            if bound is value and key.startswith(prefix):
                return key
        key = f"{prefix}{next(self.ids)}"
        self.globals[key] = value
        return key

    def const(self, value: Any) -> str:
        if type(value) in _PLAIN_CONSTANTS and not (type(value) is float and not isfinite(value)):
            return repr(value)
        if type(value) in (list, dict, set) or (type(value) is tuple and not _immutable(value)):
            # A literal, built again at each evaluation as in Jinja's code:
            # a render may change the list it gets.
            if has_safe_repr(value) and _plain_literal(value):
                return repr(value)
            raise Unsupported("a constant container that cannot be written as a literal")
        return self.bind(value)

    def temp(self) -> str:
        return f"t{next(self.ids)}"

    def local(self, scope: _Scope, name: str) -> str:
        if name in scope.outer_reads:
            raise Unsupported(f"{name!r} is read before it is assigned in the same scope")
        python = f"l{next(self.ids)}_{name}"
        scope.names[name] = python
        return python

    def emit(self, code: str | None = None, text: str | None = None) -> None:
        """Queue output: an expression's value, or constant text."""
        if code is not None:
            self.pending.append((True, code))
        elif text:
            if self.pending and not self.pending[-1][0]:
                text = self.pending.pop()[1] + text
            self.pending.append((False, text))

    def flush(self) -> None:
        """Write the queued output: one append, or one extend of a tuple."""
        if not self.pending:
            return
        items = [text if is_code else repr(text) for is_code, text in self.pending]
        self.pending.clear()
        if len(items) == 1:
            self.src.line(f"w({items[0]})")
        else:
            self.src.line(f"x_(({', '.join(items)},))")

    def write(self, code: str) -> None:
        self.flush()
        self.src.line(code)

    def function(self, signature: str) -> None:
        self.write(f"def {signature}:")
        self.src.level += 1
        self.write("w, x_ = out.append, out.extend")

    def end_function(self, result: str | None = None) -> None:
        self.write(f"return {result}" if result else "pass")
        self.src.level -= 1

    # -- template -------------------------------------------------------------------------
    def template(self, tree: nodes.Template) -> None:
        for block in tree.find_all(nodes.Block):
            if block.scoped or block.required:
                raise Unsupported("scoped or required block")
        for node in tree.find_all((nodes.If, nodes.For, nodes.Macro)):
            if any(True for _ in node.find_all(nodes.Block)):
                raise Unsupported("block inside a loop, condition or macro")
        self.toplevel_names = _toplevel_stores(tree.body, macros=False)
        self.function(f"{'init' if self.module else 'root'}(ns, out, blocks)")
        self.statements(tree.body, _Scope(None, toplevel=True))
        if self.extends is not None:
            parent = self.compiler.compile(self.extends, False, self.excluded, self.speculative)
            self.inlined |= parent.inlined
            self.write(f"{self.bind(parent.root, 'p')}(ns, out, blocks)")
        self.end_function()
        for block in tree.find_all(nodes.Block):
            function = f"block_{block.name}"
            self.blocks[block.name] = function
            self.function(f"{function}(ns, out, blocks)")
            self.statements(block.body, _Scope(None))
            self.end_function()

    def statements(self, body: list[nodes.Node], scope: _Scope) -> None:
        for node in body:
            self.statement(node, scope)
        self.flush()

    def statement(self, node: nodes.Node, scope: _Scope) -> None:
        method = getattr(self, f"stmt_{type(node).__name__}", None)
        if method is None:
            raise Unsupported(type(node).__name__)
        method(node, scope)

    def suppressed(self, scope: _Scope) -> bool:
        """Top-level output after ``{% extends %}`` is not rendered."""
        return scope.toplevel and self.after_extends

    def stmt_Output(self, node: nodes.Output, scope: _Scope) -> None:
        if self.suppressed(scope):
            return
        for child in node.nodes:
            value = self.fold(child, scope)
            if value is not _NOT_CONSTANT:
                self.emit(text=str(escape(value) if self.autoescape else value))
            elif not self.formatted(child, scope):
                direct = self.macro_call(child, scope, output=True)
                self.emit(direct if direct is not None else self.output(self.expr(child, scope)))

    def output(self, code: str) -> str:
        """``code``'s value as output text: escaped in HTML, ``str()`` otherwise."""
        if not self.autoescape:
            return f"str({code})"
        value, kind = self.temp(), self.temp()
        plain = self.bind(_escape_str, "s")
        other = self.bind(escape_text, "e")
        # What escape_text does for Markup (a macro's or gettext's text, safe
        # already: the output list takes it as it is) and for int, without
        # calling it; plain strings, most values, are tested first.
        safe = self.bind(Markup, "c")
        return (
            f"({plain}({value}) if ({kind} := type({value} := {code})) is str "
            f"else {value} if {kind} is {safe} else str({value}) if {kind} is int "
            f"else {other}({value}))"
        )

    def formatted(self, node: nodes.Expr, scope: _Scope) -> bool:
        """Write ``"text %(name)s" % {"name": value}`` (a compiled gettext) piece by piece.

        The same text as the ``%`` operator gives: with a ``Markup`` pattern
        each value is escaped (``Markup.__mod__``), with a ``str`` pattern in a
        text template each is ``str()``-ed. Every value is evaluated, in order,
        before anything is written, as the dictionary would be.
        """
        if not isinstance(node, nodes.Mod) or not isinstance(node.right, nodes.Dict):
            return False
        pattern = self.fold(node.left, scope)
        if type(pattern) is not (Markup if self.autoescape else str):
            return False
        keys = [pair.key for pair in node.right.items]
        if not all(isinstance(k, nodes.Const) and isinstance(k.value, str) for k in keys):
            return False
        names = [k.value for k in keys]  # type: ignore[attr-defined]
        pieces = _format_pieces(str(pattern))
        if pieces is None or len(set(names)) != len(names):
            return False
        if not set(pieces[1::2]) <= set(names):
            return False  # a missing name: the operator raises, Jinja reports it
        values: dict[str, tuple[bool, str]] = {}
        for name, pair in zip(names, node.right.items, strict=True):
            value = self.fold(pair.value, scope)
            if value is not _NOT_CONSTANT:
                values[name] = (False, str(escape(value) if self.autoescape else value))
                continue
            values[name] = (True, self.temp())
            self.write(f"{values[name][1]} = {self.expr(pair.value, scope)}")
        for index, piece in enumerate(pieces):
            if index % 2 == 0:
                self.emit(text=piece)
            elif values[piece][0]:
                self.emit(self.output(values[piece][1]))
            else:
                self.emit(text=values[piece][1])
        return True

    def stmt_Extends(self, node: nodes.Extends, scope: _Scope) -> None:
        if not scope.toplevel or self.conditional or self.extends is not None or self.module:
            raise Unsupported("extends not at the top level, or under a condition")
        if not isinstance(node.template, nodes.Const) or not isinstance(node.template.value, str):
            raise Unsupported("extends with a computed name")
        self.extends = node.template.value
        self.after_extends = True

    def stmt_Block(self, node: nodes.Block, scope: _Scope) -> None:
        if self.suppressed(scope):
            return
        self.write(f"blocks[{node.name!r}](ns, out, blocks)")

    def stmt_If(self, node: nodes.If, scope: _Scope) -> None:
        if not scope.toplevel:
            for _ in node.find_all((nodes.Assign, nodes.Import, nodes.FromImport)):
                raise Unsupported("assignment inside a condition")
        branches = [(node.test, node.body), *((b.test, b.body) for b in node.elif_)]
        keyword = "if"
        for test, body in branches:
            value = self.fold(test, scope)
            if value is _NOT_CONSTANT:
                self.write(f"{keyword} {self.expr(test, scope)}:")
                self.body(body, scope)
                keyword = "elif"
            elif value:  # always taken: what follows is never reached
                if keyword == "if":
                    self.conditional += 1
                    self.statements(body, scope)
                    self.conditional -= 1
                else:
                    self.write("else:")
                    self.body(body, scope)
                return
        if node.else_:
            if keyword == "if":
                self.conditional += 1
                self.statements(node.else_, scope)
                self.conditional -= 1
            else:
                self.write("else:")
                self.body(node.else_, scope)

    def body(self, body: list[nodes.Node], scope: _Scope) -> None:
        self.src.level += 1
        self.conditional += 1
        self.statements(body, scope)
        self.conditional -= 1
        self.write("pass")
        self.src.level -= 1

    def stmt_For(self, node: nodes.For, scope: _Scope) -> None:
        if node.recursive:
            raise Unsupported("recursive loop")
        inner = _Scope(scope)
        target = self.target(node.target, inner)
        iterable = self.expr(node.iter, scope)
        extended = "loop" in find_undeclared(node.iter_child_nodes(only=("body",)), ("loop",))
        test = None
        if node.test is not None:
            # The test sees the loop's targets, not what the body assigns.
            test = self.expr(node.test, _Scope(scope, dict(inner.names)))
        if test is not None and extended:
            # ``loop`` counts the items that pass: filter them first. The
            # iterable is evaluated here, in this scope: the generator's own
            # scope may not hold the assignment expressions of compiled look-ups.
            items = self.temp()
            self.write(f"{items} = {iterable}")
            iterable = f"({target} for {target} in {items} if {test})"
            test = None
        flag = self.temp()
        if node.else_:
            self.write(f"{flag} = 1")
        if extended:
            loop = self.local(inner, "loop")
            loop_context = self.bind(LoopContext, "c")
            undefined = self.bind(self.env.undefined, "u")
            self.write(f"for {target}, {loop} in {loop_context}({iterable}, {undefined}):")
        else:
            self.write(f"for {target} in {iterable}:")
        self.src.level += 1
        if test is not None:
            self.write(f"if not ({test}):")
            self.write("    continue")
        self.statements(node.body, inner)
        if node.else_:
            self.write(f"{flag} = 0")
        self.write("pass")
        self.src.level -= 1
        if node.else_:
            self.write(f"if {flag}:")
            self.body(node.else_, _Scope(scope))

    def target(self, node: nodes.Node, scope: _Scope) -> str:
        if isinstance(node, nodes.Name):
            if node.name in _SPECIAL_NAMES:
                raise Unsupported(f"assignment to {node.name}")
            return self.local(scope, node.name)
        if isinstance(node, nodes.Tuple) and all(isinstance(n, nodes.Name) for n in node.items):
            names = [self.target(item, scope) for item in node.items]
            return "(" + ", ".join(names) + ("," if len(names) == 1 else "") + ")"
        raise Unsupported("assignment target")

    def store(self, names: list[str], value: str, scope: _Scope, export: bool = True) -> None:
        """Assign ``value`` to Jinja names: ``ns`` at top level, Python locals elsewhere."""
        if scope.toplevel:
            if export:
                self.exported.update(n for n in names if not n.startswith("_"))
            if len(names) == 1:
                self.write(f"ns[{names[0]!r}] = {value}")
            else:
                temp = self.temp()
                self.write(f"{temp} = {value}")
                targets = ", ".join(f"ns[{n!r}]" for n in names)
                self.write(f"{targets}, = {temp}")
            return
        for name in names:
            if name in _SPECIAL_NAMES:
                raise Unsupported(f"assignment to {name}")
        locals_ = [self.local(scope, name) for name in names]
        if len(locals_) == 1:
            self.write(f"{locals_[0]} = {value}")
        else:
            self.write(f"{', '.join(locals_)}, = {value}")

    def stmt_Assign(self, node: nodes.Assign, scope: _Scope) -> None:
        value = self.expr(node.node, scope)
        if isinstance(node.target, nodes.Name):
            self.store([node.target.name], value, scope)
        elif isinstance(node.target, nodes.Tuple) and all(
            isinstance(n, nodes.Name) for n in node.target.items
        ):
            names = [n.name for n in node.target.items if isinstance(n, nodes.Name)]
            self.store(names, value, scope)
        else:
            raise Unsupported("assignment target")

    def module_name(self, node: nodes.Expr) -> str:
        if not isinstance(node, nodes.Const) or not isinstance(node.value, str):
            raise Unsupported("import of a computed name")
        return node.value

    def stmt_Import(self, node: nodes.Import, scope: _Scope) -> None:
        if node.with_context:
            raise Unsupported("import with context")
        module = self.compiler.module(self.module_name(node.template), self.speculative)
        if scope.toplevel:
            self.imports[node.target] = module
        self.store([node.target], self.bind(module, "m"), scope, export=False)

    def stmt_FromImport(self, node: nodes.FromImport, scope: _Scope) -> None:
        if node.with_context:
            raise Unsupported("import with context")
        module = self.compiler.module(self.module_name(node.template), self.speculative)
        for item in node.names:
            name, alias = item if isinstance(item, tuple) else (item, item)
            if name.startswith("_") or not hasattr(module, name):
                raise Unsupported(f"import of a missing name {name!r}")
            self.store([alias], self.bind(getattr(module, name)), scope, export=False)

    def stmt_Include(self, node: nodes.Include, scope: _Scope) -> None:
        if not node.with_context or node.ignore_missing or scope.has_locals():
            raise Unsupported("include form")
        if self.suppressed(scope):
            return
        name = self.module_name(node.template)
        included = self.compiler.compile(name, False, self.excluded, self.speculative)
        self.inlined |= included.inlined
        root = self.bind(included.root, "p")
        blocks = self.bind(included.blocks, "b")
        namespace = self.bind(included.namespace, "n")
        self.write(f"{root}({namespace}(ns), out, {blocks})")

    def stmt_Macro(self, node: nodes.Macro, scope: _Scope) -> None:
        if not scope.toplevel:
            raise Unsupported("macro outside the top level")
        if find_undeclared(node.body, ("caller", "varargs", "kwargs")):
            raise Unsupported("macro using caller, varargs or kwargs")
        if not self.module and find_undeclared(node.body, self.toplevel_names):
            # Jinja binds such a name to the template's own variable, which may
            # not be set yet when the macro runs.
            raise Unsupported("macro reading a variable its template sets")
        inner = _Scope(scope)
        params = [self.target(arg, inner) for arg in node.args]
        arguments = tuple(arg.name for arg in node.args)
        defaults: dict[str, Any] = {}
        with_defaults = node.args[len(node.args) - len(node.defaults) :]
        for arg, default in zip(with_defaults, node.defaults, strict=True):
            try:
                defaults[arg.name] = default.as_const(self.eval_ctx)
            except Exception as exc:
                raise Unsupported("macro default that is not a constant") from exc
            if not _immutable(defaults[arg.name]):
                raise Unsupported("macro default a call could change (Jinja builds it per call)")
        function = f"f{next(self.ids)}_{node.name}"
        self.write(f"def {function}({', '.join(params)}):")
        self.src.level += 1
        self.write("out = []")
        self.write("w, x_ = out.append, out.extend")
        self.statements(node.body, inner)
        self.end_function("''.join(out)")
        macro = self.bind(CompiledMacro, "c")
        env = self.bind(self.env, "v")
        self.store(
            [node.name],
            f"{macro}({env}, {node.name!r}, {function}, {arguments!r}, "
            f"{self.bind(defaults, 'd')}, {self.autoescape!r})",
            scope,
        )

    # -- expressions ----------------------------------------------------------------------
    def fold(self, node: Any, scope: _Scope) -> Any:
        """``node``'s value when Jinja would fold it, the inlined globals being constants.

        ``_NOT_CONSTANT`` otherwise, and for mutable values (a list a template
        could change), which are built at each render as Jinja builds them.
        """
        names = [node] if isinstance(node, nodes.Name) else list(node.find_all(nodes.Name))
        values: dict[str, Any] = {}
        for name in names:
            if (
                name.ctx != "load"
                or name.name not in self.inline
                or scope.find(name.name) is not None
                or not _immutable(self.inline[name.name])
            ):
                return _NOT_CONSTANT
            values[name.name] = self.inline[name.name]
        if (
            values
            and self.autoescape
            and (isinstance(node, nodes.Concat) or any(True for _ in node.find_all(nodes.Concat)))
        ):
            # Jinja folds ~ with a plain join but runs it with markup_join:
            # the same only while no operand is Markup, as in template source.
            return _NOT_CONSTANT
        try:
            folded: Any = _substitute(node, values) if values else node
            value = folded.as_const(self.eval_ctx)
        except Exception:
            return _NOT_CONSTANT
        if not has_safe_repr(value):
            return _NOT_CONSTANT  # Jinja's optimizer folds only these
        self.inlined.update(values)
        return value

    def static_name(self, node: Any, scope: _Scope) -> Any:
        """The value of an inlined global named by ``node``, else ``_NOT_CONSTANT``."""
        if (
            isinstance(node, nodes.Name)
            and node.name in self.inline
            and scope.find(node.name) is None
            and node.name not in _SPECIAL_NAMES
        ):
            self.inlined.add(node.name)
            return self.inline[node.name]
        return _NOT_CONSTANT

    def expr(self, node: Any, scope: _Scope) -> str:
        value = self.fold(node, scope)
        if value is not _NOT_CONSTANT:
            return self.const(value)
        method = getattr(self, f"expr_{type(node).__name__}", None)
        if method is None:
            if type(node) in _BINARY:
                left = self.expr(node.left, scope)
                right = self.expr(node.right, scope)
                return f"({left} {_BINARY[type(node)]} {right})"
            if type(node) in _UNARY:
                operand = self.expr(node.node, scope)
                return f"({_UNARY[type(node)]}{operand})"
            raise Unsupported(type(node).__name__)
        result: str = method(node, scope)
        return result

    def expr_Name(self, node: nodes.Name, scope: _Scope) -> str:
        local = scope.lookup(node.name)
        if local is not None:
            return local
        if node.name in _SPECIAL_NAMES:
            raise Unsupported(f"special name {node.name}")
        if node.name in self.inline:
            # The global object itself (a dict stays the one the shop may change).
            self.inlined.add(node.name)
            value = self.inline[node.name]
            return repr(value) if type(value) in (str, int, bool, type(None)) else self.bind(value)
        return f"ns[{node.name!r}]"

    def expr_Getattr(self, node: nodes.Getattr, scope: _Scope) -> str:
        if self.speculative and node.attr.isidentifier() and not iskeyword(node.attr):
            return f"({self.expr(node.node, scope)}).{node.attr}"
        # getattr() with a default, inline; ga() (Environment.getattr) only
        # when the attribute is missing: an item, or Undefined.
        obj, value = self.temp(), self.temp()
        return (
            f"({value} if ({value} := getattr(({obj} := {self.expr(node.node, scope)}), "
            f"{node.attr!r}, NA)) is not NA else ga({obj}, {node.attr!r}))"
        )

    def expr_Getitem(self, node: nodes.Getitem, scope: _Scope) -> str:
        if isinstance(node.arg, nodes.Slice):
            raise Unsupported("slice")
        return f"gi({self.expr(node.node, scope)}, {self.expr(node.arg, scope)})"

    def arguments(self, node: nodes.Call | nodes.Filter | nodes.Test, scope: _Scope) -> str:
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            raise Unsupported("*args or **kwargs in a call")
        parts = [self.expr(arg, scope) for arg in node.args]
        parts += [f"{kw.key}={self.expr(kw.value, scope)}" for kw in node.kwargs]
        return "".join(f", {part}" for part in parts)

    def expr_Call(self, node: nodes.Call, scope: _Scope) -> str:
        direct = self.macro_call(node, scope, output=False)
        if direct is not None:
            return direct
        callee = self.static_name(node.node, scope)
        i18n = self.compiler.i18n_functions.get(id(callee)) if callee is not _NOT_CONSTANT else None
        if (
            i18n is not None
            and i18n[0] is callee
            and node.dyn_args is None
            and node.dyn_kwargs is None
        ):
            # The environment's own gettext or ngettext, inlined: its context-free twin.
            here = self.bind(self.eval_ctx, "x")
            return f"{self.bind(i18n[1], 'f')}(ns, {here}{self.arguments(node, scope)})"
        if (
            callee is not _NOT_CONSTANT
            and any(callee is pure for pure in self.compiler.pure)
            and not node.kwargs
            and node.dyn_args is None
            and node.dyn_kwargs is None
        ):
            return self.memo_call(callee, node, scope)
        here = self.bind(self.eval_ctx, "x")
        return f"call(ns, {here}, {self.expr(node.node, scope)}{self.arguments(node, scope)})"

    def memo_call(self, function: Any, node: nodes.Call, scope: _Scope) -> str:
        """A call of a pure function, answered from the last call when its arguments are the same.

        ``once`` gives the same fragment for the same arguments; a call site
        sees the same shop, theme and formatter message after message, so it
        keeps the last arguments and result and compares identities first.
        """
        args = [self.expr(arg, scope) for arg in node.args]
        site = self.bind([None], "q")
        last, given = self.temp(), self.temp()
        same = "".join(f" and {last}[0][{i}] is {given}[{i}]" for i in range(len(args)))
        packed = "".join(f"{a}, " for a in args)
        memo = self.bind(_memo, "f")
        fn = self.bind(function, "f")
        return (
            f"({last}[1] if (({given} := ({packed})) is not None"
            f" and ({last} := {site}[0]) is not None and len({last}[0]) == {len(args)}{same})"
            f" else {memo}({site}, {fn}, {given}))"
        )

    def macro_call(self, node: nodes.Expr, scope: _Scope, output: bool) -> str | None:
        """``m.name(args)`` for a macro of a module this template imported: a direct call.

        Guarded: the callee is looked up as usual and compared with the macro
        the import gave; anything else takes the general path. With
        ``output``, the fast branch gives the text Jinja would write.
        """
        if not (
            isinstance(node, nodes.Call)
            and isinstance(node.node, nodes.Getattr)
            and isinstance(node.node.node, nodes.Name)
            and node.node.node.name in self.imports
            and scope.find(node.node.node.name) is None
            and not node.kwargs
            and node.dyn_args is None
            and node.dyn_kwargs is None
        ):
            return None
        macro = getattr(self.imports[node.node.node.name], node.node.attr, None)
        if type(macro) is not CompiledMacro:
            return None
        if not macro.required <= len(node.args) <= len(macro.arguments):
            return None
        callee = self.temp()
        args = [self.expr(arg, scope) for arg in node.args]
        args += [self.const(v) for v in macro.tail[len(args) - macro.required :]]
        fast = f"{self.bind(macro.function, 'f')}({', '.join(args)})"
        if not output and self.autoescape:
            fast = f"{self.bind(Markup, 'c')}({fast})"
        here = self.bind(self.eval_ctx, "x")
        slow = f"call(ns, {here}, {callee}{''.join(f', {a}' for a in args[: len(node.args)])})"
        if output:
            slow = self.output(slow)
        guard = f"({callee} := {self.expr(node.node, scope)}) is {self.bind(macro, 'c')}"
        return f"({fast} if {guard} else {slow})"

    def _function(self, kind: str, function: Any) -> str:
        wrapped = getattr(function, "__wrapped__", None)
        code = getattr(function, "__code__", None)
        if not self.env.is_async and wrapped is not None and code is _ASYNC_VARIANT:
            # Jinja's sync-or-async dispatcher calls the sync filter in a sync
            # environment: call that directly, as it asks to be called.
            function = wrapped
        if function is jinja2.filters.sync_do_join:
            function = join_filter  # same results, the usual case faster
        pass_arg = _PassArg.from_obj(function)
        bound = self.bind(function, "f")
        if pass_arg is None:
            return f"{bound}("
        if pass_arg is _PassArg.eval_context:
            return f"{bound}({self.bind(self.eval_ctx, 'x')}, "
        if pass_arg is _PassArg.environment:
            return f"{bound}({self.bind(self.env, 'v')}, "
        raise Unsupported(f"{kind} that needs the context")

    def expr_Filter(self, node: nodes.Filter, scope: _Scope) -> str:
        return self._applied("filter", self.env.filters, node, scope)

    def expr_Test(self, node: nodes.Test, scope: _Scope) -> str:
        return self._applied("test", self.env.tests, node, scope)

    def _applied(
        self,
        kind: str,
        registry: Mapping[str, Any],
        node: nodes.Filter | nodes.Test,
        scope: _Scope,
    ) -> str:
        """``value|name(args)`` or ``value is name(args)``: the registered function, called."""
        function = registry.get(node.name)
        if function is None or node.node is None:  # a {% filter %} block has no node
            raise Unsupported(f"{kind} {node.name}")
        value = self.expr(node.node, scope)
        return f"{self._function(kind, function)}{value}{self.arguments(node, scope)})"

    def expr_Concat(self, node: nodes.Concat, scope: _Scope) -> str:
        if self.autoescape:
            join = self.bind(markup_join, "j")
            return f"{join}(({''.join(self.expr(n, scope) + ', ' for n in node.nodes)}))"
        # str_join: every part through str(), then joined.
        parts = []
        for part in node.nodes:
            value = self.fold(part, scope)
            if value is not _NOT_CONSTANT:
                parts.append(repr(str(value)))
            else:
                parts.append(f"str({self.expr(part, scope)})")
        return f"({' + '.join(parts)})"

    def expr_And(self, node: nodes.And, scope: _Scope) -> str:
        return f"({self.expr(node.left, scope)} and {self.expr(node.right, scope)})"

    def expr_Or(self, node: nodes.Or, scope: _Scope) -> str:
        return f"({self.expr(node.left, scope)} or {self.expr(node.right, scope)})"

    def expr_Compare(self, node: nodes.Compare, scope: _Scope) -> str:
        parts = [self.expr(node.expr, scope)]
        for operand in node.ops:
            parts += [_COMPARE[operand.op], self.expr(operand.expr, scope)]
        return f"({' '.join(parts)})"

    def expr_CondExpr(self, node: nodes.CondExpr, scope: _Scope) -> str:
        if node.expr2 is None:
            raise Unsupported("conditional expression without else")
        test = self.expr(node.test, scope)
        return f"({self.expr(node.expr1, scope)} if {test} else {self.expr(node.expr2, scope)})"

    def expr_Tuple(self, node: nodes.Tuple, scope: _Scope) -> str:
        return f"({''.join(self.expr(n, scope) + ', ' for n in node.items)})"

    def expr_List(self, node: nodes.List, scope: _Scope) -> str:
        return f"[{', '.join(self.expr(n, scope) for n in node.items)}]"

    def expr_Dict(self, node: nodes.Dict, scope: _Scope) -> str:
        pairs = (f"{self.expr(p.key, scope)}: {self.expr(p.value, scope)}" for p in node.items)
        return "{" + ", ".join(pairs) + "}"

    def expr_MarkSafe(self, node: nodes.MarkSafe, scope: _Scope) -> str:
        return f"{self.bind(Markup, 'c')}({self.expr(node.expr, scope)})"

    def expr_MarkSafeIfAutoescape(self, node: nodes.MarkSafeIfAutoescape, scope: _Scope) -> str:
        if self.autoescape:
            return f"{self.bind(Markup, 'c')}({self.expr(node.expr, scope)})"
        return self.expr(node.expr, scope)


def _memo(site: list[Any], function: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    value = function(*args)
    site[0] = (args, value)  # one assignment: readers see the old pair or the new one
    return value


class TemplateCompiler:
    """Compiles an environment's templates on first use and keeps them.

    :meth:`get` gives the compiled template, or ``None`` for a template Jinja
    must render (an unsupported construct, or a sandboxed environment).

    Args:
        environment: The Jinja environment whose templates are compiled.
        translations: The catalog installed new-style in ``environment``, if any.
        pure: Callables (among the globals) that return the same value for the
            same arguments, whose last result a call site may keep (``once``).
    """

    #: Renders that fell back to Jinja after which a template stays with Jinja.
    MAX_FAILURES = 8

    def __init__(
        self,
        environment: jinja2.Environment,
        translations: Any = None,
        pure: tuple[Any, ...] = (),
    ) -> None:
        self.environment = environment
        self.translations = translations
        self.pure = pure
        self._templates: dict[str, CompiledTemplate | None] = {}
        self._compiled: dict[tuple[str, bool, frozenset[str] | None, bool], Any] = {}
        self._trees: dict[str, nodes.Template] = {}
        self._lock = threading.RLock()
        undefined = environment.undefined
        self.namespace: type[dict[str, Any]] = type(
            "Namespace",
            (dict,),
            {"__slots__": (), "__missing__": lambda self, key: undefined(name=key)},
        )
        #: The environment's gettext functions, by id: (the function, its context-free twin).
        self.i18n_functions = self._i18n()
        self.helpers = self._helpers()
        #: The environment's globals, under each render's context; taken when
        #: the first template compiles (globals do not change after that).
        self.globals: dict[str, Any] = {}

    def get(self, name: str) -> CompiledTemplate | None:
        """The compiled template ``name``, or ``None`` when Jinja must render it."""
        try:
            return self._templates[name]
        except KeyError:
            pass
        with self._lock:
            if not self.globals:
                self.globals = dict(self.environment.globals)
            if name not in self._templates:
                try:
                    excluded = frozenset(self._stores(name, set()) & self.globals.keys())
                    template: CompiledTemplate | None = self.compile(name, False, excluded, True)
                    assert template is not None
                    template.variant = partial(self._variant, name, excluded)
                except Exception:
                    template = None
                self._templates[name] = template
        return self._templates[name]

    def _variant(self, name: str, excluded: frozenset[str], kind: str) -> CompiledTemplate:
        """The careful (globals written in) or generic variant of template ``name``."""
        with self._lock:
            variant: CompiledTemplate = self.compile(
                name, False, excluded if kind == "careful" else None
            )
        return variant

    def failed(self, template: CompiledTemplate) -> None:
        """A render of ``template`` failed and goes to Jinja."""
        template.failures += 1
        if template.failures >= self.MAX_FAILURES:
            self._templates[template.name] = None

    def _tree(self, name: str) -> nodes.Template:
        tree = self._trees.get(name)
        if tree is None:
            env = self.environment
            source, filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
            tree = self._trees[name] = env.parse(source, name, filename)
        return tree

    def _stores(self, name: str, seen: set[str]) -> set[str]:
        """Names assigned at the top level of ``name``, its parents and its includes."""
        if name in seen:
            return set()
        seen.add(name)
        tree = self._tree(name)
        names = _toplevel_stores(tree.body)
        for node in tree.find_all((nodes.Extends, nodes.Include)):
            template = getattr(node, "template", None)
            if isinstance(template, nodes.Const) and isinstance(template.value, str):
                names |= self._stores(template.value, seen)
        return names

    def compile(
        self,
        name: str,
        module: bool,
        excluded: frozenset[str] | None = None,
        speculative: bool = False,
    ) -> Any:
        """Compile ``name`` as a rendered template, or as an imported module.

        A rendered template has the globals outside ``excluded`` written in as
        constants; ``None`` compiles the generic variant. A module always has
        the globals it does not assign itself written in: no render context
        reaches it.
        """
        if module:
            excluded = frozenset(_toplevel_stores(self._tree(name).body))
        key = (name, module, excluded, speculative)
        if key in self._compiled:
            done = self._compiled[key]
            if done is None:
                raise Unsupported(f"{name} is being compiled (recursive import or extends)")
            return done
        self._compiled[key] = None
        try:
            inline = (
                {}
                if excluded is None
                else {k: v for k, v in self.globals.items() if k not in excluded}
            )
            generator = _CodeGenerator(self, name, module, inline, excluded, speculative)
            generator.template(self._tree(name))
            code = "\n".join(generator.src.lines)
            namespace: dict[str, Any] = {**self.helpers, **generator.globals}
            exec(compile(code, f"<compiled {name}>", "exec"), namespace)
            blocks = {block: namespace[function] for block, function in generator.blocks.items()}
            if module:
                ns = self.namespace(self.globals)
                body: list[str] = []
                namespace["init"](ns, body, {})
                exports = {k: ns[k] for k in generator.exported}
                result: Any = _Module(name, exports, "".join(body))
            else:
                if generator.extends is not None:
                    parent = self.compile(generator.extends, False, excluded, speculative)
                    blocks = {**parent.blocks, **blocks}
                result = CompiledTemplate(
                    name,
                    namespace["root"],
                    blocks,
                    self.namespace,
                    inlined=frozenset(generator.inlined),
                )
        except BaseException:
            del self._compiled[key]
            raise
        self._compiled[key] = result
        return result

    def module(self, name: str, speculative: bool = False) -> _Module:
        """The compiled module of template ``name``, as ``{% import %}`` binds it."""
        result: _Module = self.compile(name, True, None, speculative)
        return result

    def _helpers(self) -> dict[str, Any]:
        env = self.environment
        undefined = env.undefined
        i18n = {id(env.globals[n]) for n in _I18N_NAMES if n in env.globals}
        fast_i18n = self.i18n_functions
        # Callables seen to take their arguments as they are (no pass_context…),
        # by identity; the entry keeps the object alive, so its id stays its own.
        direct: dict[int, Any] = {}

        def ga(obj: Any, attribute: str) -> Any:
            # Environment.getattr: the attribute, else the item, else Undefined.
            try:
                return getattr(obj, attribute)
            except AttributeError:
                pass
            try:
                return obj[attribute]
            except (TypeError, LookupError, AttributeError):
                return undefined(obj=obj, name=attribute)

        def gi(obj: Any, argument: Any) -> Any:
            # Environment.getitem: the item, else the attribute, else Undefined.
            try:
                return obj[argument]
            except (AttributeError, TypeError, LookupError):
                if isinstance(argument, str):
                    try:
                        return getattr(obj, argument)
                    except AttributeError:
                        pass
                return undefined(obj=obj, name=argument)

        def call(
            ns: dict[str, Any], here: EvalContext, obj: Any, /, *args: Any, **kwargs: Any
        ) -> Any:
            # Context.call, for the callables the compiled code can serve; ``here``
            # is the calling template's evaluation context.
            if type(obj) is CompiledMacro:
                return obj.invoke(here.autoescape, args, kwargs)
            known = direct.get(id(obj))
            if known is not None and known is obj:
                try:
                    return obj(*args, **kwargs)
                except StopIteration:
                    return undefined(
                        "value was undefined because a callable raised a StopIteration"
                    )
            plain = obj
            if hasattr(obj, "__call__") and _PassArg.from_obj(obj.__call__) is not None:  # noqa: B004
                obj = obj.__call__
            pass_arg = _PassArg.from_obj(obj)
            if pass_arg is None and plain is obj and type(obj) is not MethodType:
                if len(direct) > 256:
                    direct.clear()
                direct[id(obj)] = obj
            if pass_arg is _PassArg.context:
                entry = fast_i18n.get(id(obj))
                if entry is not None and entry[0] is obj:
                    return entry[1](ns, here, *args, **kwargs)
                if id(obj) not in i18n:
                    raise Unsupported("a function that needs the template context")
                context = new_context(env, None, {}, ns, shared=True)
                context.eval_ctx = here
                return context.call(obj, *args, **kwargs)
            if pass_arg is _PassArg.eval_context:
                args = (here, *args)
            elif pass_arg is _PassArg.environment:
                args = (env, *args)
            try:
                return obj(*args, **kwargs)
            except StopIteration:
                return undefined("value was undefined because a callable raised a StopIteration")

        self._call = call
        return {"ga": ga, "gi": gi, "call": call, "NA": _NOT_AN_ATTRIBUTE}

    def _i18n(self) -> dict[int, tuple[Any, Callable[..., Any]]]:
        """Jinja's new-style ``gettext``, ``ngettext`` and ``_``, minus the context.

        Each does what ``jinja2.ext`` does with the catalog it installed: look
        the text up, make it ``Markup`` in an escaping template, then ``%`` the
        variables in. Used only when the environment's globals are exactly the
        functions installed for ``translations``.
        """
        env, translations = self.environment, self.translations
        if translations is None or not env.globals.get("ngettext"):
            return {}
        # A catalog does not change once loaded: its answers are kept.
        lookup = lru_cache(4096)(getattr(translations, "ugettext", None) or translations.gettext)
        plural = lru_cache(4096)(getattr(translations, "ungettext", None) or translations.ngettext)
        counted: dict[tuple[str, str, int, int, bool], Any] = {}

        def gettext(ns: dict[str, Any], here: EvalContext, string: str, /, **variables: Any) -> Any:
            return _interpolate(lookup(string), variables, here.autoescape)

        def ngettext(
            ns: dict[str, Any],
            here: EvalContext,
            singular: str,
            plural_: str,
            num: int,
            /,
            **variables: Any,
        ) -> Any:
            count = variables.get("count", num)
            if (
                type(num) is int
                and type(count) is int
                and len(variables) == ("count" in variables)  # no variable but count
            ):
                # "{{ count }} items" is the same text for the same count: kept.
                key = (singular, plural_, num, count, here.autoescape)
                text = counted.get(key)
                if text is None:
                    variables.setdefault("num", num)
                    text = _interpolate(plural(singular, plural_, num), variables, here.autoescape)
                    if len(counted) >= 4096:
                        counted.clear()
                    counted[key] = text
                return text
            variables.setdefault("num", num)
            return _interpolate(plural(singular, plural_, num), variables, here.autoescape)

        def alias(ns: dict[str, Any], here: EvalContext, /, *args: Any, **kwargs: Any) -> Any:
            return self._call(ns, here, ns["gettext"], *args, **kwargs)

        functions: dict[str, Callable[..., Any]] = {
            "gettext": gettext,
            "ngettext": ngettext,
            "_": alias,
        }
        return {
            id(env.globals[name]): (env.globals[name], function)
            for name, function in functions.items()
        }


def iter_templates(compiler: TemplateCompiler) -> Iterator[str]:
    """Names of the templates compiled so far (for tests and diagnostics)."""
    yield from (name for name, template in compiler._templates.items() if template is not None)
