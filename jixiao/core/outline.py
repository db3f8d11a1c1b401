"""A generated report as an outline of blocks (headings, paragraphs, tables), written once and rendered to Word
(python-docx, through `wordfile`) or to PDF (WeasyPrint, from an HTML template with print CSS).

The report builders (the monitoring report, ...) call `heading`, `para` and `table` on an `Outline` exactly as they
would on a Word document; `to_docx` and `to_pdf` turn the same outline into either file, so the two never differ.

PDF needs Pango (Debian: libpango-1.0-0, libpangoft2-1.0-0, libharfbuzz-subset0, fontconfig) and a CJK font
(fonts-wqy-microhei or fonts-noto-cjk): without Pango `to_pdf` raises `PdfUnavailable`, which the screens show as a
plain message beside the Word download.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.template.loader import render_to_string

from jixiao.core import wordfile

# Fonts in order of preference; WeasyPrint silently drops characters no font covers.
PDF_FONTS = '"WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "SimSun", sans-serif'


class PdfUnavailable(RuntimeError):
    """The PDF engine cannot run on this server (its system libraries are missing)."""


@dataclass
class Block:
    kind: str  # "heading", "para", "table"
    text: str = ""
    level: int = 1
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Outline:
    title: str = ""
    blocks: list[Block] = field(default_factory=list)


def new_outline(title: str = "") -> Outline:
    return Outline(title=title)


def heading(doc: Outline, text: str, level: int = 1) -> None:
    if not doc.title and level == 0:
        doc.title = text
    doc.blocks.append(Block("heading", text=text, level=level))


def para(doc: Outline, text: str) -> None:
    doc.blocks.append(Block("para", text=text or ""))


def table(doc: Outline, header: list[str], rows: list[list]) -> None:
    width = len(header)
    for i, row in enumerate(rows):
        if len(row) != width:
            raise ValueError(f"table row {i} has {len(row)} cells, the header {width}")
    doc.blocks.append(Block("table", header=[str(h) for h in header], rows=[[str(c) for c in r] for r in rows]))


def to_docx(doc: Outline) -> bytes:
    out = wordfile.new_document()
    for b in doc.blocks:
        if b.kind == "heading":
            wordfile.heading(out, b.text, b.level)
        elif b.kind == "para":
            wordfile.para(out, b.text)
        else:
            wordfile.table(out, b.header, b.rows)
    return wordfile.to_bytes(out)


def to_html(doc: Outline) -> str:
    """The outline as a standalone HTML page with print CSS (what the PDF is made from)."""
    return render_to_string("core/outline_pdf.html", {"doc": doc, "fonts": PDF_FONTS})


def render_pdf(doc: Outline):
    """The laid-out WeasyPrint document (tests inspect its fonts); raises PdfUnavailable without Pango."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: the Pango libraries cannot be loaded
        raise PdfUnavailable(str(exc)) from exc
    return weasyprint.HTML(string=to_html(doc)).render()


def to_pdf(doc: Outline) -> bytes:
    return render_pdf(doc).write_pdf()
