"""Text of a PDF, for tests: pdftotext when installed, else a small reader of WeasyPrint's output.

The fallback inflates every stream, reads the ToUnicode maps (bfchar and bfrange)
and decodes the hex glyph strings of the text operators with each map in turn, so
the text of each font run comes back whichever font it was set in. It knows only
what WeasyPrint writes (Identity-H fonts, two-byte codes), which is all it reads.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib
from pathlib import Path

_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)
_HEX = re.compile(rb"<([0-9a-fA-F]+)>")
_TEXT_RUN = re.compile(rb"\[(.*?)\]\s*TJ|<([0-9a-fA-F]+)>\s*Tj", re.S)


def pdf_text(pdf: bytes, tmp_path: Path, *, force_fallback: bool = False) -> str:
    pdftotext = shutil.which("pdftotext")
    if pdftotext and not force_fallback:
        source = tmp_path / "pack.pdf"
        source.write_bytes(pdf)
        done = subprocess.run([pdftotext, "-enc", "UTF-8", str(source), "-"], capture_output=True, check=True)
        return done.stdout.decode("utf-8")
    return fallback_text(pdf)


def fallback_text(pdf: bytes) -> str:
    streams = [_inflate(raw) for raw in _STREAM.findall(pdf)]
    maps = [_cmap(stream) for stream in streams if b"begincmap" in stream]
    runs: list[bytes] = []
    for stream in streams:
        if b"BT" not in stream:
            continue
        for array, single in _TEXT_RUN.findall(stream):
            runs.append(b"".join(_HEX.findall(array)) if array else single)
    lines = []
    for run in runs:
        for mapping in maps:
            decoded = _decode(run, mapping)
            if decoded is not None:
                lines.append(decoded)
    return "\n".join(lines)


def _inflate(raw: bytes) -> bytes:
    try:
        return zlib.decompress(raw)
    except zlib.error:
        return raw


def _cmap(stream: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in _BFCHAR.findall(stream):
        pairs = _HEX.findall(block)
        for code, text in zip(pairs[::2], pairs[1::2], strict=True):
            mapping[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    for block in _BFRANGE.findall(stream):
        for line in block.strip().splitlines():
            values = _HEX.findall(line)
            if len(values) == 3:
                first, last, start = (int(value, 16) for value in values)
                for offset in range(last - first + 1):
                    mapping[first + offset] = chr(start + offset)
    return mapping


def _decode(run: bytes, mapping: dict[int, str]) -> str | None:
    text = run.decode()
    codes = [int(text[index : index + 4], 16) for index in range(0, len(text) - len(text) % 4, 4)]
    if not codes or any(code not in mapping for code in codes):
        return None
    return "".join(mapping[code] for code in codes)
