import datetime
import io

import openpyxl
import pytest

from jixiao.core import tabular as t
from jixiao.core.money import Money

COLUMNS = [
    t.Column("code", "项目编码", t.code()),
    t.Column("name", "项目名称", t.text(100)),
    t.Column("amount", "年初预算数", t.money(), aliases=("预算金额",)),
    t.Column("start", "开始日期", t.date, required=False, allow_blank=True),
]


def xlsx(rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_header_found_below_title_and_cells_parsed():
    data = xlsx([["2026年项目预算表"], [], ["项目编码", "项目名称", "年初预算数(元)", "开始日期"],
                 ["150500260000000000001", "学生资助", 9000.0, 46023], [None, None, None, None],
                 ["15050026002", " 校舍维修 ", "1,234.50", "2026年3月1日"]])
    table = t.read_table(data, COLUMNS, filename="a.xlsx")
    assert table.ok, table.errors
    assert table.header_row == 3
    assert [r["_row"] for r in table.rows] == [4, 6]
    assert table.rows[0]["amount"] == Money.from_yuan("9000")
    assert table.rows[0]["start"] == datetime.date(2026, 1, 1)
    assert table.rows[1]["name"] == "校舍维修" and table.rows[1]["start"] == datetime.date(2026, 3, 1)


def test_errors_name_row_and_column():
    data = xlsx([["项目编码", "项目名称", "预算金额"], [1.505002600000001e20, "甲", "abc"], ["", "乙", 1]])
    table = t.read_table(data, COLUMNS)
    got = {(e.row, e.column) for e in table.errors}
    assert got == {(2, "项目编码"), (2, "年初预算数"), (3, "项目编码")}
    assert "不是有效金额" in str(table.errors[1])


def test_missing_columns_and_not_a_spreadsheet():
    table = t.read_table(xlsx([["项目编码", "项目名称", "别的"], ["1", "a", "b"]]), COLUMNS)
    assert "缺少必需的列：年初预算数" in table.errors[0].message
    table = t.read_table(b"%PDF-1.4 \x00\x01binary", COLUMNS, filename="x.pdf")
    assert "不是 Excel" in table.errors[0].message


def test_csv_gb18030_and_utf8_bom():
    text = "项目编码,项目名称,年初预算数\n001,学生资助,12.5万元\n"
    for data in (text.encode("gb18030"), text.encode("utf-8-sig")):
        table = t.read_table(data, COLUMNS, filename="a.csv")
        assert table.ok, table.errors
        assert table.rows[0]["amount"] == Money.from_yuan("125000")
        assert table.rows[0]["code"] == "001"


@pytest.mark.parametrize("value,expected", [
    (46023, datetime.date(2026, 1, 1)), ("2026/1/5", datetime.date(2026, 1, 5)), ("2026.01.05", datetime.date(2026, 1, 5)),
    ("20260105", datetime.date(2026, 1, 5)), (datetime.datetime(2026, 1, 5, 8), datetime.date(2026, 1, 5)),
])
def test_dates(value, expected):
    assert t.date(value) == expected


def test_choice_and_boolean():
    parse = t.choice({"一般公共预算": "general_public", "general_public": "general_public"}, "预算类别")
    assert parse(" 一般公共预算 ") == "general_public"
    with pytest.raises(t.CellValueError, match="预算类别“x”无效"):
        parse("x")
    assert t.boolean("是") is True and t.boolean("否") is False


def test_csv_whose_sniff_window_cuts_a_character():
    rows = "".join(f"{i:03d},学生资助项目第{i}批,100\n" for i in range(400))
    data = ("项目编码,项目名称,年初预算数\n" + rows).encode("utf-8")
    for cut in range(4090, 4100):  # whatever byte the 4 KB window ends on
        assert t.sniff_format(data[:cut]) == "csv"
    table = t.read_table(data, COLUMNS, filename="a.csv")
    assert table.ok and len(table.rows) == 400
