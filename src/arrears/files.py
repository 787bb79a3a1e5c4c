"""Reading a user-given text file, with one clear line for every way it can fail."""

from __future__ import annotations

from pathlib import Path

from arrears.errors import InvalidInput


def read_text(path: Path, *, what: str) -> str:
    """The UTF-8 text of ``path``; ``what`` names the expected file in the hint ("a loan JSON file")."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"no such file: {path}", hint=f"give the path of {what}") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} is not UTF-8 text", hint=f"save {what} as UTF-8") from None
    except OSError as exc:  # a directory, no permission, ...
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", hint=f"give the path of {what}") from None
