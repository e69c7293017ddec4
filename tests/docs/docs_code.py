"""Find the code the documentation shows, so that the tests can run every piece of it.

Three kinds of code appear in ``docs/``:

* ``.. code-block:: python`` blocks written in a page: a page's blocks run in
  order, in one namespace, as a reader following the page would type them;
* ``.. literalinclude::`` of a Python file under ``docs/snippets/`` or
  ``examples/``: each file runs as a script;
* ``.. code-block:: console`` blocks: each ``$ relationclient …`` line runs as a
  command.

Any other way of showing Python (``.. code::``, ``.. sourcecode::``, a
``>>>`` session, a literalinclude from elsewhere) is refused, so that no
example can slip past the tests.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"
SNIPPETS = DOCS / "snippets"

_DIRECTIVE = re.compile(r"^(?P<indent> *)\.\. (?P<name>[\w-]+):: *(?P<arg>.*)$")
_PYTHON = {"python", "python3", "py", "pycon"}


@dataclass(frozen=True)
class Block:
    """One directive found in a page: its name, argument, body and where it starts."""

    page: Path
    line: int
    name: str
    argument: str
    body: str
    body_line: int

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def pages() -> list[Path]:
    """Every reST page of the documentation."""
    return sorted(p for p in DOCS.rglob("*.rst") if "_build" not in p.parts)


def directives(page: Path) -> list[Block]:
    """Every directive of ``page`` with its body, options left out, dedented."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    for number, line in enumerate(lines):
        match = _DIRECTIVE.match(line)
        if not match:
            continue
        indent = len(match["indent"])
        body: list[str] = []
        start = number + 2  # 1-based line of the first body line
        in_options = True
        for offset, following in enumerate(lines[number + 1 :]):
            stripped = following.strip()
            if stripped and len(following) - len(following.lstrip()) <= indent:
                break
            if in_options and (re.match(r"^:[\w-]+:", stripped) or not stripped):
                start = number + offset + 3
                continue
            in_options = False
            body.append(following)
        while body and not body[-1].strip():
            body.pop()
        margin = min((len(b) - len(b.lstrip()) for b in body if b.strip()), default=0)
        text = "\n".join(b[margin:] for b in body)
        found.append(
            Block(page, number + 1, match["name"], match["arg"].strip(), text + "\n", start)
        )
    return found


def python_blocks(page: Path) -> list[Block]:
    """The ``code-block:: python`` blocks of ``page``, in order."""
    return [
        b for b in directives(page) if b.name == "code-block" and b.argument.lower() == "python"
    ]


def included_files(page: Path) -> list[tuple[Block, Path]]:
    """The files ``page`` shows with ``literalinclude``, resolved."""
    result = []
    for block in directives(page):
        if block.name == "literalinclude":
            argument = block.argument
            target = (
                DOCS / argument.lstrip("/")
                if argument.startswith("/")
                else (page.parent / argument).resolve()
            )
            result.append((block, target))
    return result


def untested_python(page: Path) -> list[str]:
    """Places in ``page`` that show Python in a way the tests would not run."""
    problems = []
    for block in directives(page):
        if block.name in ("code", "sourcecode") and block.argument.lower() in _PYTHON:
            problems.append(f"{block.where}: use '.. code-block:: python' so the tests run it")
        if block.name == "code-block" and block.argument.lower() in _PYTHON - {"python"}:
            problems.append(f"{block.where}: use '.. code-block:: python' so the tests run it")
        if block.name == "doctest" or (block.name == "code-block" and ">>> " in block.body):
            problems.append(f"{block.where}: write a plain python block, not a >>> session")
    for block, target in included_files(page):
        if target.suffix == ".py" and not (
            target.is_relative_to(SNIPPETS) or target.is_relative_to(EXAMPLES)
        ):
            problems.append(f"{block.where}: include Python from docs/snippets or examples only")
        if not target.exists():
            problems.append(f"{block.where}: {target} does not exist")
    return problems


def console_commands(page: Path) -> list[tuple[Block, list[str]]]:
    """The ``$ relationclient …`` commands of the page's console blocks."""
    commands = []
    for block in directives(page):
        if block.name != "code-block" or block.argument != "console":
            continue
        for line in block.body.splitlines():
            if line.startswith(("$ relationclient", "$ python -m relationclient")):
                commands.append((block, shlex.split(line[2:])))
    return commands
