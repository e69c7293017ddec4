"""The merchant sandbox: Jinja's immutable sandbox, allow-lists, and a budget for each render.

Templates a merchant edits in a back office are strings from a database,
written by people who are not the shop's developers. They render in
:class:`MerchantSandbox`, an
:class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` set up through the
sandbox's documented hooks (``call``, ``getattr``, ``getitem``,
``is_safe_attribute``, ``is_safe_callable``, ``call_binop``, ``call_unop``):

* **What a template may reach.** Jinja's immutable sandbox already refuses
  attributes starting with ``_`` and the methods that change a list, dict or
  set. On top of it: no ``str.format`` or ``format_map`` (the CVE-2024-56326
  and CVE-2025-27516 family), no pydantic machinery on models (``model_*``,
  ``copy``, ``json``…), no class or module as a value, no method bound to a
  class; and on builtin values (strings, numbers, lists, dicts) only the
  methods that cannot build a bigger value (``upper``, ``split``,
  ``startswith``…, not ``ljust``, ``replace`` or ``join``: the filters of the
  same names check sizes).
* **Allow-lists.** Filters (:data:`MERCHANT_FILTERS`) and globals
  (:data:`MERCHANT_GLOBALS`) are the packaged templates' own and Jinja's
  harmless ones, each call counted and its result's size checked; those that
  can build a big value (``center``, ``indent``, ``wordwrap``, ``replace``,
  ``join``, ``format``, ``lipsum``, ``range``, ``_()``…) work out the size of
  their result before they run.
* **Operators.** ``+ - * / // % **`` and unary ``+ -`` are intercepted, so
  Jinja never constant-folds them while compiling, and ``**``, ``*`` and
  ``%`` work out their result's size before computing it: neither saving nor
  rendering ``{{ 10 ** (10 ** 9) }}`` computes anything big.
* **A budget per render** (:class:`StepBudget`), made afresh by
  :meth:`MerchantSandbox.budget` and reached through a
  :class:`~contextvars.ContextVar` — never shared between renders or threads.

The cost model, in steps: one for each call (a function, method, macro,
filter or ``once``), each attribute or item look-up, each operator, each loop
iteration, each number ``range()`` yields, each ``{{ … }}`` value and each
chunk of output; producing a value costs one more step for every 256
characters in it. ``{% for i in range(n) %}.{% endfor %}`` costs three steps
an iteration: the number from ``range``, the iteration, the chunk written.

Bounds hold by construction: every value a render builds is checked before
or as it is made (no value over :attr:`SandboxLimits.output_chars`
characters, no number over 4,300 digits), every repetition is paid for in
steps, and the output stops at :attr:`SandboxLimits.output_chars`. To count
loops and the values built by ``~`` and by literal lists, tuples and dicts —
which no hook sees — :meth:`MerchantSandbox.compile` routes those nodes of the
parsed template (Jinja's public AST, :mod:`jinja2.nodes`) through the
environment's own methods, as extensions do with
:class:`~jinja2.nodes.EnvironmentAttribute`. Nothing of a template runs while
it compiles: the hooks refuse to work outside a budget, so Jinja's optimizer
folds no merchant expression at save time.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from jinja2 import nodes, pass_context, pass_eval_context
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import BaseModel

from ..errors import RenderError

if TYPE_CHECKING:
    from types import CodeType

__all__ = [
    "MERCHANT_FILTERS",
    "MERCHANT_GLOBALS",
    "MerchantSandbox",
    "SandboxLimits",
    "StepBudget",
    "check_source",
    "weigh",
]

_T = TypeVar("_T")

KB = 1024
#: Producing a value costs one step for every this many characters in it.
CHARS_PER_STEP = 256
#: Python's own limit for turning an integer into text; no merchant number is longer.
MAX_DIGITS = 4300


@dataclass(frozen=True)
class SandboxLimits:
    """How big a merchant template may be, and how much one render of it may do.

    Attributes:
        source_bytes: The largest template source accepted, in UTF-8 bytes
            (64 KB).
        steps: The steps one render may take (see the cost model in
            :mod:`relationclient.rendering.sandbox`); a packaged email takes a
            few hundred.
        output_chars: The most characters one render may write (200 KB), and
            the largest value it may build.
    """

    source_bytes: int = 64 * KB
    steps: int = 100_000
    output_chars: int = 200 * KB


def check_source(name: str, source: object, limits: SandboxLimits) -> None:
    """Refuse a merchant template that is not text or is over ``limits.source_bytes``.

    Raises:
        RenderError: Naming the template.
    """
    if not isinstance(source, str):
        raise RenderError(
            f"merchant template {name!r} is a {type(source).__name__}, not text", template=name
        )
    size = len(source.encode("utf-8", "replace"))
    if size > limits.source_bytes:
        raise RenderError(
            f"merchant template {name!r} is {size} bytes, over the "
            f"{limits.source_bytes}-byte limit for a merchant template",
            template=name,
        )


def weigh(value: Any, limit: int) -> int:
    """About how many characters ``value`` prints as, counted no further than just past ``limit``.

    Strings count their length, numbers their digits, lists, tuples, sets and
    dicts their items plus brackets and separators; anything else counts 1
    (a model or a macro: what it prints is the shop's data, not something the
    template built). Items shared between containers count each time, as they
    print, so a structure that doubles itself is caught after ``limit`` items,
    never walked whole.
    """
    total = 0
    todo = [value]
    while todo and total <= limit:
        item = todo.pop()
        if isinstance(item, str | bytes | bytearray):
            total += len(item)
        elif isinstance(item, bool) or item is None:
            total += 1
        elif isinstance(item, int):
            total += item.bit_length() * 3 // 10 + 1
        elif isinstance(item, Decimal):
            total += _decimal_digits(item)
        elif isinstance(item, float):
            total += 24
        elif isinstance(item, list | tuple | set | frozenset | dict):
            total += 2 + 2 * len(item)
            if total <= limit:
                todo.extend(item.items() if isinstance(item, dict) else item)
        else:
            total += 1
    return total


def _decimal_digits(value: Decimal) -> int:
    """The digits of ``value`` written out in full (``1E+9`` is ten), plus sign and point."""
    if not value.is_finite():
        return 4
    return max(value.adjusted() + 1, len(value.as_tuple().digits)) + 2


def _too_long(value: Any) -> bool:
    """Whether ``value`` is a number of more than :data:`MAX_DIGITS` digits."""
    if isinstance(value, int):
        return value.bit_length() * 3 // 10 > MAX_DIGITS
    return isinstance(value, Decimal) and value.is_finite() and value.adjusted() >= MAX_DIGITS


class StepBudget:
    """What one render of a merchant template has spent: steps, and characters written.

    Made afresh for each render by :meth:`MerchantSandbox.budget`. Going over
    a limit raises :class:`~relationclient.RenderError` naming ``template``.

    Attributes:
        template: The template being rendered.
        limits: The limits it renders under.
        steps: Steps taken so far.
        output: Characters written so far.
    """

    def __init__(self, template: str, limits: SandboxLimits) -> None:
        self.template = template
        self.limits = limits
        self.steps = 0
        self.output = 0

    def refuse(self, what: str) -> RenderError:
        """The error for this render's template doing ``what``."""
        return RenderError(f"merchant template {self.template!r} {what}", template=self.template)

    def spend(self, steps: int = 1) -> None:
        """Count ``steps`` more; past the budget, stop the render."""
        self.steps += steps
        if self.steps > self.limits.steps:
            raise self.refuse(
                f"took more than {self.limits.steps} steps (loop iterations, calls, "
                "look-ups, values written) and was stopped"
            )

    def check_size(self, size: int, what: str) -> None:
        """Refuse to make ``what`` when its ``size`` (worked out beforehand) is over the limit."""
        if size > self.limits.output_chars:
            raise self.refuse(
                f"would make a value of more than {self.limits.output_chars} characters "
                f"with {what}, and was stopped before making it"
            )

    def produced(self, value: _T) -> _T:
        """``value``, just made by the template, once its size is checked and paid for."""
        limit = self.limits.output_chars
        size = weigh(value, limit)
        if size > limit:
            raise self.refuse(
                f"made a value of more than {limit} characters ({type(value).__name__})"
            )
        if _too_long(value):
            raise self.refuse(f"made a number of more than {MAX_DIGITS} digits")
        if size >= CHARS_PER_STEP:
            self.spend(size // CHARS_PER_STEP)
        return value

    def emit(self, chunk: str) -> str:
        """``chunk`` of output, counted: a step, and its characters against ``output_chars``."""
        self.spend()
        self.output += len(chunk)
        if self.output > self.limits.output_chars:
            raise self.refuse(
                f"wrote more than {self.limits.output_chars} characters and was stopped"
            )
        return chunk

    def collect(self, chunks: Iterable[str]) -> str:
        """The output of a render (its chunks, as Jinja yields them), each chunk counted."""
        return "".join([self.emit(chunk) for chunk in chunks])


#: The budget of the render running in this thread or task, if any.
_BUDGET: ContextVar[StepBudget | None] = ContextVar("relationclient_merchant_budget", default=None)


def _active() -> StepBudget:
    """The budget of the render in progress; a merchant template runs only inside one."""
    budget = _BUDGET.get()
    if budget is None:
        # Also what keeps Jinja's optimizer from evaluating anything while compiling.
        raise SecurityError("merchant templates run only inside a render, within its budget")
    return budget


# -- what a template may reach -----------------------------------------------------------

_FORMAT_METHODS = frozenset({"format", "format_map"})
#: Everything pydantic defines on ``BaseModel``: machinery, not shop data.
_PYDANTIC_NAMES = frozenset(dir(BaseModel))
#: Methods of builtin values a template may call: none can build a bigger value.
_BUILTIN_METHODS: tuple[tuple[tuple[type, ...], frozenset[str]], ...] = (
    (
        (str,),
        frozenset(
            {
                *("capitalize", "casefold", "count", "endswith", "find", "index"),
                *("isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "isidentifier"),
                *("islower", "isnumeric", "isprintable", "isspace", "istitle", "isupper"),
                *("lower", "lstrip", "partition", "removeprefix", "removesuffix", "rfind"),
                *("rindex", "rpartition", "rsplit", "rstrip", "split", "splitlines"),
                *("startswith", "strip", "swapcase", "title", "upper"),
            }
        ),
    ),
    ((dict,), frozenset({"copy", "get", "items", "keys", "values"})),
    ((list, tuple), frozenset({"copy", "count", "index"})),
    (
        (set, frozenset),
        frozenset(
            {
                *("copy", "difference", "intersection", "isdisjoint", "issubset"),
                *("issuperset", "symmetric_difference", "union"),
            }
        ),
    ),
    ((int, float, Decimal, complex, bytes, bytearray), frozenset({"conjugate", "is_integer"})),
)


def _is_str_format(obj: Any) -> bool:
    """Whether ``obj`` is a string's ``format`` or ``format_map`` (or Jinja's wrapper of one)."""
    target = getattr(obj, "__wrapped__", obj)
    return getattr(target, "__name__", None) in _FORMAT_METHODS and isinstance(
        getattr(target, "__self__", None), str
    )


def _refused_by_name(obj: Any, name: Any) -> bool:
    """Whether ``obj.name`` is refused before it is even read.

    Jinja reads an attribute before asking whether it is safe; these are
    never read at all: a string's ``format``, and pydantic's machinery on a
    model (reading some of it warns, or computes a schema).
    """
    if not isinstance(name, str):
        return False
    if isinstance(obj, str):
        return name in _FORMAT_METHODS
    return isinstance(obj, BaseModel) and (name in _PYDANTIC_NAMES or name.startswith("model_"))


def _bound_to_class(obj: Any) -> bool:
    """Whether ``obj`` is a method bound to a class (a classmethod: ``model_rebuild``…)."""
    return isinstance(getattr(obj, "__self__", None), type)


# -- sizes worked out before an operation runs -----------------------------------------

_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?(.)", re.DOTALL)
#: Room for the digits of one number a ``%`` conversion writes (``%f`` of 1e308: 316).
_PRINTF_SLACK = 320


def _printf_size(template: str, values: Any, limit: int) -> int:
    """About how long ``template % values`` is: the text, the values, and every width."""
    size = len(template) + weigh(values, limit)
    for width, precision, conversion in _PRINTF.findall(template):
        if conversion == "%":
            continue
        for number in (width, precision):
            if number == "*" or len(number) > 7:
                return limit + 1
            size += int(number or 0)
        size += _PRINTF_SLACK
    return size


def _operation_size(operator: str, left: Any, right: Any, limit: int) -> int:
    """About how big ``left <operator> right`` is, worked out without computing it (0: small)."""
    if operator == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            return left.bit_length() * right * 3 // 10
    elif operator == "*":
        for sequence, times in ((left, right), (right, left)):
            if isinstance(sequence, str | list | tuple) and isinstance(times, int):
                return weigh(sequence, limit) * max(times, 0)
    elif operator == "%" and isinstance(left, str):
        return _printf_size(left, right, limit)
    return 0


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


# Each takes the size limit first, then the arguments of the filter or global it sizes
# (positional-only, so that no keyword a template passes can collide).
def _center_size(limit: int, value: Any, /, width: int = 80) -> int:
    return len(_text(value)) + max(width, 0)


def _indent_size(
    limit: int, value: Any, /, width: int | str = 4, first: bool = False, blank: bool = False
) -> int:
    text = _text(value)
    step = len(width) if isinstance(width, str) else max(width, 0)
    return len(text) + (text.count("\n") + 1) * step


def _wordwrap_size(
    limit: int,
    value: Any,
    /,
    width: int = 79,
    break_long_words: bool = True,
    wrapstring: str | None = None,
    break_on_hyphens: bool = True,
) -> int:
    # At most one line break per character.
    return len(_text(value)) * (1 + len(wrapstring or "\n"))


def _replace_size(limit: int, value: Any, old: Any, new: Any, /, count: int | None = None) -> int:
    text, old, new = _text(value), _text(old), _text(new)
    times = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        times = min(times, count)
    return len(text) + times * max(len(new) - len(old), 0)


def _join_size(limit: int, value: list[Any], /, d: Any = "", attribute: Any = None) -> int:
    return weigh(value, limit) + len(value) * len(_text(d))


def _format_size(limit: int, value: Any, /, *args: Any, **kwargs: Any) -> int:
    return _printf_size(_text(value), kwargs or args, limit)


def _batch_size(limit: int, value: Any, linecount: int, /, fill_with: Any = None) -> int:
    return max(linecount, 0)


def _slice_size(limit: int, value: Any, slices: int, /, fill_with: Any = None) -> int:
    return max(slices, 0)


def _columns_size(limit: int, left: Any, right: Any, /, width: int = 64) -> int:
    return len(_text(left)) + len(_text(right)) + max(width, 2)


def _round_size(limit: int, value: Any, /, precision: int = 0, method: str = "common") -> int:
    # "floor" and "ceil" compute 10 ** precision: a number that long.
    if method != "common" and abs(precision) > MAX_DIGITS:
        return limit + 1
    return 0


def _lipsum_size(
    limit: int, /, n: int = 5, html: bool = True, min: int = 20, max: int = 100
) -> int:
    # A paragraph has at most ``max`` words of at most 12 letters and a space, and its tags.
    return n * ((max if max > min else min) * 13 + 8)


def _gettext_size(limit: int, /, *args: Any, **variables: Any) -> int:
    # Each text is a ``%`` template filled with the keywords.
    sizes = [_printf_size(text, variables, limit) for text in args if isinstance(text, str)]
    return max(sizes, default=0)


#: Filters a merchant template may use, with how to size the result of those
#: that can build a big value. The packaged templates use ``columns``,
#: ``join``, ``textlines``, ``quoted``, ``blocks``, ``ltr`` and ``plain`` (whose
#: results grow with their input only); the others are Jinja's harmless ones.
_FILTERS: dict[str, Callable[..., int] | None] = {
    "abs": None,
    "batch": _batch_size,
    "blocks": None,
    "capitalize": None,
    "center": _center_size,
    "columns": _columns_size,
    "count": None,
    "d": None,
    "default": None,
    "dictsort": None,
    "e": None,
    "escape": None,
    "filesizeformat": None,
    "first": None,
    "float": None,
    "forceescape": None,
    "format": _format_size,
    "groupby": None,
    "indent": _indent_size,
    "int": None,
    "items": None,
    "join": _join_size,
    "last": None,
    "length": None,
    "list": None,
    "lower": None,
    "ltr": None,
    "map": None,
    "max": None,
    "min": None,
    "plain": None,
    "quoted": None,
    "reject": None,
    "rejectattr": None,
    "replace": _replace_size,
    "reverse": None,
    "round": _round_size,
    "select": None,
    "selectattr": None,
    "slice": _slice_size,
    "sort": None,
    "string": None,
    "striptags": None,
    "sum": None,
    "textlines": None,
    "title": None,
    "trim": None,
    "truncate": None,
    "unique": None,
    "upper": None,
    "urlencode": None,
    "wordcount": None,
    "wordwrap": _wordwrap_size,
}
#: The filters merchant templates may use.
MERCHANT_FILTERS = frozenset(_FILTERS)
_GETTEXT = ("gettext", "ngettext", "pgettext", "npgettext")
#: The globals merchant templates may use: Jinja's harmless ones (``range`` and
#: ``lipsum`` bounded), gettext's, and the packaged templates' own.
MERCHANT_GLOBALS = frozenset(
    {"range", "lipsum", "dict", "namespace", "cycler", "joiner", "_", *_GETTEXT}
    | {"once", "rule", "br", "colon", "comma"}
)


def _checked_filter(
    name: str, original: Callable[..., Any], size: Callable[..., int] | None
) -> Callable[..., Any]:
    """Filter ``name``, counted as a step, its result sized before (``size``) and after it runs."""

    @pass_context
    def checked(context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _active()
        budget.spend()
        if size is not None:
            if name == "join" and not isinstance(value, list):
                value = list(value)
            estimate = size(budget.limits.output_chars, value, *args, **kwargs)
            budget.check_size(estimate, f"the {name} filter")
        return budget.produced(context.call(original, value, *args, **kwargs))

    return checked


def _sized_global(
    name: str, original: Callable[..., Any], size: Callable[..., int]
) -> Callable[..., Any]:
    """Global ``name``, its result sized before it runs (the call itself is counted by ``call``)."""

    @pass_context
    def checked(context: Context, *args: Any, **kwargs: Any) -> Any:
        budget = _active()
        budget.check_size(size(budget.limits.output_chars, *args, **kwargs), f"{name}()")
        return context.call(original, *args, **kwargs)

    return checked


class _Counted:
    """An iterable whose every item costs a step: what a merchant ``{% for %}`` loops over."""

    __slots__ = ("_budget", "_items")

    def __init__(self, items: Any, budget: StepBudget) -> None:
        self._items = items
        self._budget = budget

    def __iter__(self) -> Iterator[Any]:
        for item in self._items:
            self._budget.spend()
            yield item

    def __len__(self) -> int:  # for loop.length, loop.last…
        return len(self._items)


@pass_eval_context
def _finalize(eval_ctx: nodes.EvalContext, value: Any) -> Any:
    """Every ``{{ … }}`` value: a step, and its size checked and paid for before it is printed."""
    budget = _active()
    budget.spend()
    return budget.produced(value)


def _through(method: str, *args: nodes.Node, lineno: int) -> nodes.Call:
    """A call of the sandbox's ``method`` on ``args``, made through the sandbox's ``call``."""
    target = nodes.EnvironmentAttribute(method, lineno=lineno)
    return nodes.Call(target, list(args), [], None, None, lineno=lineno)


def _bound(node: nodes.Node) -> nodes.Node:
    """``node``, its loops counted, its ``~`` and literal lists, tuples and dicts sized."""
    for field, value in node.iter_fields():
        if isinstance(value, list):
            value[:] = [_bound(item) if isinstance(item, nodes.Node) else item for item in value]
        elif isinstance(value, nodes.Node):
            setattr(node, field, _bound(value))
    if isinstance(node, nodes.For):
        node.iter = _through("merchant_loop", node.iter, lineno=node.lineno)
    elif (
        isinstance(node, nodes.Call)
        and isinstance(node.node, nodes.Name)
        and node.node.name == "loop"
        and node.args
    ):
        # loop(children) in a recursive loop: its items are counted too.
        node.args[0] = _through("merchant_loop", node.args[0], lineno=node.lineno)
    elif isinstance(node, nodes.Concat):
        return _through("merchant_concat", *node.nodes, lineno=node.lineno)
    elif isinstance(node, nodes.List | nodes.Dict) or (
        isinstance(node, nodes.Tuple) and node.ctx == "load"
    ):
        return _through("merchant_value", node, lineno=node.lineno)
    return node


class MerchantSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox for merchant templates: allow-lists, sizes, a budget per render.

    Build it like an :class:`~jinja2.Environment`, add the shop's filters and
    globals, then call :meth:`seal`. Render only inside :meth:`budget`::

        with env.budget(name) as budget:
            text = budget.collect(env.get_template(name).generate(context))

    Args:
        limits: The limits of every template and render; defaults otherwise.
        options: Passed on to :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment`.
    """

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})
    intercepted_unops = frozenset({"+", "-"})

    def __init__(self, *, limits: SandboxLimits | None = None, **options: Any) -> None:
        super().__init__(finalize=_finalize, **options)
        self.limits = limits or SandboxLimits()
        self._sealed = False

    @contextmanager
    def budget(self, template: str) -> Iterator[StepBudget]:
        """A fresh budget for one render of ``template``, in force inside the ``with`` block."""
        budget = StepBudget(template, self.limits)
        token = _BUDGET.set(budget)
        try:
            yield budget
        finally:
            _BUDGET.reset(token)

    def seal(self) -> None:
        """Keep only the allow-listed filters and globals, each wrapped in the budget's checks.

        Call it once the environment's own filters and globals are in place
        (``columns``, ``once``, the gettext functions…).
        """
        if self._sealed:
            return
        self.filters = {
            name: _checked_filter(name, self.filters[name], size)
            for name, size in _FILTERS.items()
            if name in self.filters
        }
        kept: dict[str, Any] = {
            name: self.globals[name] for name in MERCHANT_GLOBALS if name in self.globals
        }
        for name in _GETTEXT:
            if name in kept:
                kept[name] = _sized_global(name, kept[name], _gettext_size)
        if "gettext" in kept:
            kept["_"] = kept["gettext"]
        if "lipsum" in kept:
            kept["lipsum"] = _sized_global("lipsum", kept["lipsum"], _lipsum_size)
        kept["range"] = self.merchant_range
        self.globals.clear()
        self.globals.update(kept)
        self._sealed = True

    # -- compiling: nothing runs, loops and built values are routed through the budget --
    @overload
    def compile(
        self,
        source: str | nodes.Template,
        name: str | None = None,
        filename: str | None = None,
        raw: Literal[False] = False,
        defer_init: bool = False,
    ) -> CodeType: ...

    @overload
    def compile(
        self,
        source: str | nodes.Template,
        name: str | None = None,
        filename: str | None = None,
        raw: Literal[True] = ...,
        defer_init: bool = False,
    ) -> str: ...

    def compile(
        self,
        source: str | nodes.Template,
        name: str | None = None,
        filename: str | None = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> str | CodeType:
        """Compile ``source`` with its loops counted and its ``~`` and literals sized.

        No budget is in force while compiling, so no hook works and Jinja's
        optimizer evaluates nothing of the template.
        """
        token = _BUDGET.set(None)
        try:
            tree = self.parse(source, name, filename) if isinstance(source, str) else source
            _bound(tree)
            tree.set_environment(self)
            if raw:
                return super().compile(tree, name, filename, True, defer_init)
            return super().compile(tree, name, filename, False, defer_init)
        finally:
            _BUDGET.reset(token)

    # -- the environment methods compiled templates call ----------------------------------
    def merchant_loop(self, items: Any) -> _Counted:
        """What a ``{% for %}`` loops over: ``items``, a step for each."""
        return _Counted(items, _active())

    @pass_eval_context
    def merchant_concat(self, eval_ctx: nodes.EvalContext, *parts: Any) -> str:
        """``a ~ b ~ …``, its length worked out before the text is joined."""
        budget = _active()
        limit = self.limits.output_chars
        size = 0
        for part in parts:
            size += weigh(part, limit)
            budget.check_size(size, "~")
        join = markup_join if eval_ctx.autoescape or eval_ctx.volatile else str_join
        return join(parts)

    def merchant_value(self, value: _T) -> _T:
        """A literal list, tuple or dict (the ``call`` it goes through sizes it)."""
        return value

    def merchant_range(self, *args: int) -> range:
        """``range()``, each number it yields paid for in steps up front."""
        numbers = range(*args)
        try:
            count = len(numbers)
        except OverflowError:
            count = self.limits.steps + 1
        _active().spend(count)
        return numbers

    # -- the sandbox's hooks -------------------------------------------------------------
    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """Jinja's immutable rules, and more.

        No class, module or classmethod as a value, no pydantic machinery on a
        model, and only the allow-listed methods of builtin values.
        """
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if isinstance(value, type | types.ModuleType) or _bound_to_class(value):
            return False
        if _refused_by_name(obj, attr):
            return False
        for kinds, methods in _BUILTIN_METHODS:
            if isinstance(obj, kinds):
                return attr in methods or not callable(value)
        return True

    def is_safe_callable(self, obj: Any) -> bool:
        """Jinja's rules, then: no ``str.format``/``format_map``, no classmethod."""
        return (
            super().is_safe_callable(obj) and not _is_str_format(obj) and not _bound_to_class(obj)
        )

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``obj.attribute``, a step; a string's ``format``, a model's machinery: refused unread."""
        _active().spend()
        if _refused_by_name(obj, attribute):
            return self.unsafe_undefined(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """``obj[argument]``, a step; a string's ``format``, a model's machinery: refused unread."""
        _active().spend()
        if _refused_by_name(obj, argument):
            return self.unsafe_undefined(obj, argument)
        return super().getitem(obj, argument)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """A call from the template, a step; its result sized and paid for."""
        budget = _active()
        budget.spend()
        return budget.produced(super().call(__context, __obj, *args, **kwargs))

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """An operator, a step; ``**``, ``*`` and ``%`` sized before they compute."""
        budget = _active()
        budget.spend()
        limit = self.limits.output_chars
        budget.check_size(_operation_size(operator, left, right, limit), repr(operator))
        return budget.produced(super().call_binop(context, operator, left, right))

    def call_unop(self, context: Context, operator: str, arg: Any) -> Any:
        """Unary ``+`` or ``-``, a step."""
        _active().spend()
        return super().call_unop(context, operator, arg)
