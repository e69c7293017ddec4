"""The Renderer: Jinja environments per catalog language, and the one way templates render.

A :class:`~relationclient.Composer` decides *what* a message says; its
renderer owns *how* templates turn into text: one Jinja environment per
catalog language (its gettext catalog installed new-style, the theme's
stylesheet inlined into HTML templates as they load), shop template folders
before the packaged templates, merchant-edited templates in the merchant
sandbox (:mod:`relationclient.rendering.sandbox`: each render within a budget
of its own, and every error of it — Python's included — a ``RenderError``),
and every Jinja error turned into a :class:`~relationclient.RenderError`
naming the template. Rendering is Jinja's own: compiled templates, rendered
through their public API.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jinja2

from ..errors import RenderError
from ..i18n import locale_profile, translations
from .environment import build_environment, packaged_template_names, render_errors
from .sandbox import MerchantSandbox, SandboxLimits, check_source
from .theme import Theme

__all__ = ["Renderer"]


class Renderer:
    """Renders the templates of one shop, in any shipped catalog language.

    Args:
        theme: Colours, logo and fonts, rendered into the email stylesheet.
        template_dirs: The shop's own template folders, searched before the
            packaged templates (a shop template may ``{% extends
            "relationclient/<name>" %}`` and override single blocks).
        catalog_dirs: The shop's own gettext catalogs, tried before ours.
        merchant_templates: Template sources (name → Jinja source) edited by a
            merchant at run time; they replace packaged templates and render,
            with everything else, in the merchant sandbox
            (:class:`~relationclient.rendering.sandbox.MerchantSandbox`).
        inline_css: Inline the stylesheet into HTML templates once, as they
            load (default). ``False`` leaves the ``<style>`` element in place,
            for a caller that inlines each finished message itself.
        limits: The merchant sandbox's limits (source size, steps, output);
            :class:`~relationclient.rendering.sandbox.SandboxLimits` defaults
            otherwise.

    Raises:
        RenderError: A merchant template is over ``limits.source_bytes``.
    """

    def __init__(
        self,
        *,
        theme: Theme | None = None,
        template_dirs: Sequence[str | Path] = (),
        catalog_dirs: Sequence[str | Path] = (),
        merchant_templates: Mapping[str, str] | None = None,
        inline_css: bool = True,
        limits: SandboxLimits | None = None,
    ) -> None:
        self.theme = theme or Theme()
        # Absolute paths: catalogs are cached by folder, and a relative folder
        # means another one after a change of working directory.
        self.template_dirs = tuple(str(Path(d).resolve()) for d in template_dirs)
        self.catalog_dirs = tuple(str(Path(d).resolve()) for d in catalog_dirs)
        self.merchant_templates = dict(merchant_templates or {})
        self.inline_css = inline_css
        self.limits = limits or SandboxLimits()
        for name, source in self.merchant_templates.items():
            check_source(name, source, self.limits)
        self._environments: dict[str, jinja2.Environment] = {}
        self._lock = threading.Lock()

    def with_merchant_templates(
        self, templates: Mapping[str, str], *, limits: SandboxLimits | None = None
    ) -> Renderer:
        """A renderer in which ``templates`` replace packaged ones, checked now.

        Compiling runs nothing of a template: a template that would compute a
        giant value is saved, and stopped when it renders.

        Args:
            templates: Template sources by packaged template name.
            limits: The sandbox's limits; this renderer's otherwise.

        Raises:
            RenderError: A name is not a packaged template, a source is over
                the size limit, or does not compile (the error names the
                template, and the line of a syntax error).
        """
        known = set(packaged_template_names())
        for name in templates:
            if name not in known:
                raise RenderError(
                    f"{name!r} is not a template name; see Composer.template_names()",
                    template=name,
                )
        renderer = Renderer(
            theme=self.theme,
            template_dirs=self.template_dirs,
            catalog_dirs=self.catalog_dirs,
            merchant_templates={**self.merchant_templates, **templates},
            inline_css=self.inline_css,
            limits=limits or self.limits,
        )
        # Any catalog will do to compile: syntax does not depend on the language.
        env = renderer.environment("en")
        for name in templates:
            with renderer._errors(name):
                env.get_template(name)
        return renderer

    def environment(self, catalog: str) -> jinja2.Environment:
        """The Jinja environment of catalog language ``catalog``, made on first use."""
        env = self._environments.get(catalog)
        if env is None:
            with self._lock:
                env = self._environments.get(catalog)
                if env is None:
                    env = self._environments[catalog] = self._build(catalog)
        return env

    def _build(self, catalog: str) -> jinja2.Environment:
        profile = locale_profile(catalog, None, catalog)
        style = {
            "theme": self.theme,
            "start": "right" if profile.rtl else "left",
            "end": "left" if profile.rtl else "right",
        }
        return build_environment(
            translations(catalog, self.catalog_dirs),
            self.template_dirs,
            self.merchant_templates or None,
            style_context=style if self.inline_css else None,
            colon=profile.colon,
            comma=profile.comma,
            rtl=profile.rtl,
            limits=self.limits,
        )

    def has_template(self, name: str) -> bool:
        """Whether ``name`` is a packaged, shop or merchant template."""
        return (
            name in self.merchant_templates
            or name in packaged_template_names()
            or any((Path(d) / name).is_file() for d in self.template_dirs)
        )

    @contextmanager
    def _errors(self, name: str) -> Iterator[None]:
        """Jinja's errors as :class:`RenderError`; in the sandbox, every other error too."""
        with render_errors(name):
            try:
                yield
            except (RenderError, jinja2.TemplateError):
                raise
            except Exception as exc:
                if not self.merchant_templates:
                    raise
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                raise RenderError(
                    f"merchant template {name!r} failed: {reason}", template=name
                ) from exc

    @contextmanager
    def _collecting(
        self, env: jinja2.Environment, name: str
    ) -> Iterator[Callable[[Iterable[str]], str]]:
        """How to join a render's chunks: in the sandbox, each counted against one budget."""
        if isinstance(env, MerchantSandbox):
            with env.budget(name) as budget:
                yield budget.collect
        else:
            yield env.concat

    def render(self, name: str, catalog: str, context: Mapping[str, Any]) -> str:
        """Template ``name`` rendered whole in ``catalog``'s language."""
        with self._errors(name):
            env = self.environment(catalog)
            template = env.get_template(name)
            if isinstance(env, MerchantSandbox):
                with self._collecting(env, name) as collect:
                    return collect(template.generate(context))
            return template.render(context)

    def call_macro(self, name: str, catalog: str, macro: str, *args: Any) -> str:
        """The text of macro ``macro`` of template ``name`` called with ``args``.

        For checks that need a phrase exactly as the templates write it (the
        reason of a delay in ``common.txt``); in the sandbox, within a budget.
        """
        with self._errors(name):
            env = self.environment(catalog)
            with self._collecting(env, name) as collect:
                module = env.get_template(name).module
                return collect([str(getattr(module, macro)(*args))])

    def render_with_blocks(
        self, name: str, catalog: str, context: Mapping[str, Any], blocks: Sequence[str]
    ) -> tuple[str, dict[str, str]]:
        """Template ``name`` rendered whole, and some of its blocks alone, from one context.

        The email text template carries the subject and preheader as blocks;
        one context serves all three. Rendering the whole template first
        registers the blocks of its parents, so a block a shop template only
        inherits is found too.
        """
        with self._errors(name):
            env = self.environment(catalog)
            template = env.get_template(name)
            ctx = template.new_context(dict(context))
            try:
                with self._collecting(env, name) as collect:
                    whole = collect(template.root_render_func(ctx))
                    parts = {}
                    for block in blocks:
                        stack = ctx.blocks.get(block)
                        if not stack:
                            raise RenderError(
                                f"template {name!r} has no block {block!r}", template=name
                            )
                        parts[block] = collect(stack[0](ctx))
            except RenderError:
                raise
            except Exception:
                env.handle_exception()
            return str(whole), {block: str(text) for block, text in parts.items()}
