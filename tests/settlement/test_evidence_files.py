"""Evidence files are judged by their bytes, not their names, and stored by content hash."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from arrears.errors import InvalidInput
from arrears.settlement import evidence

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.mark.parametrize(
    ("name", "content", "media_type"),
    [("income.pdf", PDF, "application/pdf"), ("诊断证明.JPG", JPEG, "image/jpeg"), ("scan.png", PNG, "image/png")],
)
def test_pdf_jpeg_and_png_are_accepted_by_their_magic_bytes(name: str, content: bytes, media_type: str) -> None:
    checked = evidence.check(name, content)
    assert checked.media_type == media_type
    assert checked.sha256 == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("statement.pdf", b"MZ\x90\x00 not a pdf at all", "is not a PDF, JPEG or PNG file"),
        ("photo.png", JPEG, "holds image/jpeg but is named .png"),
        ("statement.pdf", b"", "statement.pdf is empty"),
        ("statement", PDF, "named without an extension"),
    ],
)
def test_wrong_bytes_a_lying_name_or_an_empty_file_are_refused(name: str, content: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        evidence.check(name, content)


def test_the_size_limit_holds_at_the_byte() -> None:
    at_limit = PDF + b"\x00" * (100 - len(PDF))
    assert evidence.check("a.pdf", at_limit, max_bytes=100).size_bytes == 100
    with pytest.raises(InvalidInput, match="larger than the 100 bytes allowed"):
        evidence.check("a.pdf", at_limit + b"\x00", max_bytes=100)


def test_files_are_stored_once_under_their_hash_with_no_trace_of_their_name(tmp_path: Path) -> None:
    checked = evidence.check("../../etc/passwd.pdf", PDF)
    assert checked.filename == "passwd.pdf"
    first = evidence.store(PDF, checked, data_dir=tmp_path)
    again = evidence.store(PDF, checked, data_dir=tmp_path)
    assert first == again == tmp_path / "evidence" / checked.sha256
    assert first.read_bytes() == PDF
    assert [path.name for path in (tmp_path / "evidence").iterdir()] == [checked.sha256]
