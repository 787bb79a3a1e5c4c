"""Generated figures written into the project's Markdown documents, between markers, the rest left as it is."""

from __future__ import annotations

from pathlib import Path

EVALUATION_START = "<!-- evaluation:start -->"
EVALUATION_END = "<!-- evaluation:end -->"


def replace_between(path: Path, body: str, *, start: str = EVALUATION_START, end: str = EVALUATION_END) -> None:
    """Put ``body`` between the ``start`` and ``end`` markers of ``path``, which must already be there."""
    text = path.read_text(encoding="utf-8")
    if start not in text or end not in text:
        raise SystemExit(f"{path} has no {start} ... {end} markers")
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    path.write_text(f"{head}{start}\n{body}{end}{tail}", encoding="utf-8")
