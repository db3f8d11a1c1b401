"""Forms of the goal-sheet screens. The editor's POST (header, main tasks and indicator rows, with rows added and
removed on the page) is read here into the plain `SheetData` contract, so that the live check, the save and the API
see the same values. Values that cannot be read are reported per field, in Chinese, never a server error."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django import forms

from jixiao.core.money import MoneyFormField
from jixiao.goals.data import Finding, RowData, SheetData
from jixiao.goals.models import AllocationMethod, GoalIndicator, GoalSheet, SheetKind
from jixiao.goals.workflows import GoalState
from jixiao.indicators.models import Comparator, ValueBasis
from jixiao.policy.schema import Grade, Level1, ProjectCategory

ALL = [("", "全部")]
BLANK = [("", "—")]
MAX_ROWS = 300
MAX_TASKS = 100
TEXT_MAX = 5000
KEY_RE = re.compile(r"^[A-Za-z0-9_]{1,16}$")
# Kinds whose sheet states the duties and main tasks of a department or unit (部门/单位整体).
WIDE_KINDS = frozenset({SheetKind.DEPARTMENT_WIDE, SheetKind.UNIT_WIDE})
FORM_RULE = "form-invalid"
FORM_BASIS = "填报格式：数值、选项和长度须可识别"


def _text(label, max_length=TEXT_MAX, rows=3):
    return forms.CharField(label=label, required=False, max_length=max_length,
                           widget=forms.Textarea(attrs={"rows": rows}))


class SheetFilterForm(forms.Form):
    """The goal-sheet list's filters. Invalid values are reported and ignored."""

    year = forms.IntegerField(label="预算年度", required=False, min_value=2000, max_value=2100)
    department = forms.IntegerField(label="主管部门", required=False, min_value=1)
    state = forms.ChoiceField(label="状态", required=False, choices=ALL + list(GoalState.choices))
    kind = forms.ChoiceField(label="目标类型", required=False, choices=ALL + list(SheetKind.choices))
    overdue = forms.ChoiceField(label="逾期", required=False,
                                choices=ALL + [("yes", "仅逾期（审核或重新报送超期）")])
    q = forms.CharField(label="编码或名称", required=False, max_length=100)

    def filters(self) -> dict:
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        if data.get("overdue"):
            data["overdue"] = True
        return data


class SheetHeaderForm(forms.Form):
    """The editable header of a goal sheet (the subject's own facts — code, amounts, dates — come from the project
    library and are not edited here)."""

    lock_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    category = forms.ChoiceField(label="项目类别", required=False, choices=BLANK + list(ProjectCategory.choices),
                                 help_text="工程基建类、大型修缮及购置类等须设成本指标")
    allocation_method = forms.ChoiceField(label="分配方式", required=False, choices=AllocationMethod.choices)
    has_quality_standard = forms.BooleanField(label="有明确质量标准", required=False,
                                              help_text="有国家或行业质量标准的，须设质量指标")
    overall_goal = _text("总体（实施期）目标", rows=3)
    annual_goal = _text("年度目标", rows=3)
    duties = _text("部门职能/年度履职目标", rows=3)
    policy_basis = _text("立项依据/政策依据", rows=2)
    calculation_basis = _text("测算依据", rows=2)
    multi_year_benefit = _text("多年期效益说明", rows=2)
    survey_plan = _text("满意度调查方案", rows=2)

    TEXT_FIELDS = ("overall_goal", "annual_goal", "duties", "policy_basis", "calculation_basis",
                   "multi_year_benefit", "survey_plan")


class MainTaskForm(forms.Form):
    name = forms.CharField(label="任务名称", required=False, max_length=200)
    content = forms.CharField(label="主要内容", required=False, max_length=2000)
    amount = MoneyFormField(label="预算金额(元)", required=False)


def _model_max(name: str) -> int | None:
    return GoalIndicator._meta.get_field(name).max_length


class IndicatorRowForm(forms.Form):
    """One indicator row as typed. Nothing is required here: what a complete row needs is the rules' business
    (`rules.check_sheet`), so a half-written row is kept and reported, not dropped."""

    level1 = forms.ChoiceField(label="一级指标", required=False, choices=BLANK + list(Level1.choices))
    level2 = forms.CharField(label="二级指标", required=False, max_length=_model_max("level2"))
    name = forms.CharField(label="三级指标", required=False, max_length=_model_max("name"))
    comparator = forms.ChoiceField(label="计算符号", required=False, choices=BLANK + list(Comparator.choices))
    target_value = forms.CharField(label="指标值", required=False, max_length=_model_max("target_value"))
    unit = forms.CharField(label="计量单位", required=False, max_length=_model_max("unit"))
    weight = forms.DecimalField(label="权重", required=False, max_digits=6, decimal_places=2, min_value=0,
                                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 5}))
    explanation = forms.CharField(label="指标解释", required=False, max_length=TEXT_MAX,
                                  widget=forms.Textarea(attrs={"rows": 1}))
    value_basis = forms.ChoiceField(label="指标值设定依据", required=False, choices=BLANK + list(ValueBasis.choices))
    value_method = forms.CharField(label="取值方式", required=False, max_length=_model_max("value_method"))
    data_source = forms.CharField(label="数据来源", required=False, max_length=_model_max("data_source"))
    evidence_type = forms.CharField(label="佐证材料类型", required=False, max_length=_model_max("evidence_type"))
    value_note = forms.CharField(label="指标值说明", required=False, max_length=TEXT_MAX,
                                 widget=forms.Textarea(attrs={"rows": 1}))
    indicator = forms.IntegerField(label="库内指标", required=False, min_value=1, widget=forms.HiddenInput)
    propose_to_library = forms.BooleanField(label="建议纳入指标库", required=False)

    TEXT_FIELDS = ("level2", "name", "target_value", "unit", "explanation", "value_method", "data_source",
                   "evidence_type", "value_note")
    CHOICE_FIELDS = ("level1", "comparator", "value_basis")


ROW_FIELDS = tuple(IndicatorRowForm.base_fields)


@dataclass
class EditorPost:
    """The editor's POST read: the sheet as plain values, the bound forms (for redisplay with errors), the row
    numbers proposed to the library, and the fields that could not be read, as findings."""

    data: SheetData
    header: SheetHeaderForm
    rows: list[tuple[str, IndicatorRowForm]] = field(default_factory=list)
    tasks: list[tuple[str, MainTaskForm]] = field(default_factory=list)
    proposals: set[int] = field(default_factory=set)
    form_findings: list[Finding] = field(default_factory=list)

    @property
    def lock_version(self) -> int | None:
        return self.header.cleaned_data.get("lock_version") if hasattr(self.header, "cleaned_data") else None


def _keys(post, name: str, limit: int) -> list[str]:
    seen, keys = set(), []
    for key in post.getlist(name)[:limit]:
        if KEY_RE.match(key) and key not in seen:
            seen.add(key)
            keys.append(key)
    return keys


def _form_findings(form: forms.Form, row: int | None) -> list[Finding]:
    out = []
    for name, errors in form.errors.items():
        label = str(form.fields[name].label) if name in form.fields else ""
        for message in errors:
            out.append(Finding(severity="error", rule=FORM_RULE, message=f"{label}：{message}" if label else message,
                               basis=FORM_BASIS, row=row, field=name))
    return out


def _norm(name: str) -> str:
    return re.sub(r"\s+", "", name or "")


def read_editor_post(post, base: SheetData) -> EditorPost:
    """Read the editor's POST on top of `base` (the sheet as saved, from `services.sheet_data_from_model`): header
    facts that are not edited here (subject code, amounts, kind, frame, key-project flag) are kept from `base`; the
    history and spending standards of rows are carried over to the posted rows by library indicator, then by name."""
    header = SheetHeaderForm(post)
    header.is_valid()
    findings = _form_findings(header, None)
    # A field the page did not show (e.g. the duties of a project sheet) keeps its saved value.
    values = {name: header.cleaned_data.get(name, "") for name in SheetHeaderForm.TEXT_FIELDS if name in post}
    data = replace(base, rows=[], **values)
    for name in ("category", "allocation_method"):
        if name in post and name in header.cleaned_data:
            setattr(data, name, header.cleaned_data[name])
    if "has_quality_standard" in post or "lock_version" in post:  # an unticked box is absent from the POST
        data.has_quality_standard = bool(header.cleaned_data.get("has_quality_standard"))

    tasks = []
    main_tasks = []
    for key in _keys(post, "task", MAX_TASKS):
        form = MainTaskForm(post, prefix=f"t{key}")
        form.is_valid()
        tasks.append((key, form))
        findings += _form_findings(form, None)
        cd = form.cleaned_data
        if cd.get("name") or cd.get("content") or cd.get("amount") is not None:
            main_tasks.append({"name": cd.get("name", ""), "content": cd.get("content", ""),
                               "amount": cd.get("amount")})
    data.main_tasks = main_tasks if tasks or data.kind in WIDE_KINDS else list(base.main_tasks)

    by_id = {r.indicator_id: r for r in base.rows if r.indicator_id}
    by_name = {_norm(r.name): r for r in base.rows if r.name}
    rows, proposals = [], set()
    for position, key in enumerate(_keys(post, "row", MAX_ROWS), start=1):
        form = IndicatorRowForm(post, prefix=f"r{key}")
        form.is_valid()
        rows.append((key, form))
        findings += _form_findings(form, position)
        cd = form.cleaned_data
        row = RowData(row=position)
        for name in IndicatorRowForm.TEXT_FIELDS + IndicatorRowForm.CHOICE_FIELDS:
            setattr(row, name, (cd.get(name) or "").strip())
        row.weight = cd.get("weight")
        row.indicator_id = cd.get("indicator")
        old = by_id.get(row.indicator_id) if row.indicator_id else None
        old = old or by_name.get(_norm(row.name))
        if old is not None:
            row.history, row.standard = old.history, old.standard
        if cd.get("propose_to_library"):
            proposals.add(position)
        data.rows.append(row)
    return EditorPost(data=data, header=header, rows=rows, tasks=tasks, proposals=proposals,
                      form_findings=findings)


def header_initial(sheet: GoalSheet, data: SheetData) -> dict:
    initial = {name: getattr(data, name, "") or "" for name in SheetHeaderForm.TEXT_FIELDS}
    initial.update(category=data.category or sheet.category, allocation_method=data.allocation_method,
                   has_quality_standard=data.has_quality_standard, lock_version=sheet.lock_version)
    return initial


def row_initial(row: RowData, *, propose: bool = False) -> dict:
    initial = {name: getattr(row, name, "") or "" for name in IndicatorRowForm.TEXT_FIELDS
               + IndicatorRowForm.CHOICE_FIELDS}
    initial.update(weight=row.weight, indicator=row.indicator_id, propose_to_library=propose)
    return initial


def editor_forms(sheet: GoalSheet, data: SheetData, proposals: set[int] | None = None):
    """Unbound forms for the editor's first display: the header, the main tasks and the rows, each row under a key."""
    proposals = proposals or set()
    header = SheetHeaderForm(initial=header_initial(sheet, data))
    tasks = [(str(i), MainTaskForm(prefix=f"t{i}", initial={
        "name": t.get("name", ""), "content": t.get("content", ""), "amount": t.get("amount")}))
        for i, t in enumerate(data.main_tasks or [], start=1)]
    rows = [(str(i), IndicatorRowForm(prefix=f"r{i}", initial=row_initial(r, propose=r.row in proposals)))
            for i, r in enumerate(data.rows, start=1)]
    return header, tasks, rows


# ---- review ----------------------------------------------------------------------------------------------------------

GRADE_CHOICES = BLANK + list(Grade.choices)


class ReviewForm(forms.Form):
    """The eight review points from the profile: a grade each, a score each for key projects, comments."""

    comment = forms.CharField(label="审核意见", required=False, max_length=TEXT_MAX,
                              widget=forms.Textarea(attrs={"rows": 4}))
    is_key = forms.BooleanField(label="按重点项目审核（定性+定量打分）", required=False)
    lock_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, points=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.points = list(points)
        for p in self.points:
            self.fields[f"grade_{p.code}"] = forms.ChoiceField(label=p.name, required=False, choices=GRADE_CHOICES)
            self.fields[f"score_{p.code}"] = forms.DecimalField(
                label=f"{p.name}得分", required=False, min_value=0, max_value=p.weight, max_digits=6,
                decimal_places=4, widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 5}))
            self.fields[f"note_{p.code}"] = forms.CharField(label=f"{p.name}意见", required=False, max_length=2000)

    def clean(self):
        data = super().clean()
        missing = [p.name for p in self.points if not data.get(f"grade_{p.code}")]
        if missing:
            raise forms.ValidationError("请为每项审核内容评定等级，尚未评定：" + "、".join(missing))
        if data.get("is_key"):
            unscored = [p.name for p in self.points if data.get(f"score_{p.code}") is None
                        and not self.has_error(f"score_{p.code}")]
            if unscored:
                raise forms.ValidationError("重点项目须为每项审核内容打分，尚未打分：" + "、".join(unscored))
        return data

    def rows(self):
        """(point, grade field, score field, comment field) for the template."""
        return [(p, self[f"grade_{p.code}"], self[f"score_{p.code}"], self[f"note_{p.code}"]) for p in self.points]

    def service_args(self) -> dict:
        cd = self.cleaned_data
        key = bool(cd.get("is_key"))
        scores: dict[str, Decimal] | None = None
        if key:
            scores = {p.code: cd[f"score_{p.code}"] for p in self.points if cd.get(f"score_{p.code}") is not None}
        return {
            "point_grades": {p.code: cd[f"grade_{p.code}"] for p in self.points},
            "point_scores": scores,
            "point_comments": {p.code: cd[f"note_{p.code}"].strip() for p in self.points
                               if (cd.get(f"note_{p.code}") or "").strip()},
            "comment": (cd.get("comment") or "").strip(),
            "is_key": key,
            "expected_lock_version": cd.get("lock_version"),
        }


class AdjustForm(forms.Form):
    budget_adjustment_ref = forms.CharField(label="关联预算调整（调剂）文号", max_length=100,
                                            error_messages={"required": "请填写关联的预算调整（调剂）文号"})
    reason = forms.CharField(label="调整理由", max_length=2000, widget=forms.Textarea(attrs={"rows": 4}),
                             error_messages={"required": "请填写调整理由"})
    lock_version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class UploadForm(forms.Form):
    file = forms.FileField(label="绩效目标表（Excel）", error_messages={"required": "请选择要上传的文件"})
    lock_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean_file(self):
        f = self.cleaned_data["file"]
        name = (f.name or "").lower()
        if not name.endswith((".xlsx", ".xlsm", ".xls")):
            raise forms.ValidationError("请上传 Excel 文件（.xlsx 或 .xls）")
        from django.conf import settings

        if f.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(f"文件过大（不超过 {settings.IMPORT_MAX_BYTES // 1024 // 1024} MB）")
        return f


class CheckUploadForm(forms.Form):
    """The dry run: a sheet, and whose rules to apply (the actor's region in a year, or a named preset)."""

    file = forms.FileField(label="绩效目标表（Excel 或 CSV）", error_messages={"required": "请选择要检查的文件"})
    year = forms.IntegerField(label="按哪一年度的政策配置", required=False, min_value=2000, max_value=2100)
    preset = forms.ChoiceField(label="或按预设规则", required=False)

    def __init__(self, *args, presets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["preset"].choices = [("", "本地区政策配置")] + list(presets)

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not (f.name or "").lower().endswith((".xlsx", ".xlsm", ".xls", ".csv")):
            raise forms.ValidationError("请上传 Excel 或 CSV 文件（.xlsx、.xls 或 .csv）")
        from django.conf import settings

        if f.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(f"文件过大（不超过 {settings.IMPORT_MAX_BYTES // 1024 // 1024} MB）")
        return f


class DepartmentExportForm(forms.Form):
    year = forms.IntegerField(label="预算年度", required=False, min_value=2000, max_value=2100)
    department = forms.IntegerField(label="主管部门", min_value=1, error_messages={"required": "请选择主管部门"})
