"""The indicator library in Excel: the layout bureaus keep their library in, read by header labels (with the aliases
offices use) and written back in the same layout, so an export imports again unchanged.

Import is all or nothing: every row is checked (cells, the rules of `rules.clean_indicator`, codes repeated in the
file, sectors and domains that do not exist, codes that belong to another library) and nothing is written unless the
whole file is clean; then new codes are created and changed ones updated as new versions, in one transaction.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from jixiao.core import tabular
from jixiao.core.tabular import CellError, Column
from jixiao.indicators import rules
from jixiao.indicators.models import Comparator, Direction, Indicator, IndicatorStatus, Level1, Sector, ValueBasis
from jixiao.indicators.services import UpsertResult, bulk_upsert, existing_by_code

# (key, label, aliases, required column, width)
LAYOUT: list[tuple[str, str, tuple[str, ...], bool, int]] = [
    ("code", "指标编码", ("编码", "指标代码", "指标编号"), True, 16),
    ("sector", "行业", ("所属行业", "行业分类", "行业类别"), False, 12),
    ("domain", "领域", ("所属领域", "行业领域", "领域分类"), False, 14),
    ("level1", "一级指标", ("一级指标名称",), True, 12),
    ("level2", "二级指标", ("二级指标名称",), True, 14),
    ("name", "三级指标(指标名称)", ("三级指标", "指标名称", "三级指标名称", "绩效指标", "指标"), True, 30),
    ("explanation", "指标解释", ("指标说明", "指标含义", "指标定义", "指标解释说明"), False, 40),
    ("unit", "计量单位", ("单位", "度量单位", "指标单位"), False, 10),
    ("comparator", "计算符号", ("符号", "指标值符号", "运算符号", "比较符号", "指标符号"), False, 10),
    ("direction", "指标方向", ("方向", "指标方向性"), False, 10),
    ("nature", "指标性质(定量/定性)", ("指标性质", "定量/定性", "定性/定量", "指标类型", "定量定性"), False, 12),
    ("value_basis", "指标值设定依据", ("设定依据", "指标值依据", "取值依据", "指标值确定依据"), False, 14),
    ("formula", "计算公式", ("公式", "计算方法"), False, 30),
    ("data_source", "数据来源", ("数据来源渠道", "数据出处"), False, 16),
    ("evidence_type", "佐证材料", ("佐证资料", "佐证材料类型", "佐证资料要求"), False, 16),
    ("scoring_rule", "评(扣)分标准", ("评分标准", "扣分标准", "评扣分标准", "评分规则", "评(扣)分规则"), False, 30),
    ("reference_value", "参考值", ("参考指标值", "历史参考值", "标杆值"), False, 12),
    ("is_common", "共性/个性", ("共性个性", "指标类别", "共性或个性", "共性/个性指标"), False, 10),
    ("status", "状态", ("指标状态",), False, 8),
]
LABEL_OF = {key: label for key, label, *_ in LAYOUT}
# a field of rules.clean_indicator → the column its message belongs to
FIELD_COLUMN = {"sector_id": "sector", "domain_id": "domain", "is_quantitative": "nature"}
STATUS_WORDS = {"启用": IndicatorStatus.ACTIVE, "有效": IndicatorStatus.ACTIVE, "active": IndicatorStatus.ACTIVE,
                "停用": IndicatorStatus.RETIRED, "废止": IndicatorStatus.RETIRED, "retired": IndicatorStatus.RETIRED,
                "待审核": IndicatorStatus.DRAFT, "draft": IndicatorStatus.DRAFT}
EXPORT_MAX_ROWS = 100_000


def columns() -> list[Column]:
    cols = []
    for key, label, aliases, required, _ in LAYOUT:
        parser = tabular.code(rules.CODE_MAX) if key == "code" else tabular.text()
        cols.append(Column(key, label, parser, required=required, allow_blank=key != "name",
                           aliases=aliases, default=""))
    return cols


@dataclass
class ImportOutcome:
    errors: list[CellError] = field(default_factory=list)
    result: UpsertResult | None = None
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


class _Sectors:
    """Sector and domain lookup by name or code, as the file writes them."""

    def __init__(self):
        self.all = list(Sector.objects.all())
        self.sector_by = {}
        self.domain_by: dict[tuple[int, str], Sector] = {}
        self.domains_named: dict[str, list[Sector]] = {}
        for s in self.all:
            if s.parent_id is None:
                self.sector_by[s.name] = s
                self.sector_by[s.code] = s
        for s in self.all:
            if s.parent_id is not None:
                self.domain_by[(s.parent_id, s.name)] = s
                self.domain_by[(s.parent_id, s.code)] = s
                self.domains_named.setdefault(s.name, []).append(s)
                self.domains_named.setdefault(s.code, []).append(s)
        self.names = {s.pk: s.name for s in self.all}

    def resolve(self, sector_text: str, domain_text: str) -> tuple[int | None, int | None, dict[str, str]]:
        errors: dict[str, str] = {}
        sector = domain = None
        if sector_text:
            sector = self.sector_by.get(sector_text)
            if sector is None:
                errors["sector"] = f"行业“{sector_text}”不存在，请先在指标库中维护该行业"
        if domain_text:
            if sector is not None:
                domain = self.domain_by.get((sector.pk, domain_text))
                if domain is None:
                    errors["domain"] = f"领域“{domain_text}”不属于行业“{sector.name}”"
            elif "sector" not in errors:
                found = self.domains_named.get(domain_text, [])
                if len(found) == 1:
                    domain = found[0]
                elif not found:
                    errors["domain"] = f"领域“{domain_text}”不存在"
                else:
                    errors["domain"] = f"领域“{domain_text}”在多个行业下都有，请填写行业"
        sector_id = sector.pk if sector else (domain.parent_id if domain else None)
        return sector_id, domain.pk if domain else None, errors


def _row_definition(raw: dict, sectors: _Sectors) -> tuple[dict, dict[str, str]]:
    """A file row → (definition for rules.clean_indicator, {column key: message})."""
    errors: dict[str, str] = {}
    sector_id, domain_id, e = sectors.resolve(raw.get("sector") or "", raw.get("domain") or "")
    errors.update(e)
    d = {
        "code": raw.get("code") or "", "name": raw.get("name") or "", "level1": raw.get("level1") or "",
        "level2": raw.get("level2") or "", "sector_id": sector_id, "domain_id": domain_id,
        "explanation": raw.get("explanation") or "", "unit": raw.get("unit") or "",
        "direction": raw.get("direction") or None, "value_basis": raw.get("value_basis") or "",
        "formula": raw.get("formula") or "", "data_source": raw.get("data_source") or "",
        "evidence_type": raw.get("evidence_type") or "", "scoring_rule": raw.get("scoring_rule") or "",
        "reference_value": raw.get("reference_value") or "", "source_document": "",
    }
    nature_text = raw.get("nature") or ""
    nature = rules.parse_quantitative(nature_text) if nature_text else None
    if nature_text and nature is None:
        errors["nature"] = f"指标性质“{nature_text}”无效，应为：定量、定性"
    if nature is not None:
        d["nature"] = nature
    comparator = raw.get("comparator") or ""
    if not comparator:
        comparator = Comparator.QUALITATIVE if nature is False else ""
        if not comparator:
            errors["comparator"] = "计算符号不能为空（≥、＞、＝、＜、≤、定性、定量(其他)）"
            comparator = Comparator.GE
    d["comparator"] = comparator
    common_text = raw.get("is_common") or ""
    common = rules.parse_common(common_text) if common_text else False
    if common is None:
        errors["is_common"] = f"“{common_text}”无效，应为：共性、个性"
        common = False
    d["is_common"] = common
    status_text = (raw.get("status") or "").strip()
    if status_text:
        status = STATUS_WORDS.get(status_text.lower())
        if status is None:
            errors["status"] = f"状态“{status_text}”无效，应为：启用、停用"
        d["status"] = status
    return d, errors


def import_indicators(data: bytes, *, filename: str, actor, region_id: int | None,
                      progress: Callable[[int, int], None] | None = None, comment: str = "") -> ImportOutcome:
    """Check the whole file, then write it in one transaction, or write nothing and report every bad cell."""
    from jixiao.indicators.selectors import library_access

    if not library_access(actor).can_curate_region(region_id):
        raise PermissionDenied("您没有维护该指标库的权限")
    table = tabular.read_table(data, columns(), filename=filename)
    outcome = ImportOutcome(rows=len(table.rows))
    if not table.ok:
        outcome.errors = table.errors
        return outcome
    if not table.rows:
        outcome.errors = [CellError(None, "", "文件中没有指标数据")]
        return outcome
    total = len(table.rows)
    sectors = _Sectors()
    errors: list[CellError] = []
    clean_rows: list[dict] = []
    first_row_of: dict[str, int] = {}
    for n, raw in enumerate(table.rows, start=1):
        rownum = raw["_row"]
        d, row_errors = _row_definition(raw, sectors)
        status = d.pop("status", None)
        code = d["code"]
        if code:
            if code in first_row_of:
                row_errors.setdefault("code", f"指标编码“{code}”与第{first_row_of[code]}行重复")
            else:
                first_row_of[code] = rownum
        else:
            d["code"] = "AUTO"  # a placeholder that passes the code checks; a real code is given below
        clean, field_errors = rules.clean_indicator(d)
        for f, msg in field_errors.items():
            row_errors.setdefault(FIELD_COLUMN.get(f, f), msg)
        for key, msg in row_errors.items():
            errors.append(CellError(rownum, LABEL_OF.get(key, rules.FIELD_LABELS.get(key, key)), msg,
                                    str(raw.get(key) or "")[:60]))
        if not code:
            clean["code"] = ""
        if status:
            clean["status"] = status
        clean["_row"] = rownum
        clean_rows.append(clean)
        if progress is not None and n % 2000 == 0:
            progress(n // 2, total)
        if len(errors) >= 1000:
            errors.append(CellError(None, "", "错误超过1000处，已停止检查"))
            break
    if errors:
        outcome.errors = errors
        return outcome
    try:
        with transaction.atomic():
            existing = existing_by_code(r["code"] for r in clean_rows if r["code"])
            for r in clean_rows:
                ind = existing.get(r["code"]) if r["code"] else None
                if ind is not None and ind.region_id != region_id:
                    where = "全国共性指标库" if ind.region_id is None else "其他区划的指标库"
                    errors.append(CellError(r["_row"], LABEL_OF["code"], f"指标编码“{r['code']}”已被{where}使用",
                                            r["code"]))
            if errors:
                outcome.errors = errors
                return outcome
            _assign_codes(clean_rows, region_id, set(existing))
            for r in clean_rows:
                r.pop("_row", None)

            def written(n):
                if progress is not None:
                    progress(total // 2 + n // 2, total)

            outcome.result = bulk_upsert(actor=actor, region_id=region_id, rows=clean_rows, existing=existing,
                                         comment=comment or f"导入：{filename}"[:200], progress=written)
    except IntegrityError:
        outcome.errors = [CellError(None, LABEL_OF["code"], "导入期间有人新增了相同编码的指标，请重新导入")]
        outcome.result = None
    if progress is not None:
        progress(total, total)
    return outcome


def _assign_codes(rows: list[dict], region_id: int | None, taken: set[str]) -> None:
    """Rows without a code get ZB<region code>nnnnnn, continuing after the highest such code in use."""
    blank = [r for r in rows if not r["code"]]
    if not blank:
        return
    from jixiao.indicators.services import _next_code, _region_code

    first = _next_code(_region_code(region_id))
    prefix, n = first[:-6], int(first[-6:])
    used = taken | {r["code"] for r in rows if r["code"]}
    for r in blank:
        while f"{prefix}{n:06d}" in used:
            n += 1
        r["code"] = f"{prefix}{n:06d}"
        used.add(r["code"])
        n += 1


# ---- export -------------------------------------------------------------------------------------------------------

def export_rows(indicators: Iterable[Indicator], sector_names: dict[int, str]) -> Iterable[list]:
    level1 = dict(Level1.choices)
    comparator = dict(Comparator.choices)
    direction = dict(Direction.choices)
    basis = dict(ValueBasis.choices)
    status = {IndicatorStatus.ACTIVE: "启用", IndicatorStatus.RETIRED: "停用", IndicatorStatus.DRAFT: "待审核"}
    for i in indicators:
        yield [
            i.code, sector_names.get(i.sector_id, "") if i.sector_id else "",
            sector_names.get(i.domain_id, "") if i.domain_id else "", level1.get(i.level1, i.level1), i.level2,
            i.name, i.explanation, i.unit, comparator.get(i.comparator, i.comparator),
            direction.get(i.direction, i.direction), "定量" if i.is_quantitative else "定性",
            basis.get(i.value_basis, ""), i.formula, i.data_source, i.evidence_type, i.scoring_rule,
            i.reference_value, "共性" if i.is_common else "个性", status.get(i.status, i.status),
        ]


def write_workbook(rows: Iterable[list], *, title: str | None = None) -> bytes:
    """An .xlsx in the library layout (write-only: memory stays flat for large libraries)."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("指标库")
    for idx, (*_, width) in enumerate(LAYOUT, start=1):
        ws.column_dimensions[get_column_letter(idx)].width = width
    if title:
        cell = WriteOnlyCell(ws, value=title)
        cell.font = Font(bold=True, size=14)
        ws.append([cell])
    header = []
    for key, label, *_ in LAYOUT:
        cell = WriteOnlyCell(ws, value=label)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header.append(cell)
        del key
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_indicators(qs) -> bytes:
    """The indicators of `qs` (already scoped and filtered by the caller) as an .xlsx that imports again."""
    sector_names = dict(Sector.objects.values_list("pk", "name"))
    return write_workbook(export_rows(qs.order_by("code").iterator(chunk_size=2000), sector_names))


# ---- the sample file --------------------------------------------------------------------------------------------

SAMPLE_ROWS = [
    ["JY-XSZZ-001", "教育", "学生资助", "产出指标", "数量指标", "学生资助人数",
     "反映按规定获得资助的家庭经济困难学生人数。", "人", ">=", "正向", "定量", "计划标准", "", "部门业务统计",
     "资助名单、发放凭证", "完成计划人数得满分，每少1%扣0.5分", "1200", "个性", "启用"],
    ["JY-XSZZ-002", "教育", "学生资助", "产出指标", "时效指标", "资助资金发放及时率",
     "反映资助资金按规定时限发放到学生的情况。", "%", "不低于", "正向", "定量", "计划标准",
     "按时发放资金/应发放资金×100%", "部门业务记录", "银行发放记录", "", "100", "个性", "启用"],
    ["JY-XSZZ-003", "教育", "学生资助", "效益指标", "社会效益", "家庭经济困难学生资助覆盖率",
     "反映应助尽助情况。", "%", "≥", "", "定量", "历史标准", "已资助学生数/认定的家庭经济困难学生数×100%",
     "部门业务统计", "认定名单", "", "100", "个性", ""],
    ["JY-YWJY-001", "教育", "义务教育", "产出指标", "数量", "校舍维修改造面积",
     "反映年度完成维修改造的校舍面积。", "平方米", "大于等于", "", "定量", "计划标准", "", "部门业务记录",
     "竣工验收报告", "", "5000", "个性", ""],
    ["JY-YWJY-002", "教育", "义务教育", "产出指标", "质量指标", "维修工程验收合格率",
     "反映校舍维修工程质量。", "%", "＝", "等于", "定量", "行业标准", "验收合格工程数/完工工程数×100%",
     "部门业务记录", "验收报告", "", "100", "个性", ""],
    ["WS-GGWS-001", "卫生健康", "公共卫生", "产出指标", "数量指标", "65岁以上老年人健康管理人数",
     "反映为65岁及以上老年人提供健康管理服务的人数。", "人", "≥", "正向", "定量", "历史标准", "",
     "部门业务统计", "健康档案系统数据", "", "30000", "个性", ""],
    ["WS-GGWS-002", "卫生健康", "公共卫生", "产出指标", "成本指标", "人均基本公共卫生服务补助标准",
     "反映人均补助标准，不得超过规定的支出标准。", "元/人", "<=", "反向", "定量", "预算支出标准", "",
     "政策文件", "资金文件", "", "89", "个性", ""],
    ["NY-GBZNT-001", "农业农村", "高标准农田", "成本指标", "经济成本指标", "高标准农田亩均建设成本",
     "反映每亩高标准农田的建设投入。", "元/亩", "不超过", "", "定量", "预算支出标准",
     "建设总投入/建设面积", "部门业务统计", "决算报告", "", "3000", "个性", ""],
    ["NY-GBZNT-002", "农业农村", "高标准农田", "效益指标", "可持续影响", "农田基础设施长期发挥效益情况",
     "反映建成设施的管护和持续使用。", "", "定性", "定性", "定性", "其他标准", "", "实地核查",
     "管护制度、照片", "好、一般、差三档", "好", "个性", ""],
    ["", "", "", "满意度指标", "服务对象满意度指标", "服务对象满意度",
     "反映服务对象对项目实施的满意程度，通过问卷调查取得。", "%", "≥", "正向", "定量", "计划标准",
     "满意人数/调查总人数×100%", "问卷调查报告", "调查问卷、统计表", "", "90", "共性", ""],
]


def sample_workbook() -> bytes:
    """The sample import file (samples/指标库导入样例.xlsx): a title above the header, the messy comparator spellings
    offices use (>=, 不低于, 大于等于, ＝, 不超过), a 二级指标 written without 指标, and a row without a code (the
    importer gives it the next code)."""
    return write_workbook(SAMPLE_ROWS, title="指标库导入样例（表头行以上的标题行会被忽略；指标编码为空时自动编码）")
