"""Forms of the ex-ante assessment. The same forms read the screens' POSTs and the list's query string; the API
validates its JSON with its own schemas and calls the same services."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.forms import formset_factory

from jixiao.budget.forms import DATE_WIDGET
from jixiao.core.money import MoneyFormField
from jixiao.costs.models import CostCategory
from jixiao.exante.models import AssessmentAttachment, Requirement
from jixiao.exante.workflows import AssessmentState
from jixiao.policy.schema import Conclusion, ExemptionKind

ALL = [("", "全部")]


class AssessmentFilterForm(forms.Form):
    year = forms.IntegerField(label="预算年度", required=False, min_value=2000, max_value=2100)
    department = forms.IntegerField(label="主管部门", required=False, min_value=1)
    state = forms.ChoiceField(label="状态", required=False, choices=ALL + list(AssessmentState.choices))
    requirement = forms.ChoiceField(label="评估要求", required=False, choices=ALL + list(Requirement.choices))
    exemption = forms.ChoiceField(label="免评", required=False,
                                  choices=ALL + [("yes", "免评申请"), ("no", "评估")])
    overdue = forms.ChoiceField(label="逾期", required=False, choices=ALL + [("yes", "有逾期")])
    q = forms.CharField(label="项目编码或名称", required=False, max_length=100)

    def filters(self) -> dict:
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class YearForm(forms.Form):
    year = forms.IntegerField(label="预算年度", required=False, min_value=2000, max_value=2100)


class AssessmentCreateForm(forms.Form):
    subject = forms.ModelChoiceField(label="项目", queryset=None, empty_label="请选择项目")
    exemption_kind = forms.ChoiceField(label="申请免于评估", required=False,
                                       choices=[("", "否（开展事前评估）")] + list(ExemptionKind.choices),
                                       help_text="涉密、突发紧急或上级明确要求配套的，可申请免评，须说明理由并上传依据")
    exemption_reason = forms.CharField(label="免评理由", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    requested_amount = MoneyFormField(label="申请金额(元)", required=False, help_text="不填则为项目年度预算金额")

    def __init__(self, *args, subjects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = subjects
        self.fields["subject"].label_from_instance = lambda s: f"{s.code} {s.name}（{s.fiscal_year.year}年）"


DIMENSION_TEXT_ROWS = 5


class AssessmentForm(forms.Form):
    """The assessment's own fields plus a text and a score field per dimension (text_<code>, score_<code>)."""

    lock_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    requested_amount = MoneyFormField(label="申请金额(元)")
    method = forms.CharField(label="评估方式和方法", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    process = forms.CharField(label="评估程序", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    materials_requested_on = forms.DateField(label="要求补充材料日期", required=False, widget=DATE_WIDGET())
    materials_received_on = forms.DateField(label="补充材料收到日期", required=False, widget=DATE_WIDGET())
    expert_meeting_date = forms.DateField(label="专家评估会日期", required=False, widget=DATE_WIDGET())
    expert_opinion = forms.CharField(label="专家组意见", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    output_name = forms.CharField(label="计划产出", max_length=100, required=False, help_text="如“维修校舍面积”")
    output_quantity = forms.DecimalField(label="计划产出数量", required=False, max_digits=16, decimal_places=2,
                                         min_value=0)
    output_unit = forms.CharField(label="产出计量单位", max_length=20, required=False)
    output_standard = forms.ModelChoiceField(label="单位产出适用支出标准", queryset=None, required=False,
                                             empty_label="（无）")
    conclusion = forms.ChoiceField(label="总体结论", required=False)
    supported_parts = forms.CharField(label="支持的部分", required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                      help_text="结论为“建议部分支持”时必填")
    unsupported_parts = forms.CharField(label="不予支持的部分", required=False,
                                        widget=forms.Textarea(attrs={"rows": 2}))
    suggestions = forms.CharField(label="相关建议", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    other_issues = forms.CharField(label="其他需要说明的问题", required=False,
                                   widget=forms.Textarea(attrs={"rows": 3}))
    review_amount_note = forms.CharField(label="预算超出评审结果的说明", required=False,
                                         widget=forms.Textarea(attrs={"rows": 2}))
    exemption_kind = forms.ChoiceField(label="免评情形", required=False,
                                       choices=[("", "（不申请免评）")] + list(ExemptionKind.choices))
    exemption_reason = forms.CharField(label="免评理由", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, dimensions, conclusions, standards, **kwargs):
        super().__init__(*args, **kwargs)
        self.dimension_rows = list(dimensions)
        self.fields["conclusion"].choices = [("", "（尚未形成）")] + [
            (c, Conclusion(c).label) for c in conclusions]
        self.fields["output_standard"].queryset = standards
        self.fields["output_standard"].label_from_instance = (
            lambda s: f"{s.name}（{s.amount.format_yuan()}元/{s.output_unit}）")
        for d in self.dimension_rows:
            self.fields[f"text_{d.code}"] = forms.CharField(
                label=f"{d.name}：评估内容", required=False,
                widget=forms.Textarea(attrs={"rows": DIMENSION_TEXT_ROWS}))
            self.fields[f"score_{d.code}"] = forms.DecimalField(
                label=f"{d.name}：得分（分值{d.weight.normalize():f}）", required=False, max_digits=6,
                decimal_places=2, min_value=0)

    GROUPS = {
        "exemption": ("exemption_kind", "exemption_reason"),
        "basics": ("requested_amount", "method", "process", "materials_requested_on", "materials_received_on",
                   "expert_meeting_date", "expert_opinion"),
        "conclusion": ("conclusion", "supported_parts", "unsupported_parts", "suggestions", "other_issues",
                       "review_amount_note"),
        "output": ("output_name", "output_quantity", "output_unit", "output_standard"),
    }

    def groups(self) -> dict:
        return {key: [self[name] for name in names] for key, names in self.GROUPS.items()}

    def dimension_fields(self):
        return [(d, self[f"text_{d.code}"], self[f"score_{d.code}"]) for d in self.dimension_rows]

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith(("text_", "score_"))}
        data.pop("lock_version", None)
        data["dimensions"] = {d.code: {"text": self.cleaned_data.get(f"text_{d.code}", ""),
                                       "score": self.cleaned_data.get(f"score_{d.code}")}
                              for d in self.dimension_rows}
        return data


def assessment_initial(a, dimensions) -> dict:
    data = {name: getattr(a, name) for name in (
        "method", "process", "materials_requested_on", "materials_received_on", "expert_meeting_date",
        "expert_opinion", "output_name", "output_quantity", "output_unit", "conclusion", "supported_parts",
        "unsupported_parts", "suggestions", "other_issues", "review_amount_note", "exemption_kind",
        "exemption_reason", "lock_version")}
    data["requested_amount"] = str(a.requested_amount.yuan)
    data["output_standard"] = a.output_standard_id
    for d in dimensions:
        data[f"text_{d.code}"] = d.text
        data[f"score_{d.code}"] = d.score
    return data


class CostItemForm(forms.Form):
    category = forms.ChoiceField(label="成本类别", required=False, choices=[("", "—")] + list(CostCategory.choices))
    name = forms.CharField(label="成本项目", max_length=100, required=False)
    quantity = forms.DecimalField(label="数量", required=False, max_digits=16, decimal_places=2)
    unit = forms.CharField(label="单位", max_length=20, required=False)
    unit_cost = MoneyFormField(label="单价(元)", required=False)
    standard = forms.ModelChoiceField(label="支出标准", queryset=None, required=False, empty_label="（无）")
    note = forms.CharField(label="测算依据", max_length=300, required=False)

    def __init__(self, *args, standards=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["standard"].queryset = standards
        self.fields["standard"].label_from_instance = (
            lambda s: f"{s.name}（{s.amount.format_yuan()}元/{s.output_unit}）")

    def is_blank(self) -> bool:
        d = getattr(self, "cleaned_data", {}) or {}
        return not any(d.get(k) not in (None, "") for k in ("category", "name", "quantity", "unit_cost"))


CostItemFormSet = formset_factory(CostItemForm, extra=3, max_num=200, validate_max=True)


def cost_items_initial(items) -> list[dict]:
    return [{"category": c.category, "name": c.name, "quantity": c.quantity, "unit": c.unit,
             "unit_cost": str(c.unit_cost.yuan), "standard": c.standard_id, "note": c.note} for c in items]


def cost_items_data(formset) -> list[dict]:
    """The non-blank rows of a valid formset, as the service takes them (blank rows are dropped)."""
    out = []
    for form in formset.forms:
        if form.is_blank():
            continue
        d = form.cleaned_data
        out.append({"category": d.get("category") or "", "name": d.get("name") or "",
                    "quantity": d.get("quantity"), "unit": d.get("unit") or "", "unit_cost": d.get("unit_cost"),
                    "standard": d.get("standard"), "note": d.get("note") or ""})
    return out


class ExpertScoreForm(forms.Form):
    opinion = forms.CharField(label="评审意见", required=False, widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, dimensions, **kwargs):
        super().__init__(*args, **kwargs)
        self.dimension_rows = list(dimensions)
        for d in self.dimension_rows:
            self.fields[f"score_{d.code}"] = forms.DecimalField(
                label=f"{d.name}（分值{d.weight.normalize():f}）", required=False, max_digits=6, decimal_places=2,
                min_value=0)

    def scores(self) -> dict[str, Decimal | None]:
        return {d.code: self.cleaned_data.get(f"score_{d.code}") for d in self.dimension_rows}


def expert_initial(row) -> dict:
    if row is None:
        return {}
    data = {"opinion": row.opinion}
    for code, value in (row.scores or {}).items():
        data[f"score_{code}"] = value
    return data


class AttachmentForm(forms.Form):
    file = forms.FileField(label="文件")
    purpose = forms.ChoiceField(label="用途", choices=AssessmentAttachment.Purpose.choices)
    dimension_code = forms.ChoiceField(label="所属维度", required=False)

    def __init__(self, *args, dimensions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dimension_code"].choices = [("", "（不限）")] + [(d.code, d.name) for d in dimensions]


class OpinionForm(forms.Form):
    """The transition box: comment, and for the finance bureau the approved amount and the parts."""

    transition = forms.CharField(max_length=40)
    lock_version = forms.IntegerField(required=False)
    comment = forms.CharField(required=False, max_length=2000)
    approved_amount = MoneyFormField(label="核定金额(元)", required=False)
    supported_parts = forms.CharField(required=False, max_length=2000)
    unsupported_parts = forms.CharField(required=False, max_length=2000)
