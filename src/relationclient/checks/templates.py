"""Checking a shop's template overrides: they compile, and what they use exists."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import jinja2
from babel.support import NullTranslations
from jinja2 import meta

from ..errors import RelationClientError
from ..rendering.environment import build_environment, packaged_template_names, render_errors
from .problem import Problem


def _shop_templates(directory: Path) -> list[str]:
    return sorted(
        path.relative_to(directory).as_posix()
        for path in directory.rglob("*")
        if path.is_file() and path.suffix in (".html", ".txt", ".css")
    )


def template_problems(
    template_dirs: Sequence[str | Path],
) -> tuple[list[str], list[Problem], list[str]]:
    """Compile a shop's template overrides.

    Every ``.html``, ``.txt`` and ``.css`` file under ``template_dirs`` is compiled, and
    every template it extends, imports or includes must exist.

    Returns:
        ``(names, problems, notes)``: the template names checked, what is wrong
        (syntax errors, missing parents), and notes that fail nothing (a name
        that replaces no packaged template — a typo, or a partial of the shop's).
    """
    env = build_environment(NullTranslations(), template_dirs)
    packaged = set(packaged_template_names())
    names: list[str] = []
    problems: list[Problem] = []
    notes: list[str] = []
    for raw in template_dirs:
        directory = Path(raw)
        if not directory.is_dir():
            problems.append(Problem(str(directory), "template", "is not a folder"))
            continue
        for name in _shop_templates(directory):
            path = directory / name
            names.append(name)
            if name not in packaged:
                notes.append(f"{path}: replaces no packaged template (a partial of yours?)")
            try:
                source = path.read_text(encoding="utf-8")
                with render_errors(name):
                    env.compile(source, name=name, filename=str(path))
                    referenced = meta.find_referenced_templates(env.parse(source))
            except UnicodeDecodeError as exc:
                problems.append(Problem(str(path), "template", f"is not UTF-8: {exc}"))
                continue
            except RelationClientError as exc:
                problems.append(Problem(str(path), "template", str(exc)))
                continue
            for parent in referenced:
                if parent is None:
                    continue
                try:
                    env.get_template(parent)
                except jinja2.TemplateNotFound:
                    problems.append(
                        Problem(str(path), "template", f"uses {parent!r}, which does not exist")
                    )
                except jinja2.TemplateError:
                    pass  # a broken parent is reported when its own file is compiled
    return names, problems, notes
