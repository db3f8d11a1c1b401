"""Writing form-like sheets (the layouts offices fill in: monitoring form, self-evaluation sheet) with openpyxl:
bordered and merged cells, label and input fills, wrapped text, row heights for Chinese text."""

from __future__ import annotations

from decimal import Decimal


def text_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def row_height(texts: list[tuple[str, int]]) -> float | None:
    """Row height for wrapped texts given with their span widths."""
    lines = 1
    for text, width in texts:
        if text:
            lines = max(lines, sum(max(1, -(-text_width(p) // max(width, 1))) for p in str(text).split("\n")))
    return min(409, 15 * lines + 5) if lines > 1 else None


def styles():
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="808080")
    return {
        "border": Border(left=thin, right=thin, top=thin, bottom=thin), "bold": Font(bold=True),
        "title": Font(bold=True, size=16), "label": PatternFill("solid", fgColor="DDEBF7"),
        "head": PatternFill("solid", fgColor="BDD7EE"), "input": PatternFill("solid", fgColor="FFF9E1"),
        "wrap": Alignment(wrap_text=True, vertical="center"),
        "center": Alignment(horizontal="center", vertical="center", wrap_text=True),
    }


class FormWriter:
    """Bordered, merged, labelled cells of a form sheet; `widths` are the columns' widths (A, B, …)."""

    def __init__(self, ws, widths: list[int]):
        self.ws = ws
        self.st = styles()
        self.widths = widths

    def span(self, row: int, c1: int, c2: int, value=None, *, label: bool = False, head: bool = False,
             editable: bool = False, text: bool = True, row2: int | None = None):
        ws, st = self.ws, self.st
        row2 = row2 or row
        cell = ws.cell(row, c1, value if value not in ("", None) else None)
        for r in range(row, row2 + 1):
            for c in range(c1, c2 + 1):
                ws.cell(r, c).border = st["border"]
                if editable:
                    ws.cell(r, c).fill = st["input"]
        if c2 > c1 or row2 > row:
            ws.merge_cells(start_row=row, start_column=c1, end_row=row2, end_column=c2)
        if label or head:
            cell.font, cell.fill, cell.alignment = st["bold"], st["head" if head else "label"], st["center"]
        else:
            cell.alignment = st["wrap"]
            if text and not isinstance(value, (int, float, Decimal)):
                cell.number_format = "@"
        return cell

    def width(self, c1: int, c2: int) -> int:
        return sum(self.widths[c - 1] for c in range(c1, c2 + 1))
