"""Letters as PDF (WeasyPrint): one letter, a day's batch, and the HTML preview of any template.

The text of a letter is rendered in the template sandbox and only then placed,
HTML-escaped, into a fixed layout (``layouts/letter.html.j2``): the company and
verification hotline at the top, the addressee, the title, the body and a slot
for the company seal (an image file the tenant provides, or a marked empty box
where it is stamped by hand). Chinese text needs a CJK font: the stack names
Noto Sans CJK SC and WenQuanYi Micro Hei, installed by ``make system-deps``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from jinja2 import Environment, StrictUndefined, Template, select_autoescape

from arrears.scripts.library.enums import Locale

FONT_STACK = '"Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", "Source Han Sans SC", sans-serif'
_LABELS: dict[Locale, dict[str, str]] = {
    Locale.ZH_CN: {"hotline": "官方核实热线", "seal": "（公司盖章处）", "lang": "zh-CN"},
    Locale.ZH_TW: {"hotline": "官方查證專線", "seal": "（公司用印處）", "lang": "zh-TW"},
    Locale.EN: {"hotline": "Official verification line", "seal": "(company seal)", "lang": "en"},
}


@dataclass(frozen=True)
class LetterDocument:
    """One letter ready for layout: every field already rendered and linted."""

    reference: str
    locale: Locale
    company: str
    hotline: str
    address: str
    subject: str
    body: str
    seal_path: Path | None = None


def letter_html(letter: LetterDocument) -> str:
    """The letter as a complete HTML page (the preview, and what WeasyPrint lays out)."""
    labels = _LABELS[letter.locale]
    return _layout().render(
        lang=labels["lang"],
        font_stack=FONT_STACK,
        reference=letter.reference,
        company=letter.company,
        hotline_label=labels["hotline"],
        hotline=letter.hotline,
        address=letter.address,
        subject=letter.subject,
        paragraphs=_paragraphs(letter.body),
        seal_uri=letter.seal_path.resolve().as_uri() if letter.seal_path is not None else None,
        seal_label=labels["seal"],
    )


def letter_pdf(letter: LetterDocument) -> bytes:
    """One letter as PDF bytes."""
    return batch_pdf([letter])


def batch_pdf(letters: Sequence[LetterDocument]) -> bytes:
    """Every letter, each starting on a new page, in one PDF for the print run."""
    return write_pdfs([letter_html(letter) for letter in letters])[1]


def write_pdfs(pages_html: Sequence[str]) -> tuple[list[bytes], bytes]:
    """Each letter's PDF, and the batch of all of them; each letter is laid out only once."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    documents = [HTML(string=html, base_url=".").render() for html in pages_html]
    each = [_bytes(document.write_pdf()) for document in documents]
    if len(documents) <= 1:
        return each, each[0] if each else b""
    pages = [page for document in documents for page in document.pages]
    return each, _bytes(documents[0].copy(pages).write_pdf())


def _bytes(pdf: bytes | None) -> bytes:
    assert pdf is not None
    return bytes(pdf)


def _paragraphs(body: str) -> list[list[str]]:
    blocks = [block.strip("\n") for block in body.replace("\r\n", "\n").split("\n\n")]
    return [[line.strip() for line in block.split("\n")] for block in blocks if block.strip()]


@cache
def _layout() -> Template:
    source = resources.files("arrears.comms.layouts").joinpath("letter.html.j2").read_text(encoding="utf-8")
    environment = Environment(
        autoescape=select_autoescape(default=True, default_for_string=True), undefined=StrictUndefined
    )
    return environment.from_string(source)
