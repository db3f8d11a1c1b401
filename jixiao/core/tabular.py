"""Reading the tables offices actually send: .xlsx, old .xls and CSV (UTF-8 or GB18030), with the header row found
by its labels (never by counting rows), cells parsed the way Excel hands them over (serial dates, 9000.0, long codes,
full-width digits), and every problem reported by row and column in Chinese.

An importer declares its `Column`s, calls `read_table()` and gets rows as dicts plus a list of `CellError`s. Nothing
is written by this module: importers write only when the error list is empty, inside one transaction.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from jixiao.core.money import Money, MoneyParseError

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"
EXCEL_EPOCH = datetime.date(1899, 12, 30)


class CellValueError(ValueError):
    """Raised by a parser with a Chinese message about one cell."""


@dataclass
class CellError:
    row: int | None  # the row number as the user sees it in Excel (1-based); None for file-level problems
    column: str  # the column label
    message: str
    value: str = ""

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message, "value": self.value}

    def __str__(self) -> str:
        where = f"第{self.row}行" if self.row else "文件"
        col = f"“{self.column}”列" if self.column else ""
        return f"{where}{col}：{self.message}"


@dataclass
class Column:
    key: str
    label: str
    parser: Callable[[object], object] | None = None
    required: bool = True  # the column must be present in the header
    allow_blank: bool = False  # a present column may have empty cells
    aliases: tuple[str, ...] = ()
    default: object = None

    def names(self) -> set[str]:
        return {normalise_label(x) for x in (self.label, *self.aliases)}


@dataclass
class Table:
    rows: list[dict] = field(default_factory=list)  # each with "_row": the Excel row number
    errors: list[CellError] = field(default_factory=list)
    header_row: int | None = None
    present: set[str] = field(default_factory=set)  # keys of the columns found

    @property
    def ok(self) -> bool:
        return not self.errors


class TableFormatError(Exception):
    """The file itself cannot be read as a table."""


def normalise_label(text: object) -> str:
    s = str(text or "").translate(_FULLWIDTH)
    s = re.sub(r"[\s*＊:：]", "", s)
    return s.lower()


_FULLWIDTH = str.maketrans("０１２３４５６７８９．－（）＜＞＝", "0123456789.-()<>=")


def sniff_format(head: bytes, filename: str = "") -> str:  # noqa: ARG001 (kept for callers that know the name)
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if head.startswith(XLS_MAGIC):
        return "xls"
    if head.startswith(b"%PDF") or not _looks_like_text(head):
        raise TableFormatError("文件不是 Excel(.xlsx/.xls) 或 CSV 表格，请检查文件格式")
    return "csv"


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    for enc in ("utf-8-sig", "gb18030"):
        # The window may end inside a multi-byte character: allow up to 3 cut bytes at its end.
        for cut in range(4):
            try:
                head[: len(head) - cut].decode(enc)
                return True
            except UnicodeDecodeError:
                continue
    return False


def iter_sheet_rows(data: bytes, filename: str = "", *, sheet: str | None = None) -> Iterator[tuple]:
    """Every row of the first (or named) sheet as a tuple of raw cell values."""
    fmt = sniff_format(data[:4096], filename)
    if fmt == "xlsx":
        import openpyxl

        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise TableFormatError("Excel 文件已损坏或不是有效的 .xlsx 文件") from exc
        try:
            ws = wb[sheet] if sheet and sheet in wb.sheetnames else wb.worksheets[0]
            yield from ws.iter_rows(values_only=True)
        finally:
            wb.close()
    elif fmt == "xls":
        from python_calamine import CalamineWorkbook

        try:
            wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
            name = sheet if sheet and sheet in wb.sheet_names else wb.sheet_names[0]
            rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as exc:  # calamine raises its own error types for corrupt files
            raise TableFormatError("Excel 文件已损坏或不是有效的 .xls 文件") from exc
        for r in rows:
            yield tuple(r)
    else:
        text = None
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        if text is None:
            raise TableFormatError("CSV 文件编码无法识别（请使用 UTF-8 或 GBK 编码）")
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
        except csv.Error:
            dialect = csv.excel
        for r in csv.reader(io.StringIO(text), dialect):
            yield tuple(r)


def iter_workbook(data: bytes, filename: str = "", *, max_sheets: int = 200) -> Iterator[tuple[str, list[tuple]]]:
    """Every sheet of a workbook as (sheet name, its rows as tuples of raw cell values); a CSV is one sheet."""
    fmt = sniff_format(data[:4096], filename)
    if fmt == "xlsx":
        import openpyxl

        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise TableFormatError("Excel 文件已损坏或不是有效的 .xlsx 文件") from exc
        try:
            for ws in wb.worksheets[:max_sheets]:
                if getattr(ws, "sheet_state", "visible") != "visible":
                    continue
                yield ws.title, list(ws.iter_rows(values_only=True))
        finally:
            wb.close()
    elif fmt == "xls":
        from python_calamine import CalamineWorkbook

        try:
            wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
            names = wb.sheet_names[:max_sheets]
            sheets = [(name, [tuple(r) for r in wb.get_sheet_by_name(name).to_python(skip_empty_area=False)])
                      for name in names]
        except Exception as exc:  # calamine raises its own error types for corrupt files
            raise TableFormatError("Excel 文件已损坏或不是有效的 .xls 文件") from exc
        yield from sheets
    else:
        yield "", list(iter_sheet_rows(data, filename))


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_table(data: bytes, columns: Iterable[Column], *, filename: str = "", sheet: str | None = None,
               header_search_rows: int = 15, max_rows: int = 200_000, max_errors: int = 1000) -> Table:
    """Read a table whose header row holds the columns' labels (or aliases), anywhere in the first rows."""
    columns = list(columns)
    table = Table()
    try:
        rows = iter_sheet_rows(data, filename, sheet=sheet)
        header_index: dict[str, int] | None = None
        for rownum, raw in enumerate(rows, start=1):
            if header_index is None:
                if rownum > header_search_rows:
                    break
                found = _match_header(raw, columns)
                required = {c.key for c in columns if c.required}
                if found and (required <= set(found) or len(found) >= max(2, len(required) // 2 + 1)):
                    header_index = found
                    table.header_row = rownum
                    table.present = set(found)
                    missing = [c.label for c in columns if c.required and c.key not in found]
                    if missing:
                        table.errors.append(CellError(rownum, "", f"缺少必需的列：{'、'.join(missing)}"))
                        return table
                continue
            if all(_blank(v) for v in raw):
                continue
            if len(table.rows) >= max_rows:
                table.errors.append(CellError(rownum, "", f"数据超过 {max_rows} 行上限，请分批导入"))
                return table
            record: dict = {"_row": rownum}
            for col in columns:
                idx = header_index.get(col.key)
                value = raw[idx] if idx is not None and idx < len(raw) else None
                if _blank(value):
                    if idx is not None and not col.allow_blank:
                        table.errors.append(CellError(rownum, col.label, "不能为空"))
                    record[col.key] = col.default
                    continue
                try:
                    record[col.key] = col.parser(value) if col.parser else clean_text(value)
                except CellValueError as exc:
                    table.errors.append(CellError(rownum, col.label, str(exc), _show(value)))
                if len(table.errors) >= max_errors:
                    table.errors.append(CellError(None, "", f"错误超过 {max_errors} 处，已停止检查"))
                    return table
            table.rows.append(record)
        if header_index is None:
            labels = "、".join(c.label for c in columns if c.required)
            table.errors.append(CellError(None, "", f"未找到表头：前{header_search_rows}行中应包含列 {labels}"))
    except TableFormatError as exc:
        table.errors.append(CellError(None, "", str(exc)))
    return table


def _match_header(raw: tuple, columns: list[Column]) -> dict[str, int]:
    labels = [normalise_label(v) for v in raw]
    found: dict[str, int] = {}
    for col in columns:
        names = col.names()
        for i, label in enumerate(labels):
            if label and label in names and i not in found.values():
                found[col.key] = i
                break
        else:
            # "年初预算数(元)" matches the column "年初预算数": compare without a trailing unit in brackets
            for i, label in enumerate(labels):
                base = re.sub(r"\(.*?\)$", "", label)
                if base and base in names and i not in found.values():
                    found[col.key] = i
                    break
    return found


def _show(value) -> str:
    return str(value)[:60]


# ---- cell parsers -------------------------------------------------------------------------------------------------

def clean_text(value, max_length: int | None = None) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = str(value).replace("\u3000", " ").strip()
    if max_length and len(s) > max_length:
        raise CellValueError(f"长度不能超过{max_length}个字符")
    return s


def text(max_length: int | None = None) -> Callable[[object], str]:
    return lambda v: clean_text(v, max_length)


def code(max_length: int = 40) -> Callable[[object], str]:
    """A code (项目编码, 单位编码): kept as text. Excel may hand a long code over as a float, which has lost digits
    when it has more than 15; such a value is refused rather than silently corrupted."""

    def parse(value):
        if isinstance(value, float):
            if not value.is_integer() or abs(value) >= 1e15:
                raise CellValueError("编码被 Excel 存成了数字，可能已丢失位数，请将该列设为文本格式后重新填写")
            value = int(value)
        s = clean_text(value).translate(_FULLWIDTH).lstrip("'")
        if not s:
            raise CellValueError("不能为空")
        if len(s) > max_length:
            raise CellValueError(f"编码长度不能超过{max_length}位")
        if not re.fullmatch(r"[0-9A-Za-z\-_.]+", s):
            raise CellValueError("编码只能包含数字、字母和 - _ .")
        return s

    return parse


def money(unit: str = "yuan") -> Callable[[object], Money]:
    def parse(value):
        try:
            return Money.parse(value, unit=unit)
        except MoneyParseError as exc:
            raise CellValueError(str(exc)) from exc

    return parse


def decimal(value) -> Decimal:
    if isinstance(value, float):
        value = repr(value)
    s = str(value).strip().translate(_FULLWIDTH).replace(",", "").rstrip("%")
    try:
        d = Decimal(s)
    except InvalidOperation as exc:
        raise CellValueError(f"“{value}”不是有效数字") from exc
    if not d.is_finite():
        raise CellValueError(f"“{value}”不是有效数字")
    return d


def integer(min_value: int | None = None, max_value: int | None = None) -> Callable[[object], int]:
    def parse(value):
        d = decimal(value)
        if d != d.to_integral_value():
            raise CellValueError(f"“{value}”应为整数")
        n = int(d)
        if min_value is not None and n < min_value:
            raise CellValueError(f"不能小于{min_value}")
        if max_value is not None and n > max_value:
            raise CellValueError(f"不能大于{max_value}")
        return n

    return parse


_DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]


def date(value) -> datetime.date:
    """A date as Excel gives it: a datetime, a serial number (44561), or text such as 2026-1-5, 2026/01/05,
    2026.1.5, 2026年1月5日, 20260105."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            return EXCEL_EPOCH + datetime.timedelta(days=int(value))
        raise CellValueError(f"“{value}”不是有效日期")
    s = clean_text(value).translate(_FULLWIDTH)
    if re.fullmatch(r"\d{5}(\.0+)?", s):
        return EXCEL_EPOCH + datetime.timedelta(days=int(float(s)))
    s = s.split(" ")[0]
    for pattern in _DATE_PATTERNS:
        m = pattern.match(s)
        if m:
            try:
                return datetime.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                break
    raise CellValueError(f"“{value}”不是有效日期（示例：2026-01-31）")


_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "对"}
_FALSE = {"否", "n", "no", "false", "0", "×", "x", "不是"}


def boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    s = clean_text(value).lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise CellValueError(f"“{value}”应填“是”或“否”")


def choice(mapping: dict[str, str], what: str = "取值") -> Callable[[object], str]:
    """Map a label (or the value itself) to a choice value: choice(dict(BudgetKind.choices) reversed...)."""
    index = {normalise_label(k): v for k, v in mapping.items()}

    def parse(value):
        key = normalise_label(value)
        if key in index:
            return index[key]
        allowed = "、".join(dict.fromkeys(k for k in mapping if not re.fullmatch(r"[a-z_]+", k)))
        raise CellValueError(f"{what}“{value}”无效，应为：{allowed}")

    return parse


def choices_by_label(choices) -> dict[str, str]:
    """TextChoices → {label: value, value: value}, for `choice()`."""
    out = {}
    for value, label in choices:
        out[str(label)] = value
        out[str(value)] = value
    return out


def check_size(size: int, limit: int) -> CellError | None:
    if size > limit:
        return CellError(None, "", f"文件过大（{size // 1024 // 1024}MB），上限为{limit // 1024 // 1024}MB")
    return None
