"""Layouts of the organisation and user import workbooks, and the sample files built from them.

Organisations: one Excel workbook with up to four sheets, each optional, read by sheet name:

- 区划: 区划代码, 区划名称, 上级区划代码 (blank for a top region), 层级 (省/市/县(区)/乡镇(街道)), 财政部门名称
  (blank: "<名称>财政局", "财政厅" for a province)
- 部门: 区划代码, 部门编码, 部门名称, 所属行业, 是否涉密 (是/否, blank: 否)
- 单位: 区划代码, 单位编码, 单位名称, 主管部门编码
- 第三方机构: 登记区划代码, 机构名称, 统一社会信用代码

Department and unit codes are unique within a region, so each row names its region. A row whose code exists
already updates the names; it never moves anything (moving is done on screen).

Users: one sheet (named 用户, or the first sheet), one row per user and role: 用户名, 姓名, 角色 (Chinese label, e.g.
预算单位), 所属区划代码, 部门编码, 单位编码, 机构信用代码, 分管部门编码 (several separated by commas), 初始密码
(blank: generated), 电话. Which node columns a role needs: see `ROLE_NODE_HELP`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from jixiao.core.tabular import CellValueError, Column, boolean, clean_text, code, normalise_label, text
from jixiao.organisations.models import Region, Role

# ---- cell parsers -------------------------------------------------------------------------------------------------

_LEVELS = {
    Region.Level.PROVINCE: ["省", "省级", "自治区", "直辖市"],
    Region.Level.CITY: ["市", "市级", "地市", "地级市", "盟", "州"],
    Region.Level.COUNTY: ["县(区)", "县", "区", "县级", "县区", "旗", "县级市"],
    Region.Level.TOWN: ["乡镇(街道)", "乡镇", "乡", "镇", "街道", "苏木"],
}
_LEVEL_INDEX = {normalise_label(label): int(level) for level, labels in _LEVELS.items() for label in labels}
_LEVEL_INDEX.update({str(int(level)): int(level) for level in Region.Level})


def level(value) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    key = normalise_label(value)
    if key in _LEVEL_INDEX:
        return _LEVEL_INDEX[key]
    raise CellValueError(f"层级“{value}”无效，应为：省、市、县(区)、乡镇(街道)")


ROLE_ALIASES = {
    Role.SYSADMIN: ["管理员"],
    Role.FINANCE_ADMIN: ["绩效科", "财政绩效科", "绩效管理员", "财政绩效管理"],
    Role.BUDGET_OFFICER: ["预算科", "业务科室", "预算业务科室", "财政业务科室"],
    Role.DEPARTMENT: ["部门", "一级预算单位"],
    Role.UNIT: ["单位", "二级单位", "基层单位"],
    Role.AGENCY: ["机构", "中介机构"],
    Role.EXPERT: [],
    Role.OVERSEER: ["监督部门", "人大", "审计", "纪检", "监督"],
}
_ROLE_INDEX = {normalise_label(r.label): r.value for r in Role}
_ROLE_INDEX.update({normalise_label(a): r.value for r, aliases in ROLE_ALIASES.items() for a in aliases})


def role(value) -> str:
    key = normalise_label(value)
    if key in _ROLE_INDEX:
        return _ROLE_INDEX[key]
    raise CellValueError(f"角色“{clean_text(value)}”无效，应为：{'、'.join(r.label for r in Role)}")


def optional_code(max_length: int = 30):
    parse = code(max_length)
    return lambda v: parse(v) if clean_text(v) else ""


def code_list(value) -> str:
    """Several codes in one cell; a single code typed as a number stays a code."""
    return clean_text(value)


# ---- layouts ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]

    def label(self, key: str) -> str:
        for c in self.columns:
            if c.key == key:
                return c.label
        return ""


REGION_SHEET = Sheet("区划", (
    Column("code", "区划代码", code(12)),
    Column("name", "区划名称", text(100)),
    Column("parent_code", "上级区划代码", code(12), allow_blank=True, default=""),
    Column("level", "层级", level),
    Column("bureau_name", "财政部门名称", text(100), required=False, allow_blank=True, default=""),
))
DEPARTMENT_SHEET = Sheet("部门", (
    Column("region_code", "区划代码", code(12)),
    Column("code", "部门编码", code(30)),
    Column("name", "部门名称", text(100)),
    Column("sector", "所属行业", text(50), required=False, allow_blank=True, default=""),
    Column("is_classified", "是否涉密", boolean, required=False, allow_blank=True, default=False,
           aliases=("涉密部门", "涉密")),
))
UNIT_SHEET = Sheet("单位", (
    Column("region_code", "区划代码", code(12)),
    Column("code", "单位编码", code(30)),
    Column("name", "单位名称", text(100)),
    Column("department_code", "主管部门编码", code(30), aliases=("部门编码",)),
))
AGENCY_SHEET = Sheet("第三方机构", (
    Column("region_code", "登记区划代码", code(12), aliases=("区划代码",)),
    Column("name", "机构名称", text(150)),
    Column("credit_code", "统一社会信用代码", code(18), aliases=("机构信用代码", "信用代码")),
))
ORGANISATION_SHEETS = (REGION_SHEET, DEPARTMENT_SHEET, UNIT_SHEET, AGENCY_SHEET)

USER_SHEET = Sheet("用户", (
    Column("username", "用户名", text(150)),
    Column("full_name", "姓名", text(60)),
    Column("role", "角色", role),
    Column("region_code", "所属区划代码", optional_code(12), allow_blank=True, default="", aliases=("区划代码",)),
    Column("department_code", "部门编码", optional_code(30), required=False, allow_blank=True, default="",
           aliases=("主管部门编码",)),
    Column("unit_code", "单位编码", optional_code(30), required=False, allow_blank=True, default=""),
    Column("agency_code", "机构信用代码", optional_code(18), required=False, allow_blank=True, default="",
           aliases=("统一社会信用代码", "机构统一社会信用代码")),
    Column("department_codes", "分管部门编码", code_list, required=False, allow_blank=True, default=""),
    Column("password", "初始密码", text(128), required=False, allow_blank=True, default=""),
    Column("phone", "电话", text(30), required=False, allow_blank=True, default="", aliases=("联系电话", "手机")),
))

ROLE_NODE_HELP = [
    ("系统管理员、财政绩效管理员、监督部门、专家", "所属区划代码"),
    ("财政预算业务科室", "所属区划代码、分管部门编码（多个用逗号分隔）"),
    ("主管部门", "所属区划代码、部门编码"),
    ("预算单位", "所属区划代码、单位编码（部门编码可不填）"),
    ("第三方机构", "机构信用代码（所属区划代码可不填）"),
]


# ---- samples ------------------------------------------------------------------------------------------------------

SAMPLE_ORGANISATIONS = {
    "区划": [
        ["区划代码", "区划名称", "上级区划代码", "层级", "财政部门名称"],
        ["150521", "科左中旗", "150500", "县(区)", "科尔沁左翼中旗财政局"],
        ["150522", "科左后旗", "150500", "县(区)", ""],
    ],
    "部门": [
        ["区划代码", "部门编码", "部门名称", "所属行业", "是否涉密"],
        ["150500", "303", "通辽市农牧局", "农业", "否"],
        ["150500", "304", "通辽市交通运输局", "交通", "否"],
        ["150521", "301", "科左中旗教育局", "教育", "否"],
    ],
    "单位": [
        ["区划代码", "单位编码", "单位名称", "主管部门编码"],
        ["150500", "303001", "通辽市农牧局本级", "303"],
        ["150500", "303002", "通辽市农业技术推广中心", "303"],
        ["150500", "304001", "通辽市交通运输局本级", "304"],
        ["150521", "301001", "科左中旗第一中学", "301"],
    ],
    "第三方机构": [
        ["登记区划代码", "机构名称", "统一社会信用代码"],
        ["150500", "通辽正信会计师事务所", "91150500MA0000003C"],
    ],
}

SAMPLE_USERS = [
    [c.label for c in USER_SHEET.columns],
    ["nm_jixiao", "农牧局财务科", "主管部门", "150500", "303", "", "", "", "", "0475-8888001"],
    ["nm_benji", "农牧局本级财务", "预算单位", "150500", "", "303001", "", "", "", ""],
    ["nongke", "农业科", "财政预算业务科室", "150500", "", "", "", "303,304", "", ""],
    ["zhengxin", "正信事务所", "第三方机构", "", "", "", "91150500MA0000003C", "", "", ""],
    ["rd_ysgw", "人大预工委", "监督部门(人大/审计/纪检)", "150500", "", "", "", "", "", ""],
]


def build_workbook(sheets: dict[str, list[list]], *, notes: list[str] | None = None) -> bytes:
    """An .xlsx with the given sheets (first row bold: the header); every cell is written as text so that codes
    keep their leading zeros."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append([str(v) for v in r])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for col in ws.columns:
            width = max(len(str(c.value or "")) for c in col) * 2 + 4
            ws.column_dimensions[col[0].column_letter].width = min(width, 40)
            for c in col:
                c.number_format = "@"
    if notes:
        ws = wb.create_sheet("说明")
        for line in notes:
            ws.append([line])
        ws.column_dimensions["A"].width = 100
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


ORGANISATION_NOTES = [
    "组织机构导入说明：工作表“区划”“部门”“单位”“第三方机构”均可选，按工作表名称识别，其他工作表（如本说明）不读取。",
    "部门编码、单位编码在区划内唯一，因此每行都要填写区划代码。上级区划须已存在或在本文件中列出。",
    "编码已存在的行将更新名称等信息，不会移动隶属关系；如需调整隶属关系，请在组织机构页面操作。",
    "文件中任一行有错误时，全部不导入，并逐行列出错误。",
]
USER_NOTES = [
    "用户导入说明：每行一个用户及其一个角色；其他角色可在用户管理页面添加。",
    *[f"{roles}：填写{cols}" for roles, cols in ROLE_NODE_HELP],
    "初始密码留空将自动生成，导入完成后可下载一次；密码至少8位，不能是纯数字或常见密码。",
    "文件中任一行有错误时，全部不导入，并逐行列出错误。",
]


def sample_organisations() -> bytes:
    return build_workbook(SAMPLE_ORGANISATIONS, notes=ORGANISATION_NOTES)


def sample_users() -> bytes:
    return build_workbook({"用户": SAMPLE_USERS}, notes=USER_NOTES)


def passwords_workbook(rows: list[dict]) -> bytes:
    """The generated initial passwords of an import, for the administrator to hand out."""
    return build_workbook({"初始密码": [["用户名", "姓名", "初始密码"]]
                           + [[r["username"], r["full_name"], r["password"]] for r in rows]})
