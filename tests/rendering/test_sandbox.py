"""The merchant sandbox: hostile templates stopped, legit ones unchanged, steps counted.

Every bound is tested by counting (steps, characters, bytes), never by timing:
a bomb that was not bounded would hang the test run instead of passing.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jinja2
import pytest
from jinja2.sandbox import unsafe
from markupsafe import Markup

import relationclient as rc
from relationclient import checks, samples
from relationclient.composer import Composer
from relationclient.i18n import translations
from relationclient.rendering.environment import PACKAGED_TEMPLATES
from relationclient.rendering.renderer import Renderer
from relationclient.rendering.sandbox import MerchantSandbox, SandboxLimits

from .conftest import KINDS

SMS = "sms/order_confirmation.txt"
TEXT = "email/order_confirmation.txt"


def _render(composer: Composer, name: str) -> str:
    context = samples.context("order_confirmation", "fr")
    if name.startswith("sms/"):
        return composer.sms("order_confirmation", **context).body
    return composer.email("order_confirmation", **context).text


#: What an email text template must have besides its content; given to every hostile one,
#: so that only the hostile part can be what fails.
BLOCKS = "{% block subject %}S{% endblock %}{% block preheader %}P{% endblock %}"


def _stopped(composer: Composer, source: str, name: str = SMS) -> rc.RenderError:
    """The RenderError ``source`` raises as merchant template ``name``, on save or on render."""
    if name.startswith("email/"):
        source = BLOCKS + source
    with pytest.raises(rc.RenderError) as caught:
        _render(composer.with_merchant_templates({name: source}), name)
    assert caught.value.template == name
    assert repr(name) in str(caught.value)
    return caught.value


@pytest.fixture(scope="module")
def normal_email(composer: Composer) -> rc.Email:
    """The packaged order confirmation, rendered before any hostile template ran."""
    return composer.email("order_confirmation", **samples.context("order_confirmation", "fr"))


def _still_normal(composer: Composer, normal_email: rc.Email) -> None:
    """The same process renders the packaged message as before: nothing leaked or changed."""
    again = composer.email("order_confirmation", **samples.context("order_confirmation", "fr"))
    assert (again.subject, again.text, again.html) == (
        normal_email.subject,
        normal_email.text,
        normal_email.html,
    )


# -- escapes ---------------------------------------------------------------------------

ESCAPES = {
    "mro": ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "unsafe"),
    "cycler globals": ("{{ cycler.__init__.__globals__.os.environ }}", "unsafe"),
    "template reference": ("{{ self._TemplateReference__context }}", "unsafe"),
    "str.format": ("{{ '{0.__class__.__mro__}'.format(order) }}", "unsafe"),
    "format_map": ("{{ '{x.__class__}'.format_map({'x': order}) }}", "unsafe"),
    "format as an item": ("{{ ''['format']('{0.__class__}', order) }}", "unsafe"),
    # CVE-2024-56326: str.format reached without the sandbox's call, here through map().
    "format through map": (
        "{% for f in ['{0.__class__}']|map(attribute='format') %}{{ f(order) }}{% endfor %}",
        "unsafe",
    ),
    # CVE-2025-27516: |attr handed out str.format; attr is not an allowed filter.
    "attr filter": ("{{ ''|attr('format')('{0.__class__}', order) }}", "No filter named 'attr'"),
    "attr dunder": ("{{ order|attr('__class__') }}", "No filter named 'attr'"),
    # On Jinja 3.1.4 this printed an environment variable: once() called its argument unchecked.
    "once with format": (
        "{{ once('k', '{0.__init__.__globals__[os].environ[HOME]}'.format, cycler) }}",
        "unsafe",
    ),
    "once with a stored format": ("{% set f = 'x{0}'.format %}{{ once('k', f, 1) }}", "unsafe"),
    "pydantic machinery": ("{{ order.model_rebuild(force=True) }}", "unsafe"),
    "classmethod": ("{{ order.placed_at.fromtimestamp(0) }}", "unsafe"),
    "str method that grows": ("{{ 'a'.ljust(10 ** 8) }}", "unsafe"),
    "int method that grows": ("{{ (1).to_bytes(10 ** 9, 'big') }}", "unsafe"),
    "gettext's own object": ("{{ _.__globals__ }}", "unsafe"),
    "lipsum's module": ("{{ lipsum.__module__ }}", "unsafe"),
}


@pytest.mark.parametrize(("source", "reason"), ESCAPES.values(), ids=list(ESCAPES))
def test_escapes_are_stopped(
    composer: Composer, normal_email: rc.Email, source: str, reason: str
) -> None:
    error = _stopped(composer, source)
    assert reason in str(error)
    _still_normal(composer, normal_email)


# -- mutations of shared objects ---------------------------------------------------------

MUTATIONS = {
    "model configuration": "{{ order.model_computed_fields.clear() }}",
    "model fields": "{{ order.model_fields.clear() }}",
    "instance dict": "{{ shop.__dict__.update(name='Pwned') }}",
    "a list in the context": "{% set x = o.lines %}{{ x.append(1) }}",
    "a dict": "{% set d = {'a': 1} %}{{ d.update(b=2) }}",
    "a list through once": "{{ once('k', o.lines.clear) }}",
}


@pytest.mark.parametrize("source", MUTATIONS.values(), ids=list(MUTATIONS))
def test_shared_objects_cannot_be_changed(
    composer: Composer, normal_email: rc.Email, source: str
) -> None:
    computed = dict(rc.Order.model_computed_fields)
    fields = dict(rc.Order.model_fields)
    assert "unsafe" in str(_stopped(composer, source))
    assert dict(rc.Order.model_computed_fields) == computed
    assert dict(rc.Order.model_fields) == fields
    assert composer.shop.name == samples.shop().name
    _still_normal(composer, normal_email)


# -- bombs ----------------------------------------------------------------------------------

BOMBS = {
    "power": "{{ 10 ** (10 ** 9) }}",
    "power of a power": "{{ (10 ** 4000) ** 4000 }}",
    "repeated string": "{{ 'x' * 10 ** 9 }}",
    "repeated string, measured": "{{ ('x' * 10 ** 9)|length }}",
    "repeated list": "{{ ([0] * 10 ** 9)|length }}",
    "long number": "{{ (10 ** 4000) * (10 ** 4000) }}",
    "range": "{% for i in range(10 ** 9) %}{% endfor %}",
    "nested ranges": (
        "{% for i in range(10 ** 4) %}{% for j in range(10 ** 4) %}{% endfor %}{% endfor %}"
    ),
    "nested loops over a literal list": "{% set l = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] %}"
    + "{% for a in l %}" * 12
    + "{% endfor %}" * 12,
    "recursive macro": "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
    "recursive loop": "{% for x in [1] recursive %}{{ loop([x]) }}{% endfor %}",
    "include itself": "{% include NAME %}",
    "center": "{{ 'a'|center(10 ** 8) }}",
    "indent": "{{ 'a\nb'|indent(10 ** 8) }}",
    "wordwrap": "{{ 'a b c'|wordwrap(1, wrapstring='x' * 200000) }}",
    "replace": "{{ 'aaaa'|replace('', 'b' * 100000) }}",
    "join": "{{ range(1000)|join('x' * 1000) }}",
    "batch": "{{ [1]|batch(10 ** 9, 'x')|list }}",
    "columns": "{{ 'a'|columns('b', 10 ** 9) }}",
    "round": "{{ 3.14|round(10 ** 9, 'floor') }}",
    "format filter": "{{ '%0100000000d'|format(1) }}",
    "printf": "{{ '%0100000000d' % 1 }}",
    "printf star": "{{ '%*d' % (10 ** 8, 1) }}",
    "gettext": "{{ _('%(x)0100000000d', x=1) }}",
    "huge lipsum": "{{ lipsum(10 ** 6) }}",
    "long lipsum": "{{ lipsum(1, max=10 ** 8) }}",
    "doubling with ~": "{% set x = 'abcdefgh' %}" + "{% set x = x ~ x %}" * 40 + "{{ x|length }}",
    "doubling in a namespace": "{% set ns = namespace(x='ab') %}{% for i in range(100) %}"
    "{% set ns.x = ns.x ~ ns.x %}{% endfor %}",
    "doubling literal": "{% set x = [1] %}" + "{% set x = [x, x] %}" * 60 + "{{ x == [x] }}",
    "output flood": "{% for i in range(10 ** 5) %}{{ 'x' * 100 }}{% endfor %}",
    "block set flood": "{% set y = 'x' * 200000 %}{% set z %}" + "{{ y }}" * 1000 + "{% endset %}",
}


@pytest.mark.parametrize("name", [SMS, TEXT])
@pytest.mark.parametrize("source", BOMBS.values(), ids=list(BOMBS))
def test_bombs_are_stopped(
    composer: Composer, normal_email: rc.Email, source: str, name: str
) -> None:
    error = _stopped(composer, source.replace("NAME", repr(name)), name)
    assert any(why in str(error) for why in ("steps", "characters", "digits", "RecursionError"))
    _still_normal(composer, normal_email)


def test_a_legit_template_within_the_bombs_limits_renders(composer: Composer) -> None:
    # The same shapes, small: the bounds refuse sizes, not constructs.
    source = (
        "{{ 10 ** 3 }} {{ 'x' * 3 }} {{ 'a'|center(5) }} {{ range(3)|join('-') }} "
        "{% for i in range(3) %}{% for j in range(2) %}.{% endfor %}{% endfor %} "
        "{% set x = 'ab' %}{% set x = x ~ x %}{{ x }} {{ '%03d' % 7 }} "
        "{{ lipsum(1, False, 3, 5)|length > 0 }}"
    )
    edited = composer.with_merchant_templates({SMS: source})
    assert _render(edited, SMS) == "1000 xxx a 0-1-2 ...... abab 007 True"  # an SMS is one line


@pytest.mark.parametrize(
    "source",
    [BOMBS["power"], BOMBS["repeated string"], BOMBS["center"], BOMBS["huge lipsum"]],
)
def test_saving_a_bomb_computes_nothing(composer: Composer, source: str) -> None:
    # Compiling runs nothing: Jinja's optimizer folds no merchant expression.
    saved = composer.with_merchant_templates({SMS: source})
    with pytest.raises(rc.RenderError, match="more than 204800 characters"):
        _render(saved, SMS)


PYTHON_ERRORS = {
    "1/0": ("{{ 1 / 0 }}", ZeroDivisionError),
    "overflow": ("{{ 2.0 ** 10000 }}", OverflowError),
    "type": ("{{ 'a' + 1 }}", TypeError),
    "value": ("{{ 'ab'.index('z') }}", ValueError),
    "recursion": ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", RecursionError),
}


@pytest.mark.parametrize("name", [SMS, TEXT])
@pytest.mark.parametrize(("source", "kind"), PYTHON_ERRORS.values(), ids=list(PYTHON_ERRORS))
def test_python_errors_are_render_errors_naming_the_template(
    composer: Composer, normal_email: rc.Email, source: str, kind: type[Exception], name: str
) -> None:
    error = _stopped(composer, source, name)
    assert isinstance(error.__cause__, kind)
    assert kind.__name__ in str(error)
    _still_normal(composer, normal_email)


class _Raises:
    """A context value whose ``go()`` raises what it was given."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def go(self) -> None:
        raise self.error


@pytest.mark.parametrize(
    "error",
    [MemoryError(), RecursionError("deep"), KeyError("k"), RuntimeError("r"), OSError("disk")],
    ids=lambda e: type(e).__name__,
)
def test_any_exception_of_a_merchant_render_is_a_render_error(error: Exception) -> None:
    renderer = Renderer().with_merchant_templates({SMS: "{{ boom.go() }}"})
    with pytest.raises(rc.RenderError) as caught:
        renderer.render(SMS, "en", {"boom": _Raises(error)})
    assert caught.value.template == SMS
    assert caught.value.__cause__ is error
    assert type(error).__name__ in str(caught.value)


class _Till:
    """A shop object with a method templates must not call (Jinja's ``@unsafe``)."""

    def __init__(self) -> None:
        self.emptied = False

    @unsafe
    def empty(self) -> str:
        self.emptied = True
        return "emptied"


@pytest.mark.parametrize(
    "source",
    ["{{ till.empty() }}", "{{ once('k', till.empty) }}", "{{ once('k', once, 'j', till.empty) }}"],
)
def test_once_calls_through_the_sandboxs_own_checks(source: str) -> None:
    renderer = Renderer().with_merchant_templates({SMS: source})
    till = _Till()
    with pytest.raises(rc.RenderError, match="is not safely callable"):
        renderer.render(SMS, "en", {"till": till})
    assert not till.emptied


# -- sizes --------------------------------------------------------------------------------


def test_sources_over_64_kb_are_refused_on_save(composer: Composer) -> None:
    def padded(size: int) -> str:
        return "{# " + "é" * ((size - 6) // 2) + "x" * ((size - 6) % 2) + " #}"

    assert len(padded(64 * 1024).encode()) == 64 * 1024
    composer.with_merchant_templates({SMS: padded(64 * 1024)})
    with pytest.raises(rc.RenderError, match="65537 bytes, over the 65536-byte limit") as caught:
        composer.with_merchant_templates({SMS: padded(64 * 1024 + 1)})
    assert caught.value.template == SMS


def test_output_is_capped() -> None:
    limits = SandboxLimits(output_chars=100)
    fits = Renderer().with_merchant_templates({SMS: "{{ 'x' * 99 }}."}, limits=limits)
    assert fits.render(SMS, "en", {}) == "x" * 99 + "."
    over = Renderer().with_merchant_templates({SMS: "{{ 'x' * 99 }}.."}, limits=limits)
    with pytest.raises(rc.RenderError, match="wrote more than 100 characters") as caught:
        over.render(SMS, "en", {})
    assert caught.value.template == SMS
    too_big = Renderer().with_merchant_templates({SMS: "{{ 'x' * 101 }}"}, limits=limits)
    with pytest.raises(rc.RenderError, match="more than 100 characters"):
        too_big.render(SMS, "en", {})


# -- steps, counted -----------------------------------------------------------------------


def _steps(source: str, context: dict[str, Any] | None = None) -> int:
    """The steps one render of ``source`` takes, read from its budget."""
    renderer = Renderer().with_merchant_templates({SMS: source})
    env = renderer.environment("en")
    assert isinstance(env, MerchantSandbox)
    template = env.get_template(SMS)
    with env.budget(SMS) as budget:
        budget.collect(template.generate(context or {}))
    return budget.steps


def _loop(n: int) -> str:
    return "{% for i in range(" + str(n) + ") %}.{% endfor %}"


def test_a_loop_costs_three_steps_an_iteration() -> None:
    # The number range() yields, the iteration, the chunk written.
    assert _steps(_loop(11)) - _steps(_loop(10)) == 3
    assert _steps(_loop(110)) - _steps(_loop(10)) == 300


@pytest.mark.parametrize(
    ("with_it", "without", "steps"),
    [
        ("{% set d = {'a': 1} %}{{ d.a }}", "{% set d = {'a': 1} %}{{ d }}", 1),  # attribute
        ("{% set d = {'a': 1} %}{{ d['a'] }}", "{% set d = {'a': 1} %}{{ d }}", 1),  # item
        ("{{ 'a'|upper }}", "{{ 'a' }}", 1),  # filter
        ("{{ 'a'.upper() }}", "{{ 'a' }}", 2),  # attribute and call
        ("{{ 1 + 1 }}", "{{ 2 }}", 1),  # operator
        ("{{ -x }}", "{{ x }}", 1),  # unary operator
        ("x{{ 1 }}", "{{ 1 }}", 1),  # output chunk
        ("{% set r = range(5) %}", "{% set r = range(4) %}", 1),  # a number from range
        ("{% for i in [1, 2] %}{% endfor %}", "{% for i in [1] %}{% endfor %}", 1),  # iteration
        ("{{ 'x' * 512 }}", "{{ 'x' * 2 }}", 4),  # 512 characters, made then printed
    ],
)
def test_each_step_is_counted(with_it: str, without: str, steps: int) -> None:
    context = {"x": 3}
    assert _steps(with_it, context) - _steps(without, context) == steps


def test_the_budget_stops_a_loop_exactly_past_it() -> None:
    cost = _steps(_loop(50))
    exact = Renderer().with_merchant_templates({SMS: _loop(50)}, limits=SandboxLimits(steps=cost))
    assert exact.render(SMS, "en", {}) == "." * 50
    assert exact.render(SMS, "en", {}) == "." * 50  # a budget is per render, not cumulative
    short = SandboxLimits(steps=cost - 1)
    over = Renderer().with_merchant_templates({SMS: _loop(50)}, limits=short)
    with pytest.raises(rc.RenderError, match=f"took more than {cost - 1} steps") as caught:
        over.render(SMS, "en", {})
    assert caught.value.template == SMS


class _Gate:
    """A context value that holds ``renders`` renders at one point until all have reached it."""

    def __init__(self, renders: int) -> None:
        self.barrier = threading.Barrier(renders)

    @property
    def both(self) -> str:
        self.barrier.wait(timeout=60)
        return ""


def test_two_renders_at_once_each_have_their_own_budget() -> None:
    source = _loop(40) + "{{ gate.both }}" + _loop(40)
    cost = _steps(source, {"gate": _Gate(1)})
    gate = _Gate(2)
    renderer = Renderer().with_merchant_templates({SMS: source}, limits=SandboxLimits(steps=cost))
    # Both renders are half-way at once: a shared budget would be spent twice over.
    with ThreadPoolExecutor(2) as pool:
        outputs = list(pool.map(lambda _: renderer.render(SMS, "en", {"gate": gate}), range(2)))
    assert outputs == ["." * 80] * 2


# -- legit templates render as before ----------------------------------------------------


def _sources(*names: str) -> dict[str, str]:
    return {name: (PACKAGED_TEMPLATES / name).read_text(encoding="utf-8") for name in names}


@pytest.mark.parametrize("locale", ["fr", "ar"])
@pytest.mark.parametrize("kind", KINDS)
def test_packaged_sources_saved_as_merchant_templates_render_the_same(
    composer: Composer, kind: str, locale: str
) -> None:
    shared = ("email/base.html", "email/base.txt", "email/macros.html", "email/macros.txt")
    edited = composer.with_merchant_templates(
        _sources(f"email/{kind}.html", f"email/{kind}.txt", *shared, "common.txt")
        | _sources("email/styles.css")
    )
    packaged = composer.email(kind, **samples.context(kind, locale))
    sandboxed = edited.email(kind, **samples.context(kind, locale))
    # A marketing message's unsubscribe token is signed with the second it is made: two
    # renders either side of a second's turn differ there, and only there.
    parts = ("subject", "preheader", "text", "html")
    assert [_untokened(getattr(sandboxed, part)) for part in parts] == [
        _untokened(getattr(packaged, part)) for part in parts
    ]


def _untokened(rendered: str) -> str:
    """``rendered`` with each signed unsubscribe token replaced by a placeholder."""
    return UNSUBSCRIBE_TOKEN.sub("token=TOKEN", rendered)


UNSUBSCRIBE_TOKEN = re.compile(r"token=[^&\"'\s<>]+")


def test_an_edited_template_renders_the_packaged_message_plus_the_edit(composer: Composer) -> None:
    source = (PACKAGED_TEMPLATES / TEXT).read_text(encoding="utf-8")
    closing = '{{ _("See you soon,") }}'
    assert source.count(closing) == 1
    added = "Merci de soutenir nos artisans."
    edited = composer.with_merchant_templates(
        {TEXT: source.replace(closing, f"{added}\n{closing}")}
    )
    context = samples.context("order_confirmation", "fr")
    packaged = composer.email("order_confirmation", **context)
    email = edited.email("order_confirmation", **samples.context("order_confirmation", "fr"))
    soon = translations("fr", ()).gettext("See you soon,")
    assert packaged.text.count(soon) == 1
    assert email.text == packaged.text.replace(soon, f"{added}\n{soon}")
    assert (email.subject, email.html) == (packaged.subject, packaged.html)


# -- Jinja's features are unchanged in the sandbox ---------------------------------------

CONSTRUCTS = {
    "loop.txt": "{% for x in ['a', 'b', 'c'] %}{{ loop.index }}/{{ loop.length }}"
    "{{ '!' if loop.last }}{{ loop.cycle('x', 'y') }} {% else %}none{% endfor %}",
    "empty.txt": "{% for x in [] %}{{ x }}{% else %}none{% endfor %}",
    "recursive.txt": "{% for n in tree recursive %}[{{ n.name }}"
    "{% if n.kids %}{{ loop(n.kids) }}{% endif %}]{% endfor %}",
    "unpack.txt": "{% set a, b = 1, 2 %}{{ a }}{{ b }}"
    "{% for k, v in {'x': 1, 'y': 2}|dictsort %}{{ k }}={{ v }};{% endfor %}",
    "namespace.txt": "{% set ns = namespace(t=0) %}{% for i in range(5) %}"
    "{% set ns.t = ns.t + i %}{% endfor %}{{ ns.t }}",
    "filters.txt": "{{ ['b', 'a']|sort|join(', ') }} {{ users|map(attribute='name')|join('/') }} "
    "{{ users|selectattr('age', 'gt', 20)|map(attribute='name')|list }} "
    "{{ 'hello world'|title|center(15) }}|{{ 'x\ny'|indent(2, true) }} "
    "{{ 'abc'|replace('b', 'BB') }} {{ '%s-%d'|format('a', 3) }} {{ 3.14159|round(2) }}",
    "filter_block.txt": "{% filter upper %}abc{{ 'd' }}{% endfilter %}",
    "call.txt": "{% macro box(t) %}<{{ t }}:{{ caller() }}>{% endmacro %}"
    "{% call box('b') %}inner{% endcall %}",
    "concat.html": "{{ '<b>' ~ br ~ name }} {{ name ~ 1 ~ none }}",
    "literals.txt": "{{ (1, 2)[1] }} {{ [1, 2, 3][1:] }} {{ {'a': [1]}['a'][0] }} "
    "{{ 'abc'.upper() }} {{ 'a,b'.split(',') }}",
    "operators.txt": "{{ '%(n)s items' % {'n': 3} }} {{ 'x' * 3 }} {{ 2 ** 10 }} "
    "{{ -5 + +2 }} {{ 7 // 2 }} {{ 7 % 3 }} {{ [1] + [2] }}",
    "helpers.txt": "{% set c = cycler('a', 'b') %}{{ c.next() }}{{ c.next() }}{{ c.next() }}"
    "{% set j = joiner('|') %}{% for i in range(3) %}{{ j() }}{{ i }}{% endfor %}"
    "{{ dict(a=1).a }}",
    "include.txt": "{% include ['missing.txt', 'filter_block.txt'] %}",
    "self.txt": "{% block t %}T{% endblock %}{{ self.t() }}",
    "trans.txt": "{% trans count=n %}{{ count }} item{% pluralize %}{{ count }} items{% endtrans %}"
    " {{ _('Hello %(who)s', who='you') }} {{ ngettext('%(num)d apple', '%(num)d apples', 3) }}",
}


def _environment(cls: type[jinja2.Environment]) -> jinja2.Environment:
    env = cls(
        loader=jinja2.DictLoader(CONSTRUCTS),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    env.globals["br"] = Markup("<br>")
    if isinstance(env, MerchantSandbox):
        env.seal()
    return env


@pytest.mark.parametrize("name", list(CONSTRUCTS))
def test_jinja_features_render_as_in_plain_jinja(name: str) -> None:
    context = {
        "tree": [{"name": "a", "kids": [{"name": "b", "kids": []}]}, {"name": "c", "kids": []}],
        "users": [{"name": "ann", "age": 30}, {"name": "bob", "age": 10}],
        "name": "<i>",
        "n": 2,
    }
    plain = _environment(jinja2.Environment).get_template(name).render(context)
    sandbox = _environment(MerchantSandbox)
    assert isinstance(sandbox, MerchantSandbox)
    with sandbox.budget(name) as budget:
        assert budget.collect(sandbox.get_template(name).generate(context)) == plain


def test_outside_a_render_a_merchant_template_does_nothing() -> None:
    sandbox = _environment(MerchantSandbox)
    with pytest.raises(jinja2.exceptions.SecurityError, match="only inside a render"):
        sandbox.get_template("literals.txt").render()


def test_checks_read_a_merchant_composers_phrases_within_a_budget() -> None:
    base = Composer(
        samples.shop(),
        unsubscribe_url=samples.UNSUBSCRIBE_URL,
        unsubscribe_secret=samples.UNSUBSCRIBE_SECRET,
    )
    common = (PACKAGED_TEMPLATES / "common.txt").read_text(encoding="utf-8")
    merchant = base.with_merchant_templates({"common.txt": common})
    context = samples.context("order_delayed", "fr")
    email = merchant.email("order_delayed", **context)
    assert checks.message_problems(merchant, email, context) == []


def test_the_composer_passes_limits_to_the_sandbox() -> None:
    loop = "{% for i in range(100) %}x{% endfor %}"
    tight = Composer(samples.shop()).with_merchant_templates(
        {"sms/order_confirmation.txt": loop}, limits=SandboxLimits(steps=50)
    )
    with pytest.raises(rc.RenderError, match="more than 50 steps"):
        tight.sms("order_confirmation", order=samples.order())
