"""The ``arrears`` command run in this process, as the console script runs it.

Starting ``arrears`` as a subprocess makes every call pay for the interpreter's start-up and the import of
every CLI module: 2-5 s a call on a loaded machine, which made the CLI tests the slowest part of the suite.
Called in process, a command costs what it does. What the subprocess gave for free is rebuilt for each call:

- the environment: every ``ARREARS_*`` variable of the test process is hidden and only those the test names
  are set, as ``subprocess.run(env=...)`` did; ``COLUMNS`` is 80, the width Rich falls back to on a pipe;
- the settings, read once per process (``get_settings`` is cached), are read afresh and forgotten after;
- stdin, stdout and stderr are the call's own (Click's test isolation), and the working directory is ``cwd``;
- the exit code is the one the process would have ended with: ``arrears.cli.main.run`` is
  ``run_cli(app)``, and so is this (``run_cli`` turns a domain error into one line on stderr and its exit
  code); ``sys.exit("text")`` prints the text on stderr with code 1.

Typer builds the Click command tree from ``app`` on every call, which costs about 0.15 s of CPU; the tree
keeps no state between invocations, so it is built once per session here.

An exception that escapes the entry point is a bug that a real process would print as a traceback: here it
propagates and fails the test with that traceback. Tests that need a real process (the installed script,
what start-up imports, a process killed mid-run) keep ``subprocess``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import typer.main
from typer.testing import CliRunner

from arrears.cli import main
from arrears.cli.errors import run_cli
from arrears.settings import get_settings

#: Rich's width when stdout is not a terminal, as it was for the subprocess.
COLUMNS = "80"


@dataclass(frozen=True)
class Completed:
    """The part of ``subprocess.CompletedProcess`` the CLI tests read, so their assertions stay as they were."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def run_arrears(
    *args: str, env: Mapping[str, str] | None = None, stdin: str | bytes | None = None, cwd: Path | None = None
) -> Completed:
    """Run ``arrears *args`` in this process with only ``env``'s ARREARS_* variables; never raises SystemExit."""
    overrides: dict[str, str | None] = {name: None for name in os.environ if name.startswith("ARREARS_")}
    overrides["COLUMNS"] = COLUMNS
    overrides.update(env or {})
    get_settings.cache_clear()
    try:
        with (
            CliRunner().isolation(input=stdin, env=overrides) as (stdout, stderr, _),
            _working_directory(cwd),
            mock.patch.object(sys, "argv", ["arrears", *args]),
        ):
            try:
                returncode = _exit_code()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
            return Completed(
                args=args,
                returncode=returncode,
                stdout=stdout.getvalue().decode("utf-8"),
                stderr=stderr.getvalue().decode("utf-8", errors="backslashreplace"),
            )
    finally:
        get_settings.cache_clear()


@functools.cache
def _command() -> Callable[[], object]:
    """The Click command ``main.app()`` builds and calls (reading sys.argv), built once."""
    return typer.main.get_command(main.app)


def _exit_code() -> int:
    """What the process would have exited with: Click always ends with SystemExit in standalone mode."""
    try:
        run_cli(_command())
    except SystemExit as exit_:
        if exit_.code is None:
            return 0
        if isinstance(exit_.code, int):
            return exit_.code
        print(exit_.code, file=sys.stderr)
        return 1
    return 0


@contextlib.contextmanager
def _working_directory(cwd: Path | None) -> Iterator[None]:
    if cwd is None:
        yield
        return
    with contextlib.chdir(cwd):
        yield
