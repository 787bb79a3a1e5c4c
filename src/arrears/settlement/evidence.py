"""Hardship evidence files: checked by their first bytes, stored by their SHA-256 under the data directory.

A file is accepted only when its content is a PDF, JPEG or PNG (the magic bytes
decide, not the name), its name's extension agrees with that content, and it is
neither empty nor larger than :data:`MAX_BYTES`. It is written to
``<data_dir>/evidence/<sha256>``: outside anything a web server serves, named by
content so the same document uploaded twice is stored once and a stored file
can be checked against its name at any time.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from arrears.errors import InvalidInput

MAX_BYTES = 10 * 1024 * 1024
"""10 MiB: a phone photo of a certificate, or a few months of bank statements as PDF."""

_SIGNATURES: tuple[tuple[bytes, str, frozenset[str]], ...] = (
    (b"%PDF-", "application/pdf", frozenset({".pdf"})),
    (b"\xff\xd8\xff", "image/jpeg", frozenset({".jpg", ".jpeg"})),
    (b"\x89PNG\r\n\x1a\n", "image/png", frozenset({".png"})),
)
ACCEPTED = "PDF, JPEG or PNG"


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    media_type: str
    size_bytes: int
    sha256: str


def sniff(content: bytes) -> tuple[str, frozenset[str]] | None:
    """The media type and extensions the first bytes announce, or None."""
    for magic, media_type, extensions in _SIGNATURES:
        if content.startswith(magic):
            return media_type, extensions
    return None


def check(filename: str, content: bytes, *, max_bytes: int = MAX_BYTES) -> CheckedFile:
    """Accept ``content`` as evidence or say in one line why not."""
    name = Path(filename).name.strip()
    if not name:
        raise InvalidInput("the file has no name", where="file")
    if not content:
        raise InvalidInput(f"{name} is empty", where="file", hint=f"upload a {ACCEPTED} file")
    if len(content) > max_bytes:
        raise InvalidInput(
            f"{name} is larger than the {max_bytes} bytes allowed",
            where="file",
            hint="scan at a lower resolution or split the document",
        )
    found = sniff(content)
    if found is None:
        raise InvalidInput(
            f"{name} is not a {ACCEPTED} file (its content says otherwise, whatever its name)",
            where="file",
            hint=f"upload the document as {ACCEPTED}",
        )
    media_type, extensions = found
    extension = Path(name).suffix.lower()
    if extension not in extensions:
        raise InvalidInput(
            f"{name} holds {media_type} but is named {extension or 'without an extension'}",
            where="file",
            hint=f"name it with {' or '.join(sorted(extensions))}",
        )
    return CheckedFile(name, media_type, len(content), hashlib.sha256(content).hexdigest())


def store(content: bytes, checked: CheckedFile, *, data_dir: Path) -> Path:
    """Write the content to ``<data_dir>/evidence/<sha256>`` (atomically; once per distinct content)."""
    folder = data_dir / "evidence"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / checked.sha256
    if target.exists():
        return target
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        Path(temporary).chmod(0o640)
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def path_of(sha256: str, *, data_dir: Path) -> Path:
    return data_dir / "evidence" / sha256
