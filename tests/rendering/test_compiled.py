"""Differential tests: a compiled template renders the same bytes as Jinja, or Jinja renders it.

Every case renders one template from one context twice through
``TemplateCompiler`` (``CompiledTemplate.render``) and through Jinja, on two
environments built alike, and requires identical text. It also goes through
``render_template`` with and without the compiler attached, where any error of
the compiled path falls back to Jinja: the text, or the ``RenderError``, must
be the same. Case ids start with ``compiles-`` when the compiler is expected
to take the template (asserted), ``fallback-`` when it is expected to refuse it
(asserted), ``any-`` when either is acceptable.

A case found to diverge is kept here as a regression test once fixed: among
them, Markup values in translated text, ``~`` with Markup globals, constant
iterators and containers folded once, mutable macro defaults, conditional
``{% extends %}``, macros reading a variable their template sets, a printed
module, iterators in the context, and Jinja's sync filter wrappers.
"""

from __future__ import annotations

import gettext
import io
import itertools
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from markupsafe import Markup, escape

from relationclient import Composer, samples
from relationclient.errors import RenderError
from relationclient.messages import Kind
from relationclient.rendering.compiled import CompiledTemplate, TemplateCompiler
from relationclient.rendering.environment import (
    Fragments,
    build_environment,
    render_template,
    render_with_blocks,
)

# -- a French catalog, built in memory ----------------------------------------------------

PO = r"""
msgid ""
msgstr ""
"Language: fr\n"
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\n"

msgid "Hello"
msgstr "Bonjour"

msgid "Hello %(name)s"
msgstr "Bonjour %(name)s"

msgid "It's <b>%(who)s</b> & co"
msgstr "C'est <b>%(who)s</b> & cie"

msgid "Write to %(link)s, it's free"
msgstr "Écrivez à %(link)s, c'est gratuit"

msgid "%(count)s item"
msgid_plural "%(count)s items"
msgstr[0] "%(count)s article"
msgstr[1] "%(count)s articles"

msgid "%(num)s apple"
msgid_plural "%(num)s apples"
msgstr[0] "%(num)s pomme"
msgstr[1] "%(num)s pommes"

msgid "100%% sure"
msgstr "sûr à 100%%"
"""


def french() -> Translations:
    catalog = read_po(io.StringIO(PO), locale="fr")
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


FR = french()


def test_the_catalog_translates() -> None:
    assert FR.gettext("Hello") == "Bonjour"
    assert FR.ngettext("%(count)s item", "%(count)s items", 2) == "%(count)s articles"
    assert FR.ngettext("%(count)s item", "%(count)s items", 1) == "%(count)s article"
    assert FR.gettext("untranslated") == "untranslated"


# -- context values -----------------------------------------------------------------------


class Thing:
    """An object with attributes, a method, a property raising AttributeError, and items."""

    def __init__(self, name: str = "<thing>", price: Any = Decimal("9.90")) -> None:
        self.name = name
        self.price = price
        self.tags = ["a", "<b>"]

    def shout(self, suffix: str = "!") -> str:
        return self.name.upper() + suffix

    @property
    def broken(self) -> str:
        raise AttributeError("no broken here")

    def __getitem__(self, key: str) -> str:
        if key == "special":
            return "item:special"
        raise KeyError(key)


class Plain:
    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


class Html:
    def __html__(self) -> str:
        return "<em>html</em>"

    def __str__(self) -> str:
        return "<str>"


def explode() -> str:
    raise ValueError("exploded on purpose")


def numbers(n: int) -> Iterator[int]:
    yield from range(n)


@jinja2.pass_eval_context
def wrap_eval(eval_ctx: Any, value: Any) -> Any:
    text = f"[{value}]"
    return Markup(text) if eval_ctx.autoescape else text


@jinja2.pass_environment
def wrap_env(environment: jinja2.Environment, value: Any) -> str:
    return f"{type(environment.undefined).__name__}:{value}"


@jinja2.pass_context
def from_context(context: Any, key: str) -> Any:
    return context.get(key, "none")


def add_suffix(value: Any, suffix: str = "!") -> str:
    return f"{value}{suffix}"


def is_odd(value: int) -> bool:
    return value % 2 == 1


# -- environments -------------------------------------------------------------------------

GLOBALS: dict[str, Any] = {
    "rule": "-" * 8,
    "br": Markup("<br>"),
    "site": "Shop & Co",
    "numbers": numbers,
    "settings": {"mode": "live"},
}


def environment(
    templates: Mapping[str, str], translations: Any = FR
) -> tuple[jinja2.Environment, TemplateCompiler]:
    """A plain Jinja environment (no compiler attached) and a compiler over a twin of it."""
    env = jinja2.Environment(
        loader=jinja2.DictLoader(dict(templates)),
        autoescape=jinja2.select_autoescape(["html"], default_for_string=False),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(GLOBALS)
    env.filters.update(
        wrap_eval=wrap_eval, wrap_env=wrap_env, from_context=from_context, suffix=add_suffix
    )
    env.tests["odd"] = is_odd
    return env, TemplateCompiler(env, translations)


def pair(
    templates: Mapping[str, str], translations: Any = FR
) -> tuple[jinja2.Environment, jinja2.Environment, TemplateCompiler]:
    """``(reference, compiled, compiler)``: two twin environments, the second with the compiler."""
    reference, _ = environment(templates, translations)
    env, compiler = environment(templates, translations)
    env.extend(relationclient_compiler=compiler)
    return reference, env, compiler


def outcome(function: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "ok", function()
    except Exception as exc:
        return "error", (type(exc).__name__, str(exc))


Context = Mapping[str, Any] | Callable[[], Mapping[str, Any]]


def fresh(context: Context) -> dict[str, Any]:
    return dict(context() if callable(context) else context)


def assert_same(
    templates: Mapping[str, str],
    name: str,
    context: Context,
    *,
    compiles: bool | None = True,
    direct: bool = True,
    renders: int = 2,
    translations: Any = FR,
) -> None:
    """The compiled template renders exactly what Jinja renders, ``renders`` times over.

    ``compiles``: True asserts the compiler takes the template, False that it
    refuses it, None accepts either. ``direct``: when Jinja succeeds, the compiled
    render itself must succeed with the same text (not only after the fallback).
    Each render gets a fresh context when ``context`` is a callable.
    """
    reference, env, compiler = pair(templates, translations)
    compiled = compiler.get(name)
    if compiles is True:
        assert compiled is not None, f"{name} should compile"
    elif compiles is False:
        assert compiled is None, f"{name} should be left to Jinja"
    for _ in range(renders):
        expected = outcome(lambda: reference.get_template(name).render(fresh(context)))
        if compiled is not None:
            got = outcome(lambda: compiled.render(compiler.globals, fresh(context))[0])
            if expected[0] == "ok" and direct:
                assert got == expected
            elif expected[0] == "error":
                # Any exception falls back to Jinja; a text would be a divergence.
                assert got[0] == "error", f"compiled rendered {got[1]!r}, Jinja raised {expected}"
        # Through the wrapper: same text, or the same RenderError.
        wrapped_expected = outcome(lambda: render_template(reference, name, fresh(context)))
        wrapped_got = outcome(lambda: render_template(env, name, fresh(context)))
        # Jinja's own errors arrive as RenderError; others (ZeroDivisionError…) as they are.
        assert wrapped_got == wrapped_expected


# -- the corpus ---------------------------------------------------------------------------


@dataclass
class Case:
    id: str
    templates: dict[str, str]
    name: str
    context: Any = field(default_factory=dict)
    compiles: bool | None = True
    direct: bool = True
    xfail: str | None = None

    def resolved(self) -> dict[str, str]:
        """The templates, ``.EXT`` in names and sources replaced by this case's extension."""
        ext = "." + self.name.rsplit(".", 1)[1]
        return {n.replace(".EXT", ext): s.replace(".EXT", ext) for n, s in self.templates.items()}

    def param(self) -> Any:
        prefix = {True: "compiles", False: "fallback", None: "any"}[self.compiles]
        marks = [pytest.mark.xfail(strict=True, reason=self.xfail)] if self.xfail else []
        return pytest.param(self, id=f"{prefix}-{self.id}", marks=marks)


CASES: list[Case] = []


def case(
    id: str,
    source: str,
    context: Any = None,
    *,
    exts: tuple[str, ...] = ("html", "txt"),
    extra: Mapping[str, str] | None = None,
    compiles: bool | None = True,
    direct: bool = True,
    xfail: str | None = None,
    xfail_ext: tuple[str, ...] | None = None,
) -> None:
    """Register ``source`` as ``t.<ext>`` for each of ``exts`` (with ``extra`` templates)."""
    for ext in exts:
        name = f"t.{ext}"
        reason = xfail if xfail_ext is None or ext in xfail_ext else None
        CASES.append(
            Case(
                f"{id}.{ext}",
                {**(extra or {}), name: source},
                name,
                {} if context is None else context,
                compiles,
                direct,
                reason,
            )
        )


SPECIAL = "<a href='x'>&\"</a>"

# Output of values.
case("str-special", "{{ s }}", {"s": SPECIAL})
case("markup", "{{ m }}|{{ m ~ s }}", {"m": Markup("<b>ok</b>"), "s": "<"})
case("html-object", "{{ h }}", {"h": Html()})
case(
    "int-float-none",
    "{{ i }} {{ f }} {{ n }} {{ b }} {{ -i }}",
    {"i": 42, "f": 0.1, "n": None, "b": True},
)
case("decimal", "{{ d }} {{ d * 2 }} {{ d + 1 }}", {"d": Decimal("12.50")})
case("list-dict", "{{ xs }} {{ d }}", {"xs": [1, "<", None], "d": {"k": "<v>"}})
case("safe", "{{ s|safe }}", {"s": SPECIAL})
case("concat", '{{ "a" ~ x ~ 1 }}', {"x": "<&>"})
case("concat-markup", "{{ m ~ x ~ m }}{{ x ~ m }}", {"m": Markup("<i>"), "x": "<&>"})
case("concat-globals", "{{ site ~ x }}{{ x ~ br }}{{ rule ~ site }}", {"x": "<"})
case(
    "concat-markup-global-folded",
    "{{ br ~ site }}",
)
case(
    "constants",
    '{{ "<b>" }}{{ 1 + 2 }}{{ "x" * 3 }}{{ 7 // 2 }}{{ 7 % 3 }}{{ 2 ** 10 }}{{ 1 / 4 }}',
)
case("template-data", "<p class='a'>& {{ x }} </p>\n  tail", {"x": "<"})
case("global-rule", "{{ rule }}{{ br }}{{ site }}")
case("tuple-literal", "{{ (1, x) }} {{ [x, 2] }} {{ {'a': x} }}", {"x": "<"})

# Attribute and item access.
THING = {"t": Thing(), "d": {"key": "<v>", "items": "shadow?"}, "xs": [10, 20, 30]}
case("attribute", "{{ t.name }} {{ t.price }} {{ t.tags }} {{ t.tags.1 }}", THING)
case("method-call", "{{ t.shout() }} {{ t.shout('?') }} {{ t.shout(suffix='.') }}", THING)
case("dict-by-dot", "{{ d.key }}", THING)
case("dict-method", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", THING)
case("dict-item", '{{ d["key"] }} {{ d["items"] }}', THING)
case("object-item", '{{ t["name"] }} {{ t["special"] }}', THING)
case("list-index", "{{ xs[0] }} {{ xs[-1] }} {{ xs.1 }}", THING)
case(
    "missing-is-defined",
    "{% if t.missing is defined %}yes{% else %}no{% endif %}"
    "{% if d.nokey is defined %}yes{% else %}no{% endif %}",
    THING,
)
case("missing-default", '{{ t.missing|default("z") }} {{ d.nokey|default("<z>") }}', THING)
case("property-attribute-error", '{{ t.broken|default("fallback") }}', THING)
case("missing-name-default", '{{ nothing|default("d") }}{{ nothing is defined }}')
case("item-from-attr", '{{ t["shout"]() }}', THING)
case(
    "nested-attr",
    "{{ p.inner.value }} {{ p.inner['value'] }}",
    {"p": Plain(inner={"value": "<x>"})},
)
case("undefined-output", "{{ t.missing }}", THING, direct=False)
case("undefined-name", "before {{ nothing }}", {})

# Conditions and operators.
case(
    "if-constants",
    "{% if 1 %}a{% endif %}{% if 0 %}b{% elif 1 %}c{% else %}d{% endif %}"
    "{% if false %}e{% else %}f{% endif %}{% if rule %}g{% endif %}",
)
case(
    "if-data",
    "{% for v in values %}{% if v > 2 %}big{% elif v == 2 %}two{% elif v %}small"
    "{% else %}zero{% endif %};{% endfor %}",
    {"values": [0, 1, 2, 3]},
)
case(
    "and-or-not",
    "{{ a and b }} {{ a or b }} {{ not a }} {{ (a or c) and b }} {{ c or 'x' }} {{ not c }}",
    {"a": 1, "b": "<b>", "c": ""},
)
case(
    "compare",
    "{{ 1 < x < 3 }} {{ x == 2 }} {{ x != 2 }} {{ x >= 2 }} {{ x <= 1 }} {{ 'a' in s }}"
    " {{ 'z' not in s }} {{ x in xs }}",
    {"x": 2, "s": "abc", "xs": [1, 2]},
)
case("cond-expr", "{{ 'yes' if x else '<no>' }} {{ x if x else y }}", {"x": 0, "y": "<y>"})
case(
    "arithmetic",
    "{{ a + b }} {{ a - b }} {{ a * b }} {{ a / b }} {{ a // b }} {{ a % b }} {{ a ** b }}"
    ' {{ "-" * a }} {{ s * 2 }} {{ -a }} {{ +a }}',
    {"a": 7, "b": 2, "s": "<"},
)
case("string-plus", "{{ s + t }} {{ m + s }}", {"s": "<", "t": ">", "m": Markup("<m>")})
case("zero-division", "{{ a / b }}", {"a": 1, "b": 0})
case(
    "tests",
    "{{ x is none }} {{ y is number }} {{ y is divisibleby 3 }} {{ y is odd }}",
    {"x": None, "y": 9},
)
case(
    "sameas-string",
    "{{ x is string }} {{ x is sameas x }} {{ xs is iterable }}",
    {"x": "a", "xs": []},
)

# Loops.
LOOP = {
    "xs": ["<a>", "b", "c"],
    "pairs": [(1, "<x>"), (2, "y")],
    "empty": [],
    "d": {"k1": 1, "k2": 2},
}
case("for-plain", "{% for x in xs %}{{ x }},{% endfor %}", LOOP)
case("for-unpack", "{% for n, v in pairs %}{{ n }}={{ v }};{% endfor %}", LOOP)
case(
    "for-loop-vars",
    "{% for x in xs %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.first }}/{{ loop.last }}"
    "/{{ loop.length }}/{{ loop.revindex }}/{{ loop.revindex0 }}"
    "/{{ loop.previtem|default('-') }}/{{ loop.nextitem|default('-') }}"
    "/{{ loop.cycle('odd', 'even') }};{% endfor %}",
    LOOP,
)
case(
    "for-else",
    "{% for x in empty %}{{ x }}{% else %}none{% endfor %}"
    "{% for x in xs %}{{ x }}{% else %}none{% endfor %}",
    LOOP,
)
case("for-filter", "{% for x in [0, 1, '', 'a', none] if x %}{{ x }};{% endfor %}")
case("for-filter-else", "{% for x in xs if x == 'q' %}{{ x }}{% else %}nothing{% endfor %}", LOOP)
case(
    "for-filter-nested",
    "{% for r in rows if r.v %}{% for c in r.v if c != r.n %}{{ r.n }}{{ c }},{% endfor %}"
    "{% else %}none{% endfor %}",
    {"rows": [{"n": "a", "v": ["a", "b"]}, {"n": "b", "v": []}, {"n": "c", "v": ["c"]}]},
)
case(
    "for-filter-loop-index",
    "{% for x in [0, 1, 2, 3] if x is odd %}{{ loop.index }}:{{ x }}/{{ loop.length }};"
    "{% endfor %}",
)
case(
    "for-nested-outer-loop",
    "{% for a in xs %}{% set outer = loop %}{% for b in pairs %}"
    "{{ outer.index }}.{{ loop.index }}={{ a }}{{ b[1] }};{% endfor %}{% endfor %}",
    LOOP,
)
case(
    "for-nested-inner-loop",
    "{% for a in [1, 2] %}{% for b in [3, 4] %}{{ loop.index }}{% endfor %}|{{ loop.index }};"
    "{% endfor %}",
)
case(
    "for-set-does-not-leak",
    "{% set x = 'top' %}{% for i in xs %}{% set x = i %}{{ x }},{% endfor %}{{ x }}",
    LOOP,
)
case(
    "for-set-loop-var-then-read",
    "{% for i in [1, 2, 3] %}{% set double = i * 2 %}{{ double }};{% endfor %}",
)
case(
    "for-read-then-set",
    "{% set x = 'top' %}{% for i in [1, 2] %}{{ x }}{% set x = i %}{{ x }};{% endfor %}{{ x }}",
    compiles=None,
)
case(
    "for-read-then-set-no-outer",
    "{% for i in [1, 2] %}{{ x|default('u') }}{% set x = i %};{% endfor %}",
    compiles=None,
)
case(
    "for-filter-reads-body-set",
    "{% set x = 1 %}{% for a in [1, 2, 3] if x %}{{ a }}{% set x = 0 %}{% endfor %}",
    compiles=None,
)
case("for-dict", "{% for k in d %}{{ k }}={{ d[k] }};{% endfor %}", LOOP)
case("for-dict-items", "{% for k, v in d|dictsort %}{{ k }}={{ v }};{% endfor %}", LOOP)
case("for-generator-global", "{% for i in numbers(3) %}{{ i }}{{ loop.last }};{% endfor %}")
case("for-range", "{% for i in range(1, 7, 2) %}{{ i }}{% endfor %}")
case("for-string", "{% for c in s %}[{{ c }}]{% endfor %}", {"s": "a<b"})
case(
    "for-changed",
    "{% for x in [1, 1, 2] %}{% if loop.changed(x) %}{{ x }}{% endif %}{% endfor %}",
)
case("for-loop-depth", "{% for x in [1] %}{{ loop.depth }}{{ loop.depth0 }}{% endfor %}")
case("for-unpack-error", "{% for a, b in [1, 2] %}{{ a }}{% endfor %}")
case("for-target-shadows-global", "{% for rule in [1, 2] %}{{ rule }}{% endfor %}{{ rule }}")
case(
    "for-recursive",
    "{% for x in tree recursive %}{{ x.n }}{{ loop(x.c) }}{% endfor %}",
    {"tree": [{"n": 1, "c": [{"n": 2, "c": []}]}]},
    compiles=False,
)
case(
    "for-iterator-context",
    "{% for x in it %}{{ x }}{% endfor %}",
    lambda: {"it": iter([1, 2, 3])},
)
case(
    "for-one-shot-filter-constant",
    "{% for x in [1, 2, 3]|reverse %}{{ x }}{% endfor %}",
)
case(
    "for-batch-constant",
    "{% for row in [1, 2, 3]|batch(2) %}{{ row }}{% endfor %}",
)
case(
    "for-iterator-then-dict-by-dot",
    "{% for x in it %}{{ x }}{% endfor %}{{ d.key }}",
    lambda: {"it": iter([1, 2, 3]), "d": {"key": "v"}},
)

# Assignments.
case("set-top", "{% set x = 'a<' %}{% set y = x ~ '>' %}{{ x }}{{ y }}")
case("set-unpack", "{% set a, b = 1, '<2>' %}{{ a }}{{ b }}")
case("set-unpack-data", "{% set a, b = pair %}{{ b }}{{ a }}", {"pair": ["<x>", 2]})
case(
    "set-in-if",
    "{% if flag %}{% set x = 1 %}{% else %}{% set x = 2 %}{% endif %}{{ x }}",
    {"flag": False},
)
case("set-shadows-context", "{{ x }}{% set x = 2 %}{{ x }}", {"x": 1})
case("set-global-name", "{{ rule }}{% set rule = '=' * 3 %}{{ rule }}")
case("set-global-name-later", "{% set site = 'mine' %}{{ site }}")
case("set-list-then-mutate", "{% set xs = [1] %}{{ xs.append(2) or '' }}{{ xs }}")
case(
    "set-tuple-with-list-mutated",
    "{% set t = (1, [2]) %}{{ t[1].append(3) or '' }}{{ t }}",
)
case("set-dict-literal", "{% set d = {'a': x, 'b': [1]} %}{{ d.a }}{{ d['b'] }}", {"x": "<"})
case("namespace", "{% set ns = namespace(x=1) %}{% set ns.x = 2 %}{{ ns.x }}", compiles=False)
case(
    "namespace-read",
    "{% set ns = namespace(x='<1>') %}{{ ns.x }}{% for i in [1, 2] %}{{ ns.x }}{% endfor %}",
)
case("set-block", "{% set x %}<b>{{ y }}</b>{% endset %}{{ x }}", {"y": "<"}, compiles=False)
case("with", "{% with a = 1 %}{{ a }}{% endwith %}", compiles=False)

# Macros.
MACROS = {
    "m.html": "{% macro a(x) %}<a>{{ x }}</a>{% endmacro %}"
    "{% macro b(x, y='<d>') %}<b>{{ x }}|{{ y }}</b>{% endmacro %}"
    "{% macro c(x) %}{{ a(x) }}{{ b(x) }}{% endmacro %}"
    "{% set exported = 'ex<' %}{% set _private = 'p' %}MODULE BODY",
    "m.txt": "{% macro a(x) %}<a>{{ x }}</a>{% endmacro %}"
    "{% macro b(x, y='<d>') %}<b>{{ x }}|{{ y }}</b>{% endmacro %}",
}
case(
    "macro-positional",
    "{% macro p(a, b) %}{{ a }}-{{ b }}{% endmacro %}{{ p(x, 2) }}",
    {"x": "<x>"},
)
case(
    "macro-keyword",
    "{% macro p(a, b) %}{{ a }}-{{ b }}{% endmacro %}{{ p(b=x, a=1) }}{{ p(1, b=x) }}",
    {"x": "<x>"},
)
case(
    "macro-defaults",
    "{% macro p(a, b='<b>', c=3) %}{{ a }}{{ b }}{{ c }}{% endmacro %}"
    "{{ p(1) }}|{{ p(1, 2) }}|{{ p(1, c=9) }}|{{ p(a=x) }}",
    {"x": "<x>"},
)
case(
    "macro-computed-default",
    "{% macro p(a, b=x) %}{{ a }}{{ b }}{% endmacro %}{{ p(1) }}",
    {"x": "<x>"},
    compiles=None,
)
case(
    "macro-default-refers-to-argument",
    "{% macro p(a, b=a ~ '!') %}{{ a }}{{ b }}{% endmacro %}{{ p(1) }}",
    compiles=None,
)
case(
    "macro-missing-arg-unused",
    "{% macro p(a, b) %}{{ a }}{% if b is defined %}b{% endif %}{% endmacro %}{{ p(1) }}",
)
case("macro-missing-arg-used", "{% macro p(a, b) %}{{ a }}{{ b }}{% endmacro %}{{ p(1) }}")
case("macro-too-many", "{% macro p(a) %}{{ a }}{% endmacro %}{{ p(1, 2) }}")
case("macro-unknown-keyword", "{% macro p(a) %}{{ a }}{% endmacro %}{{ p(1, z=2) }}")
case("macro-twice-the-same", "{% macro p(a) %}{{ a }}{% endmacro %}{{ p(1, a=2) }}")
case(
    "macro-calls-macro",
    "{% macro inner(x) %}<{{ x }}>{% endmacro %}"
    "{% macro outer(x) %}[{{ inner(x) }}]{% endmacro %}{{ outer(v) }}",
    {"v": "&"},
)
case(
    "macro-recursive",
    "{% macro down(n) %}{{ n }}{% if n > 0 %}{{ down(n - 1) }}{% endif %}{% endmacro %}"
    "{{ down(3) }}",
)
# A macro reading a variable its template sets: Jinja binds the name to the
# template's variable, unset until the {% set %} runs; the compiler leaves
# these to Jinja.
case(
    "macro-reads-context",
    "{% macro p() %}{{ v }}{% endmacro %}{% set v = 'set' %}{{ p() }}",
    {"v": "ctx"},
    compiles=False,
)
case(
    "macro-reads-top-level-set-later",
    "{% macro p() %}{{ v }}{% endmacro %}{{ p() }}{% set v = 2 %}{{ p() }}",
    {"v": 1},
    compiles=False,
)
case(
    "macro-result-in-set",
    "{% macro p(x) %}<{{ x }}>{% endmacro %}{% set r = p(v) %}{{ r }}{{ r ~ v }}",
    {"v": "&"},
)
case(
    "macro-mutable-default",
    "{% macro p(acc=[]) %}{{ acc.append(1) or '' }}{{ acc|length }}{% endmacro %}"
    "{{ p() }}{{ p() }}",
    compiles=False,  # Jinja builds the default per call: left to Jinja
)
case(
    "macro-caller",
    "{% macro p() %}[{{ caller() }}]{% endmacro %}{% call p() %}in{% endcall %}",
    compiles=False,
)
case("macro-varargs", "{% macro p() %}{{ varargs }}{% endmacro %}{{ p(1, 2) }}", compiles=False)
case("macro-kwargs", "{% macro p() %}{{ kwargs }}{% endmacro %}{{ p(a=1) }}", compiles=False)
case(
    "macro-in-loop-body-call",
    "{% macro p(x) %}<{{ x }}>{% endmacro %}{% for i in xs %}{{ p(i) }}{% endfor %}",
    {"xs": ["&", "b"]},
)
case("macro-shadows-global", "{% macro p(rule) %}{{ rule }}{% endmacro %}{{ p('x') }}{{ rule }}")
case(
    "import",
    '{% import "m.html" as m %}{{ m.a(x) }}{{ m.b(x) }}{{ m.c(x) }}{{ m.exported }}',
    {"x": "<&>"},
    extra=MACROS,
)
case(
    "import-defaults-keyword",
    '{% import "m.html" as m %}{{ m.b(x, y=x) }}{{ m.b(y=1, x=2) }}{{ m.b() }}',
    {"x": "<&>"},
    extra=MACROS,
)
case("import-private", '{% import "m.html" as m %}{{ m._private|default("hidden") }}', extra=MACROS)
case("import-missing-name", '{% import "m.html" as m %}{{ m.nope }}', extra=MACROS)
case(
    "import-result-set",
    '{% import "m.html" as m %}{% set r = m.a(x) %}{{ r }}{{ r|length }}',
    {"x": "<&>"},
    extra=MACROS,
)
case(
    "from-import",
    '{% from "m.html" import a, b as c %}{{ a(x) }}{{ c(x) }}{{ c(x, "<y>") }}',
    {"x": "<&>"},
    extra=MACROS,
)
case("from-import-txt-module", '{% from "m.txt" import a %}{{ a(x) }}', {"x": "<&>"}, extra=MACROS)
case(
    "import-txt-module",
    '{% import "m.txt" as m %}{{ m.a(x) }}{{ m.b(x) ~ "&" }}',
    {"x": "<&>"},
    extra=MACROS,
)
case(
    "from-import-missing", '{% from "m.html" import nope %}{{ nope }}', extra=MACROS, compiles=None
)
case(
    "import-in-loop",
    '{% for i in [1, 2] %}{% import "m.html" as m %}{{ m.a(i) }}{% endfor %}',
    extra=MACROS,
    compiles=None,
)
case(
    "import-with-context",
    '{% import "m.html" as m with context %}{{ m.a(1) }}',
    extra=MACROS,
    compiles=False,
)
case(
    "import-module-printed",
    '{% import "m.html" as m %}[{{ m }}]',
    extra=MACROS,
)
case(
    "import-macro-shadowed-by-context",
    '{% import "m.html" as m %}{{ m.a(x) }}',
    {"x": 1, "m": "context m"},
    extra=MACROS,
)

# Internationalisation.
I18N = {"name": "<Zoé>", "m": Markup("<i>x</i>"), "n": 2}
case("gettext-alias", '{{ _("Hello") }} {{ _("Hello %(name)s", name=name) }}', I18N)
case("gettext-untranslated", '{{ _("Bye %(name)s & co", name=name) }}', I18N)
case("gettext-direct", '{{ gettext("Hello %(name)s", name=name) }}{{ gettext("x<y") }}', I18N)
case("gettext-percent", '{{ _("100%% sure") }} {{ _("50%% off") }}', I18N)
case("gettext-positional-format", '{{ _("%s and %s") }}', I18N)
case(
    "ngettext-direct",
    "{% for k in [0, 1, 2, 5] %}{{ ngettext('%(num)s apple', '%(num)s apples', k) }};"
    "{{ ngettext('%(num)s pear', '%(num)s pears', k) }};{% endfor %}",
)
# Counted texts are kept per count: the same count again, another count, a
# count that is not the plural's number, a second variable, a non-int count.
case(
    "ngettext-kept-per-count",
    "{% for k in [1, 2, 1, 5, 2, 1] %}"
    "{% trans count=k %}{{ count }} item{% pluralize %}{{ count }} items{% endtrans %};"
    "{{ ngettext('%(count)s item', '%(count)s items', k, count=k + 1) }};"
    "{{ ngettext('%(count)s item', '%(count)s items', k, count=k, name=name) }};"
    "{{ ngettext('%(count)s item', '%(count)s items', k, count='<%s>' % k) }};"
    "{{ ngettext('%(num)s apple', '%(num)s apples', k) }}|{% endfor %}",
    I18N,
)
case("trans-plain", "{% trans %}Hello{% endtrans %}|{% trans %}Not <translated>{% endtrans %}")
case("trans-variable", "{% trans %}Hello {{ name }}{% endtrans %}", I18N)
case("trans-variable-untranslated", "{% trans %}Bye {{ name }} & co{% endtrans %}", I18N)
case("trans-assigned", "{% trans who=name|upper %}Hello {{ who }}{% endtrans %}", I18N)
for count in (0, 1, 2, 5):
    case(
        f"trans-plural-{count}",
        "{% trans count=n %}{{ count }} item{% pluralize %}{{ count }} items{% endtrans %}|"
        "{% trans count=n %}{{ count }} pear{% pluralize %}{{ count }} pears{% endtrans %}",
        {"n": count},
    )
case("gettext-in-set", '{% set g = _("Hello %(name)s", name=name) %}{{ g }}|{{ g ~ name }}', I18N)
case(
    "gettext-in-macro-argument", '{% macro p(x) %}[{{ x }}]{% endmacro %}{{ p(_("Hello")) }}', I18N
)
case("gettext-markup-value-plain-pattern", '{{ _("Hello %(name)s", name=m) }}', I18N)
case(
    "gettext-markup-value",
    '{{ _("It\'s <b>%(who)s</b> & co", who=m) }}',
    I18N,
)
case(
    "trans-markup-value",
    "{% trans link=m %}Write to {{ link }}, it's free{% endtrans %}",
    I18N,
)
case(
    "gettext-markup-pattern-html",
    "{{ gettext(p, x='<') }}",
    {"p": Markup("Hi %(x)s <b>")},
    exts=("html",),
)
case(
    "gettext-markup-pattern-txt",
    "{{ gettext(p, x='<') }}",
    {"p": Markup("Hi %(x)s")},
    exts=("txt",),
)
case("gettext-missing-variable", '{{ _("Hello %(name)s") }}', I18N)
case("pgettext", '{{ pgettext("menu", "Hello") }}', I18N)

# Inheritance.
BASE = {
    "base.html": "<title>{% block title %}Base & {{ site }}{% endblock %}</title>"
    "{% block body %}<p>{% block inner %}inner{% endblock %}</p>{% endblock %}"
    "{% block only_base %}only {{ x|default('-') }}{% endblock %}{{ tail|default('') }}",
    "base.txt": "{% block title %}Base & {{ site }}{% endblock %}|"
    "{% block body %}<{% block inner %}inner{% endblock %}>{% endblock %}|"
    "{% block only_base %}only {{ x|default('-') }}{% endblock %}",
    "mid.html": '{% extends "base.html" %}{% block inner %}mid {{ x }}{% endblock %}',
    "mid.txt": '{% extends "base.txt" %}{% block inner %}mid {{ x }}{% endblock %}',
}
case(
    "extends-one-block",
    '{% extends "base.EXT" %}{% block title %}Child {{ x }}{% endblock %}',
    {"x": "<x>"},
    extra=BASE,
)
case(
    "extends-nested-block",
    '{% extends "base.EXT" %}{% block inner %}IN {{ x }}{% endblock %}',
    {"x": "<x>"},
    extra=BASE,
)
case(
    "extends-three-levels",
    '{% extends "mid.EXT" %}{% block title %}T{% endblock %}',
    {"x": "<x>"},
    extra=BASE,
)
case("extends-top-level-set", '{% extends "base.EXT" %}{% set x = "from child <" %}', extra=BASE)
case("extends-output-ignored", '{% extends "base.EXT" %}ignored {{ y }}', {"x": 1}, extra=BASE)
case("extends-output-before", 'before {{ x }}{% extends "base.EXT" %}', {"x": "<"}, extra=BASE)
case(
    "extends-super",
    '{% extends "base.EXT" %}{% block title %}[{{ super() }}]{% endblock %}',
    extra=BASE,
    compiles=False,
)
case(
    "extends-self",
    '{% extends "base.EXT" %}{% block title %}{{ self.only_base() }}{% endblock %}',
    extra=BASE,
    compiles=False,
)
case(
    "extends-import-in-child",
    '{% extends "base.EXT" %}{% import "m.html" as m %}{% block title %}{{ m.a(x) }}{% endblock %}',
    {"x": "<"},
    extra={**BASE, **MACROS},
)
case(
    "extends-macro-in-child",
    '{% extends "base.EXT" %}{% macro p(v) %}<{{ v }}>{% endmacro %}'
    "{% block title %}{{ p(x) }}{% endblock %}",
    {"x": "&"},
    extra=BASE,
)
case(
    "extends-block-set-local",
    '{% extends "base.EXT" %}{% set x = "top" %}{% block title %}{% set x = "blk" %}{{ x }}'
    "{% endblock %}{% block body %}{{ x }}{% endblock %}",
    extra=BASE,
)
case(
    "extends-computed", "{% extends parent %}", {"parent": "base.html"}, extra=BASE, compiles=False
)
case("extends-missing", '{% extends "nope.html" %}', extra=BASE, compiles=False)
case(
    "extends-conditional-false",
    '{% if use %}{% extends "base.EXT" %}{% endif %}own {{ x }}',
    {"use": False, "x": "<"},
    extra=BASE,
    compiles=None,
)
case(
    "extends-conditional-true",
    '{% if use %}{% extends "base.EXT" %}{% endif %}own {{ x }}',
    {"use": True, "x": "<"},
    extra=BASE,
    compiles=None,
)
case(
    "block-scoped",
    "{% for i in [1] %}{% block b scoped %}{{ i }}{% endblock %}{% endfor %}",
    compiles=False,
)
case("block-plain", "a{% block b %}<{{ x }}>{% endblock %}c", {"x": "&"})
case("block-twice-self", "{% block b %}B{% endblock %}{{ self.b() }}", compiles=False)

# Includes.
INCLUDES = {
    "inc.html": "[inc {{ x }} {{ top|default('no top') }} {{ rule }}]",
    "inc.txt": "[inc {{ x }} {{ top|default('no top') }} {{ rule }}]",
    "inc-set.html": "{% set leaked = 'yes' %}[{{ leaked }}]",
    "inc-set.txt": "{% set leaked = 'yes' %}[{{ leaked }}]",
}
case("include", '{% set top = "<t>" %}{% include "inc.EXT" %}', {"x": "<x>"}, extra=INCLUDES)
case(
    "include-no-leak", '{% include "inc-set.EXT" %}{{ leaked|default("no leak") }}', extra=INCLUDES
)
case(
    "include-in-loop",
    '{% for x in [1, 2] %}{% include "inc.EXT" %}{% endfor %}',
    extra=INCLUDES,
    compiles=False,
)
case(
    "include-ignore-missing",
    '{% include "nope.html" ignore missing %}x',
    extra=INCLUDES,
    compiles=False,
)
case("include-missing", '{% include "nope.html" %}x', extra=INCLUDES, compiles=None)
case(
    "include-in-block",
    '{% block b %}{% include "inc.EXT" %}{% endblock %}',
    {"x": 1},
    extra=INCLUDES,
)
case(
    "include-context-shadows-global",
    '{% include "inc.EXT" %}',
    {"x": 1, "rule": "ctx"},
    extra=INCLUDES,
)

# Filters.
FILTERS = {
    "s": "  Hello <World> & co  ",
    "xs": ["<b>", "a", "c"],
    "nums": [3, 1, 2],
    "f": 3.14159,
    "neg": -4,
    "m": Markup("<br>"),
    "mixed": ["<a>", Markup("<i>b</i>"), 3],
    "things": [Plain(n=2, v="<x>"), Plain(n=1, v="y")],
    "d": {"b": 2, "a": 1},
}
for expression in (
    "s|upper",
    "s|lower",
    "s|title",
    "s|capitalize",
    "xs|join(', ')",
    "xs|join(m)",
    "mixed|join(m)",
    "nums|join(m)",
    "[]|join(m)",
    "('<x>', 'y')|join(m)",
    "things|join(m, attribute='v')",
    "xs|join",
    "s|default('d')",
    "xs|length",
    "xs|count",
    "xs|first",
    "xs|last",
    "s|replace('o', '<0>')",
    "s|trim",
    "s|truncate(9)",
    "'%s-%s'|format(s, 1)",
    "s|escape",
    "s|e",
    "'<p>a <b>b</b></p>'|striptags",
    "s|striptags",
    "nums|sort",
    "nums|sort(reverse=true)",
    "nums|sum",
    "things|sum(attribute='n')",
    "things|sort(attribute='n')|map(attribute='v')|list",
    "f|round(2)",
    "f|round(1, 'floor')",
    "s|length",
    "'42'|int",
    "'4.5'|float",
    "neg|abs",
    "s|wordcount",
    "'x'|center(7)",
    "'a\\nb'|indent(2)",
    "xs|tojson",
    "d|tojson",
    "'a b&c'|urlencode",
    "d|dictsort",
    "d|dictsort(reverse=true)",
    "things|selectattr('n')|list|length",
    "xs|select|list",
    "xs|reject('none')|list",
    "nums|max",
    "nums|min",
    "xs|unique|join(',')",
    "nums|reverse|join(',')",
    "xs|batch(2)|join(',')",
    "s|wrap_eval",
    "s|wrap_env",
    "s|suffix('<!>')",
    "s|from_context('xs')",
    "m|string",
    "s|safe|upper",
    "xs|map('upper')|join",
    "s|forceescape",
    "'a\\nb'|wordwrap(3)",
    "things|groupby('n')|length",
    "'x'|pprint",
    "s|urlize",
    "{'class': 'a<'}|xmlattr",
    "xs|attr('index')",
    "nums|random is number",
    "s is string",
):
    # map, select, reject, selectattr, random and from_context need the template context.
    needs_context = any(n in expression for n in ("map", "select", "reject", "random", "context"))
    case(f"filter[{expression}]", "{{ " + expression + " }}", FILTERS, compiles=not needs_context)

for expression in ("s|list", "xs|list", "xs|slice(2)|list", "range(3)|list"):
    case(
        f"filter-list[{expression}]",
        "{{ " + expression + " }}",
        FILTERS,
        direct=True,
    )

# Mainstream filters (no context needed) must compile.
case(
    "filters-mainstream",
    "{{ s|upper|trim }}{{ xs|join(', ') }}{{ nums|sort|join }}{{ f|round(1) }}{{ xs|length }}"
    "{{ s|replace('o', '0')|truncate(8) }}{{ d|dictsort|first }}{{ xs|first }}{{ s|e }}",
    FILTERS,
)

# Globals.
case("global-shadowed-by-context", "{{ rule }}|{{ site }}", {"rule": "<ctx rule>"})
case(
    "global-shadowed-in-macro",
    "{% macro p() %}{{ rule }}{% endmacro %}{{ p() }}",
    {"rule": "<ctx rule>"},
)
case("global-dict", "{{ settings.mode }} {{ settings['mode'] }}")
case("global-range-dict", "{{ range(3)|join(',') }} {{ dict(a=1) }}")
case(
    "global-cycler",
    "{% set c = cycler('odd', 'even') %}{% for i in [1, 2, 3] %}{{ c.next() }}{% endfor %}"
    "{{ c.current }}",
)
case(
    "global-joiner", "{% set j = joiner(' | ') %}{% for i in [1, 2] %}{{ j() }}{{ i }}{% endfor %}"
)
case("global-callable-context", "{{ f(1) }}{{ f(x=2) }}", {"f": lambda x: f"<{x}>"})
case("context-callable-raises", "a{{ boom() }}", {"boom": explode})
case(
    "context-callable-stop-iteration",
    "{{ (stop() is defined)|string }}",
    {"stop": lambda: next(iter([]))},
)
case(
    "call-keyword-named-like-helper",
    "{{ f(obj=1) }}{{ f(ns=2) }}{{ f(here=3) }}",
    {"f": lambda **kw: sorted(kw.items())},
    direct=False,
)
case("pass-context-callable", "{{ g('xs') }}", {"g": from_context, "xs": 1}, direct=False)


# Odds and ends.
case("python-keyword-argument", '{{ f(class="<a>") }}', {"f": lambda **kw: kw}, compiles=None)
case("whitespace-control", "a  {%- if x %}  b  {%- endif %}\n  {{- x -}}  c", {"x": "<"})
case("raw-and-comment", "{# hidden #}{% raw %}{{ not a tag }}{% endraw %}{{ x }}", {"x": "&"})
case(
    "import-in-if",
    '{% if x %}{% import "m.html" as m %}{% endif %}{{ m.a(1) }}',
    {"x": 1},
    extra=MACROS,
)
case(
    "import-in-if-not-taken",
    '{% if x %}{% import "m.html" as m %}{% endif %}{{ m.a(1) }}',
    {"x": 0},
    extra=MACROS,
)
case(
    "macro-in-if",
    "{% if x %}{% macro p() %}yes{% endmacro %}{% else %}{% macro p() %}no"
    "{% endmacro %}{% endif %}{{ p() }}",
    {"x": 0},
)
case(
    "include-extending",
    '{% include "child.EXT" %}',
    {"x": "<"},
    extra={
        **BASE,
        "child.html": '{% extends "base.html" %}{% block title %}C{% endblock %}',
        "child.txt": '{% extends "base.txt" %}{% block title %}C{% endblock %}',
    },
)
case("block-in-if", "{% if x %}{% block b %}B{% endblock %}{% endif %}", {"x": 1}, compiles=False)
case(
    "for-generator-context-length",
    "{% for x in gen %}{{ loop.length }}{{ loop.revindex }}{{ x }};{% endfor %}",
    lambda: {"gen": (i for i in range(3))},
)
case(
    "for-loop-in-else",
    "{% for x in [] %}{% else %}{{ loop is defined }}{% endfor %}",
    compiles=None,
)
case("set-name-of-context-callable", "{% set f = f('<') %}{{ f }}", {"f": lambda v: v * 2})
case(
    "markup-format",
    "{{ m % x }}{{ '%s' % x }}{{ m.format(x) }}",
    {"m": Markup("<b>%s</b>"), "x": "<&>"},
)
case("condexpr-without-else", "{{ x if y }}", {"x": 1, "y": 1}, compiles=None)
case("getitem-slice", "{{ xs[1:] }}", {"xs": [1, 2, 3]}, compiles=None)
case(
    "autoescape-block",
    "{% autoescape false %}{{ x }}{% endautoescape %}",
    {"x": "<"},
    compiles=False,
)
case("filter-block", "{% filter upper %}a {{ x }}{% endfilter %}", {"x": "<"}, compiles=False)
case("unknown-filter", "{{ x|nope }}", {"x": 1}, compiles=False)


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_compiled_renders_what_jinja_renders(case: Case) -> None:
    assert_same(
        case.resolved(), case.name, case.context, compiles=case.compiles, direct=case.direct
    )


def test_the_corpus_mostly_compiles() -> None:
    """A compiler that refuses everything would pass the corpus through Jinja: catch that."""
    expected = [c for c in CASES if c.compiles]
    assert len(expected) > 150
    taken = 0
    for c in expected:
        _, compiler = environment(c.resolved())
        taken += compiler.get(c.name) is not None
    assert taken == len(expected)


# -- blocks rendered alone ----------------------------------------------------------------

BLOCK_TEMPLATES = {
    **BASE,
    "mail.txt": '{% extends "base.txt" %}{% set greeting = "Hi <" ~ who %}'
    "{% block subject %}{{ greeting }} & {{ n }}{% endblock %}"
    "{% block preheader %}{% trans count=n %}{{ count }} item{% pluralize %}"
    "{{ count }} items{% endtrans %}{% endblock %}"
    "{% block title %}T{{ n }}{% endblock %}",
    "mail.html": '{% extends "base.html" %}'
    "{% block subject %}<{{ who }}>{% endblock %}{% block title %}T {{ who }}{% endblock %}",
}


def jinja_with_blocks(
    env: jinja2.Environment, name: str, context: Mapping[str, Any], blocks: tuple[str, ...]
) -> tuple[str, list[str]]:
    """What ``render_with_blocks`` does with Jinja: the whole, then each block, one context."""
    template = env.get_template(name)
    ctx = template.new_context(dict(context))
    whole = env.concat(template.root_render_func(ctx))  # type: ignore[attr-defined]
    return whole, [env.concat(ctx.blocks[b][0](ctx)) for b in blocks]  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["mail.txt", "mail.html"])
@pytest.mark.parametrize(
    "blocks", [("subject",), ("subject", "title"), ("only_base",), ("inner", "subject")]
)
@pytest.mark.parametrize("n", [1, 3])
def test_blocks_alone(name: str, blocks: tuple[str, ...], n: int) -> None:
    context = {"who": "<Zoé & co>", "n": n, "x": "<x>"}
    reference, env, compiler = pair(BLOCK_TEMPLATES)
    compiled = compiler.get(name)
    assert compiled is not None
    expected = jinja_with_blocks(reference, name, context, blocks)
    assert compiled.render(compiler.globals, context, blocks) == expected
    whole, parts = render_with_blocks(env, name, context, blocks)
    assert (whole, [parts[b] for b in blocks]) == expected
    assert render_with_blocks(reference, name, context, blocks) == (whole, parts)


def test_block_alone_matches_a_fresh_jinja_context_when_it_uses_no_top_level_set() -> None:
    context = {"who": "<Zoé>", "n": 2}
    reference, _, compiler = pair(BLOCK_TEMPLATES)
    compiled = compiler.get("mail.html")
    assert compiled is not None
    template = reference.get_template("mail.html")
    alone = "".join(template.blocks["subject"](template.new_context(context)))
    assert compiled.render(compiler.globals, context, ("subject",))[1] == [alone]


def test_missing_block_is_a_render_error_both_ways() -> None:
    reference, env, _ = pair(BLOCK_TEMPLATES)
    with pytest.raises(RenderError) as expected:
        render_with_blocks(reference, "mail.txt", {"who": "a", "n": 1}, ("nope",))
    with pytest.raises(RenderError) as got:
        render_with_blocks(env, "mail.txt", {"who": "a", "n": 1}, ("nope",))
    assert str(got.value) == str(expected.value)


# -- through build_environment -------------------------------------------------------------


def built_pair(
    tmp_path: Path, templates: Mapping[str, str], translations: Any = FR
) -> tuple[jinja2.Environment, jinja2.Environment]:
    for name, source in templates.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    reference = build_environment(translations, [tmp_path], compile_gettext=False)
    env = build_environment(translations, [tmp_path], compile_gettext=True)
    assert env.relationclient_compiler is not None  # type: ignore[attr-defined]
    return reference, env


BUILT_CASES = [
    ("gettext-rewritten", '{{ _("Hello %(name)s", name=x) }}|{{ _("Hello") }}', {"x": "<&>"}),
    (
        "gettext-rewritten-markup",
        '{{ _("It\'s <b>%(who)s</b> & co", who=m) }}',
        {"m": Markup("<i>")},
    ),
    ("gettext-rewritten-nested", '{{ _("Hello %(name)s", name=_("Hello")) }}', {}),
    ("gettext-rewritten-in-set", '{% set g = _("Hello %(name)s", name=x) %}{{ g }}', {"x": "<"}),
    ("gettext-rewritten-percent", '{{ _("100%% sure") }}', {}),
    ("gettext-rewritten-missing", '{{ _("Hello %(name)s") }}', {}),
    (
        "trans-count",
        "{% trans count=n %}{{ count }} item{% pluralize %}{{ count }} items{% endtrans %}",
        {"n": 3},
    ),
    ("rule-br", "{{ rule }}{{ br }}", {}),
    ("rule-shadowed", "{{ rule }}", {"rule": "<mine>"}),
    ("namespace-set", "{% set ns = namespace(x=1) %}{% set ns.x = 2 %}{{ ns.x }}", {}),
    ("missing-variable", "a {{ nothing }} b", {}),
    ("missing-attribute", "{{ x.nope }}", {"x": Plain()}),
    ("callable-raises", "{{ boom() }}", {"boom": explode}),
    ("syntax-error", "{% if %}", {}),
    (
        "super",
        '{% extends "relationclient/common.txt" %}{% block x %}{{ super() }}{% endblock %}',
        {},
    ),
]


@pytest.mark.parametrize(
    ("source", "context"),
    [pytest.param(s, c, id=i) for i, s, c in BUILT_CASES],
)
@pytest.mark.parametrize("ext", ["html", "txt"])
def test_render_template_with_and_without_the_compiler(
    tmp_path: Path, source: str, context: dict[str, Any], ext: str
) -> None:
    reference, env = built_pair(tmp_path, {f"shop/t.{ext}": source})
    for _ in range(3):
        expected = outcome(lambda: render_template(reference, f"shop/t.{ext}", context))
        got = outcome(lambda: render_template(env, f"shop/t.{ext}", context))
        assert got == expected


def test_errors_have_the_same_message(tmp_path: Path) -> None:
    reference, env = built_pair(tmp_path, {"e.txt": "x {{ nothing }}", "e.html": "{{ o.nope }}"})
    for name, context in (("e.txt", {}), ("e.html", {"o": Plain()})):
        with pytest.raises(RenderError) as expected:
            render_template(reference, name, context)
        with pytest.raises(RenderError) as got:
            render_template(env, name, context)
        assert str(got.value) == str(expected.value)
        assert got.value.template == expected.value.template
        assert got.value.template == name


def test_an_exception_of_the_context_is_the_same(tmp_path: Path) -> None:
    reference, env = built_pair(tmp_path, {"f.txt": "a {{ boom() }}"})
    # Not a Jinja error: it is not wrapped, with or without the compiler.
    with pytest.raises(ValueError, match="exploded on purpose"):
        render_template(reference, "f.txt", {"boom": explode})
    with pytest.raises(ValueError, match="exploded on purpose"):
        render_template(env, "f.txt", {"boom": explode})


def test_errors_jinja_raises_too_do_not_count_against_a_template(tmp_path: Path) -> None:
    _, env = built_pair(tmp_path, {"f.txt": "{{ boom() }}"})
    compiler: TemplateCompiler = env.relationclient_compiler  # type: ignore[attr-defined]
    for _ in range(TemplateCompiler.MAX_FAILURES + 2):
        with pytest.raises(ValueError, match="exploded"):
            render_template(env, "f.txt", {"boom": explode})
    assert compiler.get("f.txt") is not None  # bad data, not a template Jinja must render


def test_a_template_that_keeps_failing_goes_to_jinja(tmp_path: Path) -> None:
    reference, env = built_pair(tmp_path, {"f.txt": "{{ boom() }}"})
    compiler: TemplateCompiler = env.relationclient_compiler  # type: ignore[attr-defined]
    assert compiler.get("f.txt") is not None
    # A callable asking for the template context: only Jinja can serve it.
    needs_context = {"boom": jinja2.pass_context(lambda context: "<ctx>")}
    for _ in range(TemplateCompiler.MAX_FAILURES):
        assert render_template(env, "f.txt", needs_context) == "<ctx>"
    assert compiler.get("f.txt") is None
    assert render_template(env, "f.txt", {"boom": lambda: "<"}) == render_template(
        reference, "f.txt", {"boom": lambda: "<"}
    )


# -- once: the call-site memo follows its arguments ------------------------------------------

ONCE = {
    "frag.html": "{% macro card(o) %}<b>{{ o.name }}</b>{% endmacro %}",
    "frag.txt": "{% macro card(o) %}<b>{{ o.name }}</b>{% endmacro %}",
    "once.html": '{% import "frag.html" as m %}{{ once("card", m.card, obj) }}|{{ m.card(obj) }}',
    "once.txt": '{% import "frag.html" as m %}{% import "frag.txt" as t %}'
    '{{ once("card", m.card, obj) }}|{{ once("card", t.card, obj) }}',
}


@pytest.mark.parametrize("name", ["once.html", "once.txt"])
def test_once_follows_the_object(tmp_path: Path, name: str) -> None:
    reference, env = built_pair(tmp_path, ONCE)
    compiler: TemplateCompiler = env.relationclient_compiler  # type: ignore[attr-defined]
    assert isinstance(env.globals["once"], Fragments)
    assert compiler.get(name) is not None
    kept = [Plain(name=f"<n{i}>") for i in range(3)]
    for i in range(12):
        obj = kept[i % 3] if i % 2 else Plain(name=f"<fresh {i}>")
        expected = render_template(reference, name, {"obj": obj})
        assert render_template(env, name, {"obj": obj}) == expected
        assert str(escape(obj.name)) in expected


def test_once_with_a_small_cache(tmp_path: Path) -> None:
    reference, env = built_pair(tmp_path, ONCE)
    env.globals["once"].size = 2  # entries go, objects die, identities come back
    for i in range(50):
        obj = Plain(name=f"<{i}>")
        assert render_template(env, "once.html", {"obj": obj}) == render_template(
            reference, "once.html", {"obj": obj}
        )
        del obj


# -- threads ------------------------------------------------------------------------------

THREADED = {
    "m.html": MACROS["m.html"],
    "base.html": BASE["base.html"],
    "t.html": '{% extends "base.html" %}{% import "m.html" as m %}'
    "{% block title %}{{ m.b(who) }}{% for x in xs %}{{ loop.index }}{{ m.a(x) }}"
    "{% if x.k is defined %}{{ x.k }}{% endif %}{% endfor %}"
    "{{ _('Hello %(name)s', name=who) }}{% trans count=xs|length %}{{ count }} item"
    "{% pluralize %}{{ count }} items{% endtrans %}{% endblock %}",
}


def test_threads() -> None:
    reference, _, compiler = pair(THREADED)
    compiled = compiler.get("t.html")
    assert compiled is not None
    contexts = [
        {
            "who": f"<w{i}>",
            "x": i,
            "xs": [{"k": j} if (i + j) % 3 == 0 else f"&{j}" for j in range(i % 5)],
            **({"rule": "ctx"} if i % 7 == 0 else {}),
        }
        for i in range(200)
    ]
    lock = threading.Lock()
    expected = []
    for context in contexts:
        with lock:
            expected.append(reference.get_template("t.html").render(context))

    def render(context: dict[str, Any]) -> str:
        return compiled.render(compiler.globals, context)[0]

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(render, contexts))
    assert got == expected


def test_threads_through_once(tmp_path: Path) -> None:
    reference, env = built_pair(tmp_path, ONCE)
    objects = [Plain(name=f"<o{i % 11}>") for i in range(300)]
    expected = [render_template(reference, "once.txt", {"obj": o}) for o in objects]
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda o: render_template(env, "once.txt", {"obj": o}), objects))
    assert got == expected


# -- globals that change ---------------------------------------------------------------------


class Counter:
    def __init__(self) -> None:
        self.calls = itertools.count()

    @property
    def value(self) -> int:
        return next(self.calls)


def test_global_attribute_read_at_each_render() -> None:
    templates = {"t.txt": "{{ counter.value }}"}
    reference, _ = environment(templates)
    env, compiler = environment(templates)
    reference.globals["counter"] = Counter()
    env.globals["counter"] = Counter()
    compiled = compiler.get("t.txt")
    assert compiled is not None
    got = [compiled.render(compiler.globals, {})[0] for _ in range(2)]
    expected = [reference.get_template("t.txt").render() for _ in range(2)]
    assert got == expected


def test_global_dict_changed_after_compiling() -> None:
    templates = {"t.txt": "{{ settings.mode }}"}
    reference, _ = environment(templates)
    env, compiler = environment(templates)
    compiled = compiler.get("t.txt")
    assert compiled is not None
    compiled.render(compiler.globals, {})
    reference.globals["settings"]["mode"] = "test"
    env.globals["settings"]["mode"] = "test"
    assert compiled.render(compiler.globals, {})[0] == reference.get_template("t.txt").render()


def test_global_generator_function_each_render() -> None:
    assert_same(
        {"t.txt": "{{ numbers(2)|join }}{% for i in numbers(2) %}{{ i }}{% endfor %}"},
        "t.txt",
        {},
        renders=3,
    )


# -- the generic variant -------------------------------------------------------------------


def test_generic_variant_for_a_shadowed_global() -> None:
    templates = {"t.html": "{{ rule }}{{ site }}{{ br }}"}
    reference, _, compiler = pair(templates)
    compiled = compiler.get("t.html")
    assert isinstance(compiled, CompiledTemplate)
    assert "rule" in compiled.inlined
    for context in ({}, {"rule": "<r>"}, {"site": Markup("<s>")}, {"br": None}, {}):
        assert compiled.render(compiler.globals, context)[0] == reference.get_template(
            "t.html"
        ).render(context)


def test_careful_variant_after_many_misses() -> None:
    templates = {"t.txt": "{{ d.key }}{{ o.name }}"}
    reference, _, compiler = pair(templates)
    compiled = compiler.get("t.txt")
    assert compiled is not None
    for i in range(20):
        context = {"d": {"key": i} if i % 2 else Plain(key=i), "o": Plain(name=f"<{i}>")}
        assert compiled.render(compiler.globals, context)[0] == reference.get_template(
            "t.txt"
        ).render(context)


# -- the NullTranslations catalog --------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        '{{ _("Hello %(name)s", name=x) }}',
        "{% trans count=n %}{{ count }} item{% pluralize %}{{ count }} items{% endtrans %}",
        "{{ ngettext('%(num)s a', '%(num)s b', n) }}",
    ],
)
@pytest.mark.parametrize("ext", ["html", "txt"])
@pytest.mark.parametrize("n", [0, 1, 2])
def test_null_translations(source: str, ext: str, n: int) -> None:
    assert_same(
        {f"t.{ext}": source},
        f"t.{ext}",
        {"x": "<&>", "n": n},
        translations=gettext.NullTranslations(),
    )


# -- Composer: a shop template overriding a packaged one -------------------------------------

SHOP_HTML = (
    '{% extends "relationclient/email/order_confirmation.html" %}'
    '{% block content %}<p class="shop">{{ _("Hello %(name)s,", name=customer.first_name) }}'
    " &amp; {{ order.number }}</p>{% endblock %}"
)
SHOP_TXT = (
    '{% extends "relationclient/email/order_confirmation.txt" %}'
    "{% block subject %}[Shop] {{ order.number }} & {{ customer.first_name }}{% endblock %}"
)


@pytest.fixture(scope="module")
def shop_composers(tmp_path_factory: pytest.TempPathFactory) -> tuple[Composer, Composer]:
    folder = tmp_path_factory.mktemp("shop_templates")
    (folder / "email").mkdir()
    (folder / "email" / "order_confirmation.html").write_text(SHOP_HTML, encoding="utf-8")
    (folder / "email" / "order_confirmation.txt").write_text(SHOP_TXT, encoding="utf-8")
    shop = samples.shop()
    return (
        Composer(shop, template_dirs=[folder]),
        Composer(shop, template_dirs=[folder], optimise=False),
    )


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("locale", ["fr", "en", "de"])
@pytest.mark.parametrize("seed", [0, 1])
def test_composer_with_a_shop_template(
    shop_composers: tuple[Composer, Composer], kind: Kind, locale: str, seed: int
) -> None:
    fast, slow = shop_composers
    context = samples.context(kind, locale, seed=seed)
    got = fast.email(kind, locale=locale, **context)
    expected = slow.email(kind, locale=locale, **context)
    assert (got.subject, got.preheader, got.text, got.html) == (
        expected.subject,
        expected.preheader,
        expected.text,
        expected.html,
    )
    if kind == Kind.ORDER_CONFIRMATION:
        assert got.subject.startswith("[Shop]")
        assert 'class="shop"' in got.html
        assert (
            fast._environment(locale).relationclient_compiler.get(  # type: ignore[attr-defined]
                "email/order_confirmation.html"
            )
            is not None
        )
