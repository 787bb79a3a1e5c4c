"""Every command pays for what the CLI imports at start: the heavy libraries load only where they are used."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("polars", "procrastinate", "faker", "sklearn", "numpy", "fastapi", "uvicorn")


def test_starting_the_cli_does_not_load_the_heavy_libraries() -> None:
    probe = f"import sys, arrears.cli.main; print([m for m in {HEAVY!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_train_commands_default_horizon_is_the_models() -> None:
    import inspect

    from arrears.cli.model import train_command
    from arrears.strategy.propensity import HORIZON_DAYS

    assert inspect.signature(train_command).parameters["horizon_days"].default == HORIZON_DAYS
