"""Word (.docx) building blocks shared by the generated reports (ex-ante assessment, monitoring report, ...):
Chinese fonts set in the East Asian slot (w:eastAsia) too, or Word keeps a Latin font for Chinese text."""

from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

BODY_FONT = "宋体"
HEADING_FONT = "黑体"
NUMERALS = "一二三四五六七八九十"


def set_font(style_or_run, name: str, size: float | None = None, bold: bool | None = None) -> None:
    font = style_or_run.font
    font.name = name
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    element = style_or_run.element
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), name)


def new_document():
    doc = Document()
    set_font(doc.styles["Normal"], BODY_FONT, 12)
    return doc


def heading(doc, text: str, level: int = 1) -> None:
    p = doc.add_paragraph()
    run = p.add_run(text)
    set_font(run, HEADING_FONT, 16 if level == 0 else 14 if level == 1 else 12, bold=True)
    if level == 0:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER


def para(doc, text: str) -> None:
    for line in (text or "").splitlines() or [""]:
        p = doc.add_paragraph()
        p.paragraph_format.first_line_indent = Pt(24)
        run = p.add_run(line)
        set_font(run, BODY_FONT, 12)


def table(doc, header: list[str], rows: list[list[str]]) -> None:
    t = doc.add_table(rows=1, cols=len(header))
    t.style = "Table Grid"
    for cell, text in zip(t.rows[0].cells, header, strict=True):
        cell.text = ""
        set_font(cell.paragraphs[0].add_run(text), BODY_FONT, 10.5, bold=True)
    for row in rows:
        cells = t.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = ""
            set_font(cell.paragraphs[0].add_run(str(text)), BODY_FONT, 10.5)


def to_bytes(doc) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
