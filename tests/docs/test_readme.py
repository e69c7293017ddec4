"""The README's example runs as written, and its two commands are the ones CI uses."""

import os
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_python_example_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)
    assert blocks
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for block in blocks:
            exec(compile(block, str(README), "exec"), {})
    finally:
        os.chdir(cwd)
    out = capsys.readouterr().out
    assert "ML-2026-10482" in out
    assert any((tmp_path / "outbox-maildir" / "new").iterdir())


def test_readme_gives_the_two_fresh_machine_commands() -> None:
    text = README.read_text()
    assert "pip install . && relationclient demo" in text
    assert "pip install -e '.[test]' && python -m pytest" in text
    ci = (README.parent / ".ci" / "run").read_text()
    assert "test-command" in ci  # .ci/run reads the test command from the README
