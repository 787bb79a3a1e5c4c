"""One place where errors become what a terminal user sees: one line and an exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable

from rich.console import Console

from arrears.errors import ArrearsError, exit_code_for

stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def run_cli(main: Callable[[], object]) -> None:
    """Run the Typer app; a domain error becomes one line on stderr and its exit code.

    Usage errors (unknown option, missing argument) are already reported by Typer
    with exit code 2. Anything else that escapes is a bug and keeps its traceback.
    """
    try:
        main()
    except ArrearsError as error:
        stderr.print(f"[bold red]error:[/] {error.one_line()}", markup=True)
        sys.exit(exit_code_for(error))
    except KeyboardInterrupt:
        stderr.print("interrupted: the unit of work in progress was rolled back")
        sys.exit(130)
