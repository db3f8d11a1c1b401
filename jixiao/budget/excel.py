"""Layouts of the files exchanged with the integrated budget system (预算管理一体化系统) and of the list export.

Import files are read by header label (with the aliases different exports use), never by position; amounts are in
yuan (元) as the integrated system exports them, and a column or cell labelled 万元/千元/亿元 is refused rather than
silently scaled.
"""

from __future__ import annotations

import re

from jixiao.budget.models import BudgetKind, ProjectCategory, SpecialCategory, SubjectKind
from jixiao.core import tabular as t
from jixiao.core.money import Money, MoneyParseError

SCALED_UNIT = re.compile(r"(万|千|百万|亿)元?$")
SCALED_HEADER = re.compile(r"(万|千|百万|亿)元")


def yuan_amount(value) -> Money:
    """An amount in yuan, ≥ 0. "12.5万元" in a yuan column is refused: mixed units are how 10,000× errors happen."""
    if isinstance(value, str) and SCALED_UNIT.search(value.strip()):
        raise t.CellValueError("金额须以元为单位填写，不能带“万元”等单位")
    try:
        amount = Money.parse(value, unit="yuan")
    except MoneyParseError as exc:
        raise t.CellValueError(str(exc)) from exc
    if amount.fen < 0:
        raise t.CellValueError("金额不能为负数")
    return amount


def signed_yuan_amount(value) -> Money:
    if isinstance(value, str) and SCALED_UNIT.search(value.strip()):
        raise t.CellValueError("金额须以元为单位填写，不能带“万元”等单位")
    try:
        return Money.parse(value, unit="yuan")
    except MoneyParseError as exc:
        raise t.CellValueError(str(exc)) from exc


_KIND_WORDS = {
    **{label: (value, "") for value, label in SubjectKind.choices},
    "项目支出": ("project", ""), "一级项目": ("project", ""), "二级项目": ("project", ""),
    "部门整体": ("department_wide", ""), "单位整体": ("unit_wide", ""), "专项转移支付": ("transfer_payment", ""),
    "转移支付项目": ("transfer_payment", ""), "政策项目": ("policy", ""),
    **{label: ("project", value) for value, label in ProjectCategory.choices if value},
    "人员类": ("project", "personnel"), "运转类": ("project", "operation"), "特定目标类": ("project", "specific"),
    "运转类-公用经费": ("project", "operation"), "运转类-其他运转类": ("project", "operation"),
    **{value: (value, "") for value in SubjectKind.values},
}
_KIND_INDEX = {t.normalise_label(k): v for k, v in _KIND_WORDS.items()}


def subject_category(value) -> tuple[str, str]:
    """项目类别/项目类型 → (kind, project_category). Accepts both the subject kinds (项目, 政策, 部门整体支出, ...)
    and the integrated system's project classes (人员类, 运转类, 特定目标类)."""
    key = t.normalise_label(value)
    if key in _KIND_INDEX:
        return _KIND_INDEX[key]
    raise t.CellValueError(f"项目类别“{value}”无效，应为：项目、政策、部门整体支出、单位整体支出、转移支付，"
                           f"或人员类、运转类、特定目标类")


BUDGET_KIND_WORDS = {
    **t.choices_by_label(BudgetKind.choices),
    "一般公共预算资金": "general_public", "一般公共": "general_public", "一般预算": "general_public",
    "公共预算": "general_public", "政府性基金": "government_fund", "政府性基金预算资金": "government_fund",
    "基金预算": "government_fund", "国有资本经营": "state_capital", "国有资本经营预算资金": "state_capital",
    "国资预算": "state_capital", "社会保险基金": "social_insurance", "社保基金预算": "social_insurance",
    "社保基金": "social_insurance",
}


def _lookup(words: dict[str, str], what: str, allowed: str):
    index = {t.normalise_label(k): v for k, v in words.items()}

    def parse(value) -> str:
        key = t.normalise_label(value)
        if key in index:
            return index[key]
        raise t.CellValueError(f"{what}“{value}”无效，应为：{allowed}")

    return parse


budget_kind = _lookup(BUDGET_KIND_WORDS, "预算类别", "、".join(BudgetKind.labels))


def budget_kind_from_fund_source(fund_source: str) -> str | None:
    """Guess the budget from a fund source text such as "政府性基金预算资金" (used when the file has no 预算类别)."""
    s = fund_source or ""
    if "政府性基金" in s or "专项债" in s:
        return BudgetKind.GOVERNMENT_FUND
    if "国有资本" in s:
        return BudgetKind.STATE_CAPITAL
    if "社会保险" in s or "社保基金" in s:
        return BudgetKind.SOCIAL_INSURANCE
    if "一般公共" in s or "公共预算" in s:
        return BudgetKind.GENERAL_PUBLIC
    return None


SPECIAL_WORDS = {
    **t.choices_by_label([c for c in SpecialCategory.choices if c[0]]),
    "无": "", "否": "", "-": "", "/": "", "—": "", "不涉及": "",
    "专项债": "special_bond", "专项债券": "special_bond", "地方政府专项债券": "special_bond",
    "政府债券": "special_bond", "ppp": "ppp", "ppp项目": "ppp", "政府和社会资本合作": "ppp",
    "购买服务": "purchase_of_services", "政府购买服务项目": "purchase_of_services",
    "政府采购项目": "procurement", "投资基金": "investment_fund",
}
special_category = _lookup(SPECIAL_WORDS, "特殊类别", "无、" + "、".join(
    label for value, label in SpecialCategory.choices if value))

_NEW = {"是": True, "新增": True, "新增项目": True, "新": True, "y": True, "1": True,
        "否": False, "延续": False, "延续项目": False, "续": False, "n": False, "0": False}


def new_flag(value) -> bool:
    if isinstance(value, bool):
        return value
    key = t.normalise_label(value)
    if isinstance(value, float) and value.is_integer():
        key = str(int(value))
    if key in _NEW:
        return _NEW[key]
    raise t.CellValueError(f"“{value}”应填“是/否”或“新增/延续”")


def month(value) -> int:
    """A month as exports write it: 3, "3", "03", "3月", "2026-03", "202603"."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = t.clean_text(value).translate(str.maketrans("０１２３４５６７８９", "0123456789")).rstrip("月份").strip()
    m = re.fullmatch(r"(?:\d{4}\s*[-/.年]\s*)?(\d{1,2})", s) or re.fullmatch(r"\d{4}(\d{2})", s)
    if not m:
        raise t.CellValueError(f"“{value}”不是有效月份，应为1至12")
    n = int(m.group(1))
    if not 1 <= n <= 12:
        raise t.CellValueError(f"月份“{value}”超出范围，应为1至12")
    return n


C = t.Column
OPTIONAL = {"required": False, "allow_blank": True}

# 项目/预算指标导出: one row per budget line (指标); the lines of one project aggregate into the subject.
SUBJECT_COLUMNS = [
    C("year", "预算年度", t.integer(2000, 2100), required=False, aliases=("年度", "预算年份", "年份")),
    C("department_code", "主管部门编码", t.code(30), **OPTIONAL,
      aliases=("部门编码", "主管部门代码", "一级单位编码", "部门代码")),
    C("department_name", "主管部门名称", t.text(100), **OPTIONAL, aliases=("部门名称", "主管部门", "一级单位名称")),
    C("unit_code", "单位编码", t.code(30), aliases=("预算单位编码", "单位代码", "预算单位代码")),
    C("unit_name", "单位名称", t.text(100), **OPTIONAL, aliases=("预算单位名称", "预算单位")),
    C("code", "项目编码", t.code(40), aliases=("项目代码",)),
    C("name", "项目名称", t.text(200)),
    C("category", "项目类别", subject_category, **OPTIONAL, aliases=("项目类型", "项目分类")),
    C("budget_kind", "预算类别", budget_kind, **OPTIONAL, aliases=("预算类型", "四本预算", "预算种类")),
    C("functional_class", "功能分类科目编码", t.code(20), **OPTIONAL,
      aliases=("功能分类编码", "功能科目编码", "支出功能分类科目编码", "功能分类科目代码", "功能分类科目")),
    C("functional_class_name", "功能分类科目名称", t.text(100), **OPTIONAL,
      aliases=("功能分类名称", "功能科目名称", "支出功能分类科目名称")),
    C("economic_class", "经济分类科目编码", t.code(20), **OPTIONAL,
      aliases=("经济分类编码", "经济科目编码", "部门经济分类科目编码", "政府经济分类科目编码",
               "部门预算支出经济分类科目编码", "经济分类科目")),
    C("economic_class_name", "经济分类科目名称", t.text(100), **OPTIONAL,
      aliases=("经济分类名称", "经济科目名称", "部门经济分类科目名称", "政府经济分类科目名称")),
    C("fund_source", "资金来源", t.text(50), **OPTIONAL, aliases=("资金性质", "资金来源名称")),
    C("line_code", "指标编码", t.code(40), **OPTIONAL, aliases=("预算指标编码", "指标代码", "指标id")),
    C("initial_amount", "年初预算数", yuan_amount,
      aliases=("年初预算", "年初批复数", "年初预算金额", "预算数", "预算金额", "本年预算数", "年度预算数",
               "年度预算金额", "批复金额", "金额")),
    C("adjusted_amount", "调整后预算数", yuan_amount, **OPTIONAL,
      aliases=("调整后预算", "调整预算数", "调整后金额", "当前预算数", "调整后预算金额", "调整后指标数")),
    C("total_amount", "项目总金额", yuan_amount, **OPTIONAL,
      aliases=("项目总额", "总金额", "项目总投资", "项目总预算", "项目总预算金额", "项目总金额数")),
    C("is_new", "是否新增", new_flag, **OPTIONAL,
      aliases=("是否新增项目", "新增/延续", "新增或延续", "项目属性", "新增项目", "是否新增(是/否)")),
    C("start_date", "开始日期", t.date, **OPTIONAL,
      aliases=("项目开始日期", "实施开始日期", "起始日期", "项目起始日期", "开始时间", "计划开始日期")),
    C("end_date", "结束日期", t.date, **OPTIONAL,
      aliases=("项目结束日期", "实施结束日期", "截止日期", "终止日期", "结束时间", "计划结束日期")),
    C("special_category", "特殊类别", special_category, **OPTIONAL,
      aliases=("特殊项目类别", "项目特殊类别", "特殊类型")),
    C("is_classified", "是否涉密", t.boolean, **OPTIONAL,
      aliases=("涉密", "是否涉密项目", "涉密/敏感", "是否涉密敏感")),
    C("classified_reason", "涉密备案原因", t.text(300), **OPTIONAL,
      aliases=("涉密原因", "备案原因", "涉密说明", "涉密备案说明")),
    C("sector", "所属行业", t.text(50), **OPTIONAL, aliases=("行业",)),
    C("description", "项目概况", t.text(2000), **OPTIONAL, aliases=("项目简介", "项目说明", "项目内容")),
    C("is_research", "是否科研项目", t.boolean, **OPTIONAL, aliases=("科研项目", "是否科研类项目")),
]
SUBJECT_LABELS = {c.key: c.label for c in SUBJECT_COLUMNS}
AMOUNT_KEYS = ("initial_amount", "adjusted_amount", "total_amount")

# 执行数据导出: one row per project and month (or per budget line and month when 指标编码 is given).
EXECUTION_COLUMNS = [
    C("code", "项目编码", t.code(40), aliases=("项目代码",)),
    C("name", "项目名称", t.text(200), **OPTIONAL),
    C("year", "年度", t.integer(2000, 2100), required=False, aliases=("预算年度", "支出年度", "年份")),
    C("month", "月份", month, aliases=("月", "支出月份", "期间", "会计期间", "月度")),
    C("line_code", "指标编码", t.code(40), **OPTIONAL, aliases=("预算指标编码", "指标代码")),
    C("amount", "支出金额", yuan_amount, **OPTIONAL,
      aliases=("当月支出", "当月支出数", "本月支出", "支付金额", "当月支付数", "当月支付金额", "本月支付", "当月执行数",
               "支出数")),
    C("cumulative", "累计支出", yuan_amount, **OPTIONAL,
      aliases=("累计支出数", "累计支付", "累计支付数", "累计支付金额", "累计执行数", "累计执行金额")),
]
EXECUTION_LABELS = {c.key: c.label for c in EXECUTION_COLUMNS}


def scaled_amount_headers(header: tuple, columns: list[t.Column], keys: tuple[str, ...]) -> list[str]:
    """Header labels of amount columns that say they are in 万元/千元/亿元."""
    names = set()
    for col in columns:
        if col.key in keys:
            names |= col.names()
    out = []
    for raw in header:
        label = t.normalise_label(raw)
        base = re.sub(r"\(.*?\)$", "", label)
        if (label in names or base in names) and SCALED_HEADER.search(label):
            out.append(str(raw).strip())
    return out


def header_row(data: bytes, filename: str, rownum: int) -> tuple:
    for i, raw in enumerate(t.iter_sheet_rows(data, filename), start=1):
        if i == rownum:
            return raw
    return ()


SNIFF_BYTES = 4096  # what jixiao.core.tabular.sniff_format looks at
UTF8_BOM = b"\xef\xbb\xbf"


def sniffable_csv(data: bytes) -> tuple[bytes, int]:
    """Work around tabular.sniff_format refusing CSV files longer than 4 KB whose 4096th byte falls inside a
    multi-byte character (it decodes only the first 4096 bytes, so the cut character fails both UTF-8 and GB18030).
    The text is re-encoded as UTF-8 and 0-3 blank lines are put in front so that the cut falls on a character
    boundary; returns (data, number of lines added) so callers can give row numbers back as the user sees them."""
    if data[:4] in (t.XLSX_MAGIC, t.XLS_MAGIC) or len(data) <= SNIFF_BYTES:
        return data, 0
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            body = data.decode(encoding).encode("utf-8")
            break
        except UnicodeDecodeError:
            continue
    else:
        return data, 0
    newline = b"\r\n" if b"\r\n" in body[:SNIFF_BYTES] else b"\n"
    for pad in range(4):
        candidate = UTF8_BOM + newline * pad + body
        try:
            candidate[:SNIFF_BYTES].decode("utf-8-sig")
        except UnicodeDecodeError:
            continue
        return candidate, pad
    return data, 0


def read_upload(data: bytes, columns: list[t.Column], filename: str = "") -> tuple[t.Table, tuple]:
    """read_table() plus the raw header row (to check its units), with row numbers as in the user's file."""
    data, pad = sniffable_csv(data)
    table = t.read_table(data, columns, filename=filename)
    header = header_row(data, filename, table.header_row) if table.header_row else ()
    if pad:
        for error in table.errors:
            if error.row:
                error.row -= pad
        for row in table.rows:
            row["_row"] -= pad
        if table.header_row:
            table.header_row -= pad
    return table, header


# The list export: one row per subject, amounts in yuan.
EXPORT_HEADERS = [
    "预算年度", "区划", "主管部门编码", "主管部门", "单位编码", "预算单位", "项目编码", "项目名称", "类型", "项目类别",
    "预算类别", "特殊类别", "是否新增", "开始日期", "结束日期", "功能分类科目编码", "功能分类科目名称",
    "年度预算金额(元)", "调整后预算(元)", "项目总金额(元)", "是否涉密", "状态", "执行状态", "暂停拨款", "暂停拨款原因",
    "版本号", "更新时间",
]


def export_row(s) -> list:
    from django.utils import timezone

    return [
        s.fiscal_year.year, s.region.name, s.department.code if s.department_id else "",
        s.department.name if s.department_id else "", s.unit.code if s.unit_id else "",
        s.unit.name if s.unit_id else "", s.code, s.name, s.get_kind_display(),
        s.get_project_category_display() if s.project_category else "", s.get_budget_kind_display(),
        s.get_special_category_display() if s.special_category else "", "是" if s.is_new else "否",
        s.start_date.isoformat() if s.start_date else "", s.end_date.isoformat() if s.end_date else "",
        s.functional_class, s.functional_class_name, s.annual_amount.yuan,
        s.adjusted_amount.yuan if s.adjusted_amount is not None else "", s.total_amount.yuan,
        "是" if s.is_classified else "否", s.get_state_display(), s.get_execution_status_display(),
        "是" if s.payment_blocked else "否", s.payment_block_reason, s.revision,
        timezone.localtime(s.updated_at).strftime("%Y-%m-%d %H:%M"),
    ]
