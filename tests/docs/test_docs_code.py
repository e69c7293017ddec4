"""Every code example of the documentation runs: page blocks, snippets, CLI lines, doctests.

See ``docs_code.py`` for what counts as an example. Each runs in a fresh
temporary directory, so examples that write files (a Maildir…) leave nothing
behind.
"""

from __future__ import annotations

import contextlib
import doctest
import importlib
import linecache
import pkgutil
import re
import runpy
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import httpx
import pytest

import relationclient
from relationclient import cli

from .docs_code import (
    DOCS,
    EXAMPLES,
    ROOT,
    SNIPPETS,
    console_commands,
    included_files,
    pages,
    python_blocks,
    untested_python,
)
from .local_servers import smtp_environment

PAGES_WITH_CODE = [p for p in pages() if python_blocks(p)]
SNIPPET_FILES = sorted(SNIPPETS.rglob("*.py"))
PAGES_WITH_COMMANDS = [p for p in pages() if console_commands(p)]
#: What the console examples work in: a shop's templates and data, as in the docs.
SHOP_PROJECT = SNIPPETS / "shop"


Prepare = Callable[[str], None]

#: Credentials the provider examples read from the environment. Set to dummies: the
#: examples build requests but send nothing to the real providers.
PROVIDER_VARIABLES = (
    "BREVO_API_KEY",
    "POSTMARK_SERVER_TOKEN",
    "SENDGRID_API_KEY",
    "MAILGUN_API_KEY",
    "MAILJET_API_KEY",
    "MAILJET_SECRET_KEY",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "VONAGE_API_KEY",
    "VONAGE_API_SECRET",
)


@pytest.fixture
def in_tmp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the example from an empty directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def prepare(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Prepare]:
    """Start the local servers an example's source needs and set the variables that reach them."""
    for name in PROVIDER_VARIABLES:
        monkeypatch.setenv(name, f"docs-test-{name.lower()}")
    with contextlib.ExitStack() as stack:

        def start(source: str) -> None:
            if "SMTP_HOST" in source:
                env = stack.enter_context(smtp_environment(tmp_path / "tls"))
                for name, value in env.items():
                    monkeypatch.setenv(name, value)

        yield start


def test_docs_show_python_only_in_ways_the_tests_run() -> None:
    problems = [problem for page in pages() for problem in untested_python(page)]
    assert not problems, "\n".join(problems)


def test_every_snippet_is_shown_somewhere() -> None:
    shown = {target for page in pages() for _, target in included_files(page)}
    unused = [str(s.relative_to(ROOT)) for s in SNIPPET_FILES if s not in shown]
    assert not unused, f"snippets no page includes: {unused}"


@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=lambda p: str(p.relative_to(DOCS)))
def test_page_code_blocks_run(page: Path, in_tmp_dir: Path, prepare: Prepare) -> None:
    namespace: dict[str, object] = {"__name__": "__docs__"}
    blocks = python_blocks(page)
    prepare("".join(b.body for b in blocks))
    for block in blocks:
        # The page's text in linecache lets a failure's traceback show the failing line.
        filename = str(block.page)
        padding = "\n" * (block.body_line - 1)
        lines = (padding + block.body).splitlines(keepends=True)
        linecache.cache[filename] = (len(block.body), None, lines, filename)
        exec(compile(padding + block.body, filename, "exec"), namespace)


@pytest.mark.parametrize("snippet", SNIPPET_FILES, ids=lambda p: str(p.relative_to(SNIPPETS)))
def test_snippet_runs(snippet: Path, in_tmp_dir: Path, prepare: Prepare) -> None:
    if snippet.name.startswith("test_"):
        # A shop's own test module, shown in the docs: run it with pytest, as a shop would.
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(snippet)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert " passed" in result.stdout
        return
    prepare(snippet.read_text(encoding="utf-8"))
    runpy.run_path(str(snippet), run_name="__main__")


@pytest.mark.parametrize("page", PAGES_WITH_COMMANDS, ids=lambda p: str(p.relative_to(DOCS)))
def test_console_commands_run(page: Path, in_tmp_dir: Path) -> None:
    """A page's ``$ relationclient …`` lines run in order, in a copy of the sample shop project."""
    shutil.copytree(SHOP_PROJECT, in_tmp_dir, dirs_exist_ok=True)
    for block, argv in console_commands(page):
        command = [sys.executable, "-m", "relationclient", *argv[1:]]
        if argv[:3] == ["python", "-m", "relationclient"]:
            command = [sys.executable, *argv[1:]]
        shown = f"{block.where}: {' '.join(argv)}"
        if command[3:4] == ["preview"]:
            _check_preview(command, shown)
            continue
        result = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
        assert result.returncode == 0, f"{shown}\n{result.stdout}\n{result.stderr}"


def _check_preview(command: list[str], shown: str) -> None:
    """``preview`` serves until stopped: start it on a free port, fetch its page, stop it."""
    if "--port" in command:
        command[command.index("--port") + 1] = "0"
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            found = re.search(r"http://[\w.:]+/", line)
            url = found.group(0) if found else None
        assert url, f"{shown}: no URL printed"
        response = httpx.get(url, timeout=60)
        assert response.status_code == 200, f"{shown}: {response.status_code}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def _options(command: click.Command, path: str) -> Iterator[tuple[str, str]]:
    for param in command.params:
        if isinstance(param, click.Option):
            for opt in param.opts:
                if opt.startswith("--") and opt not in ("--help", "--version"):
                    yield path, opt
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _options(sub, f"{path} {name}".strip())


def test_cli_reference_documents_every_command_and_option() -> None:
    """``docs/cli.rst`` is written by hand: it must name every command and option there is."""
    text = (DOCS / "cli.rst").read_text(encoding="utf-8")
    missing = [f"{path} {opt}" for path, opt in _options(cli.main, "") if opt not in text]
    missing += [f"command {name}" for name in cli.main.commands if f"``{name}``" not in text]
    assert not missing, f"undocumented in docs/cli.rst: {missing}"


def _modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(relationclient.__path__, "relationclient."):
        if info.name.endswith("__main__"):
            continue
        names.append(info.name)
    return names


@pytest.mark.parametrize("module", _modules())
def test_docstring_examples_run(module: str) -> None:
    """The ``>>>`` examples of the docstrings, which the API reference shows."""
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        if (exc.name or "").startswith("relationclient"):
            raise  # a broken module of ours, not a missing optional extra
        pytest.skip(f"{module}: {exc}")
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(mod, module):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{module}: {result.failed} docstring example(s) failed"


def test_examples_folder_is_where_the_docs_say() -> None:
    assert EXAMPLES.is_dir()
