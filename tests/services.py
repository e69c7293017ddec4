"""The real servers and browser some tests need: where they are, and what to do when they are not.

The tests start their own PostgreSQL, Redis and headless Chromium on loopback.
Each is looked up, never expected at a fixed path:

* PostgreSQL's server binaries (``initdb`` and ``pg_ctl``, one directory):
  ``$RELATIONCLIENT_PG_BINDIR``; else ``initdb`` on the ``PATH``; else
  ``pg_config --bindir``; else the newest server of Debian's postgresql-common,
  asked as its own ``pg_ctlcluster`` asks (``PgCommon::get_program_path``); last,
  Debian's directory convention ``/usr/lib/postgresql/<newest version>/bin``.
* Redis: ``$RELATIONCLIENT_REDIS_SERVER``, else ``redis-server`` on the ``PATH``.
* Chromium: ``$RELATIONCLIENT_CHROMIUM``, else ``chromium``, ``chromium-browser``,
  ``google-chrome`` or ``google-chrome-stable`` on the ``PATH``.

:func:`require` is the one place deciding what a missing one means: the test
skips with a reason naming the Debian package to install, unless
``RELATIONCLIENT_REQUIRE_SERVICES=1`` is set (``.ci/run`` sets it), in which
case it fails with the same message. :func:`require_module` does the same for
an optional Python package, naming the extra that brings it.

Run as a script (standard library only), it prints the Debian packages of the
services that are missing, one a line: ``.ci/run`` installs those.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import NoReturn

REQUIRE_SERVICES = "RELATIONCLIENT_REQUIRE_SERVICES"

# Debian's layout of PostgreSQL servers, one directory per major version; the
# documented last resort when no tool tells us where the server binaries are.
DEBIAN_POSTGRES_ROOT = Path("/usr/lib/postgresql")


def services_required() -> bool:
    """Whether a missing service fails the test run (``RELATIONCLIENT_REQUIRE_SERVICES=1``)."""
    return os.environ.get(REQUIRE_SERVICES, "").strip().lower() not in ("", "0", "false", "no")


def unavailable(message: str) -> NoReturn:
    """Skip the test with ``message``, or fail it when services are required."""
    import pytest

    if services_required():
        pytest.fail(f"{message} [{REQUIRE_SERVICES}=1: a missing service fails]", pytrace=False)
    # allow_module_level: a conftest or test module may call this on import (see require_module).
    pytest.skip(message, allow_module_level=True)


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _override(variable: str) -> Path | None:
    """The path an override variable names, or None when it is unset."""
    value = os.environ.get(variable, "").strip()
    return Path(value).expanduser() if value else None


def _output(*command: str) -> str:
    """What a command prints (stripped), or "" if it cannot run or fails."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _server_bindir(directory: Path) -> Path | None:
    """``directory`` if it holds both ``initdb`` and ``pg_ctl``."""
    if _executable(directory / "initdb") and _executable(directory / "pg_ctl"):
        return directory
    return None


def postgres_bindir() -> Path | None:
    """The directory of PostgreSQL's server binaries (``initdb``, ``pg_ctl``), or None."""
    override = _override("RELATIONCLIENT_PG_BINDIR")
    if override is not None:
        return _server_bindir(override)
    initdb = shutil.which("initdb")
    if initdb is not None:
        path = Path(initdb)
        # A symlink on the PATH (/usr/local/bin/initdb, say) may stand alone: its target's
        # directory holds pg_ctl too.
        for directory in (path.parent, path.resolve().parent):
            if found := _server_bindir(directory):
                return found
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        bindir = _output(pg_config, "--bindir")
        # Debian's pg_config (libpq-dev) may name a directory without the server in it.
        if bindir and (found := _server_bindir(Path(bindir))):
            return found
    perl = shutil.which("perl")
    if shutil.which("pg_ctlcluster") is not None and perl is not None:
        # postgresql-common (Debian, Ubuntu) finds the newest installed server so.
        initdb = _output(perl, "-MPgCommon", "-e", 'print get_program_path("initdb")')
        if initdb and (found := _server_bindir(Path(initdb).parent)):
            return found
    found_dirs = [d for d in DEBIAN_POSTGRES_ROOT.glob("*/bin") if _server_bindir(d)]
    if found_dirs:
        return max(found_dirs, key=lambda d: [int(n) for n in re.findall(r"\d+", d.parent.name)])
    return None


def redis_server() -> Path | None:
    """The ``redis-server`` executable, or None."""
    override = _override("RELATIONCLIENT_REDIS_SERVER")
    if override is not None:
        return override if _executable(override) else None
    found = shutil.which("redis-server")
    return Path(found) if found else None


def chromium() -> Path | None:
    """A Chromium (or Chrome) executable, or None."""
    override = _override("RELATIONCLIENT_CHROMIUM")
    if override is not None:
        return override if _executable(override) else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


@dataclass(frozen=True)
class Service:
    """A program some tests run, how to find it, and the Debian package that brings it."""

    name: str
    what: str
    package: str
    find: Callable[[], Path | None]
    override: str

    def message(self) -> str:
        """Why a test cannot run without it, and how to get it."""
        set_to = os.environ.get(self.override, "").strip()
        where = f"{self.override}={set_to} names none" if set_to else "not found"
        return (
            f"{self.what}: {where}; install Debian's package "
            f"(apt-get install {self.package}) or set {self.override}"
        )


SERVICES = {
    "postgresql": Service(
        "postgresql",
        "PostgreSQL server binaries (initdb, pg_ctl)",
        "postgresql",
        postgres_bindir,
        "RELATIONCLIENT_PG_BINDIR",
    ),
    "redis": Service(
        "redis", "Redis (redis-server)", "redis-server", redis_server, "RELATIONCLIENT_REDIS_SERVER"
    ),
    "chromium": Service(
        "chromium", "Chromium (headless browser)", "chromium", chromium, "RELATIONCLIENT_CHROMIUM"
    ),
}


def require(name: str) -> Path:
    """The path of service ``name`` ("postgresql": its bin directory); skips or fails if missing."""
    service = SERVICES[name]
    found = service.find()
    if found is None:
        unavailable(service.message())
    return found


def require_module(module: str, extra: str = "test") -> ModuleType:
    """Import an optional package; skips (or fails, see :func:`require`) naming its extra.

    Called at the top of a conftest, it skips that whole folder when the package
    is missing; the ``test`` extra brings every such package, so this only
    happens in a hand-made environment.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        unavailable(
            f"the Python package {module!r} is not installed ({exc}): pip install -e '.[{extra}]'"
        )


def missing_packages() -> list[str]:
    """The Debian packages of the services not found on this machine."""
    return [service.package for service in SERVICES.values() if service.find() is None]


if __name__ == "__main__":
    sys.stdout.write("".join(f"{package}\n" for package in missing_packages()))
