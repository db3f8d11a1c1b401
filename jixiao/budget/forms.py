"""Forms of the project library. The same forms parse the screens' POSTs, the API's JSON and the list's query
string, so a value is read (and refused, in Chinese) the same way everywhere."""

from __future__ import annotations

from django import forms
from django.conf import settings

from jixiao.budget.models import BudgetKind, FiscalYear, ProjectCategory, ScopeKind, SpecialCategory, SubjectKind
from jixiao.budget.rules import CODE_MAX_LENGTH, NAME_MAX_LENGTH
from jixiao.budget.workflows import SubjectState
from jixiao.core.money import MoneyFormField

ALL = [("", "全部")]


AmountField = MoneyFormField  # core's field checks the raw text's length, not the parsed Money


# Sort keys accepted from a query string (a leading "-" sorts descending). See selectors.SORTS.
SORT_CHOICES = [
    ("code", "项目编码"), ("name", "项目名称"), ("amount", "年度预算"), ("department", "主管部门"),
    ("state", "状态"), ("updated", "更新时间"),
]
PAGE_SIZES = (20, 50, 100)


class DateWidget(forms.DateInput):
    """<input type="date"> needs ISO dates; the zh-hans locale would render 2026/01/01, which browsers drop."""

    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


DATE_WIDGET = DateWidget


class SubjectFilterForm(forms.Form):
    """The project library's filters. Invalid values are reported and ignored, never a server error."""

    year = forms.IntegerField(label="预算年度", required=False, min_value=2000, max_value=2100)
    budget_kind = forms.ChoiceField(label="预算类别", required=False, choices=ALL + list(BudgetKind.choices))
    kind = forms.ChoiceField(label="类型", required=False, choices=ALL + list(SubjectKind.choices))
    department = forms.IntegerField(label="主管部门", required=False, min_value=1)
    unit = forms.IntegerField(label="预算单位", required=False, min_value=1)
    special_category = forms.ChoiceField(
        label="特殊类别", required=False,
        choices=ALL + [("none", "无")] + [c for c in SpecialCategory.choices if c[0]])
    state = forms.ChoiceField(label="状态", required=False, choices=ALL + list(SubjectState.choices))
    classified = forms.ChoiceField(label="涉密", required=False,
                                   choices=ALL + [("yes", "涉密/敏感"), ("no", "非涉密")])
    amount_min = AmountField(label="年度预算不低于(元)", required=False)
    amount_max = AmountField(label="年度预算不高于(元)", required=False)
    q = forms.CharField(label="编码或名称", required=False, max_length=100)
    sort = forms.ChoiceField(label="排序", required=False,
                             choices=ALL + SORT_CHOICES + [(f"-{k}", f"{v}(降序)") for k, v in SORT_CHOICES])
    page_size = forms.TypedChoiceField(label="每页", required=False, coerce=int, empty_value=None,
                                       choices=[(str(n), str(n)) for n in PAGE_SIZES])

    def clean(self):
        data = super().clean()
        low, high = data.get("amount_min"), data.get("amount_max")
        if low is not None and low.fen < 0:
            self.add_error("amount_min", "金额不能为负数")
        if high is not None and high.fen < 0:
            self.add_error("amount_max", "金额不能为负数")
        if low is not None and high is not None and low.fen >= 0 and high.fen >= 0 and low > high:
            self.add_error("amount_max", "最高金额不能小于最低金额")
        return data

    def filters(self) -> dict:
        """The valid filters (invalid ones dropped), after is_valid() has run."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class SubjectForm(forms.Form):
    """Create or edit a subject. Department and unit choices are limited to what the actor may write."""

    fiscal_year = forms.IntegerField(label="预算年度", min_value=2000, max_value=2100)
    code = forms.CharField(label="项目编码", max_length=CODE_MAX_LENGTH,
                           help_text="预算管理一体化系统中的项目编码，按文本保存")
    name = forms.CharField(label="项目名称", max_length=NAME_MAX_LENGTH)
    kind = forms.ChoiceField(label="类型", choices=SubjectKind.choices, initial=SubjectKind.PROJECT)
    project_category = forms.ChoiceField(label="项目类别", choices=ProjectCategory.choices, required=False)
    budget_kind = forms.ChoiceField(label="预算类别", choices=BudgetKind.choices, initial=BudgetKind.GENERAL_PUBLIC)
    special_category = forms.ChoiceField(label="特殊类别", choices=SpecialCategory.choices, required=False)
    department = forms.ModelChoiceField(label="主管部门", queryset=None, empty_label="请选择")
    unit = forms.ModelChoiceField(label="预算单位", queryset=None, required=False, empty_label="（部门本级）")
    is_new = forms.BooleanField(label="新增项目", required=False, initial=True, help_text="不勾选表示延续项目")
    start_date = forms.DateField(label="开始日期", required=False, widget=DATE_WIDGET())
    end_date = forms.DateField(label="结束日期", required=False, widget=DATE_WIDGET())
    functional_class = forms.CharField(label="功能分类科目编码", max_length=20, required=False)
    functional_class_name = forms.CharField(label="功能分类科目名称", max_length=100, required=False)
    sector = forms.CharField(label="所属行业", max_length=50, required=False)
    description = forms.CharField(label="项目概况", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    annual_amount = AmountField(label="年度预算金额(元)")
    total_amount = AmountField(label="项目总金额(元)", required=False, help_text="不填或填0则等于年度预算金额")
    adjusted_amount = AmountField(label="调整后预算(元)", required=False)
    is_classified = forms.BooleanField(label="涉密/敏感", required=False,
                                       help_text="涉密或敏感项目不公开、不导出给外部人员，须向财政部门备案")
    classified_reason = forms.CharField(label="涉密备案原因", max_length=300, required=False)
    classified_filed_at = forms.DateField(label="备案日期", required=False,
                                          widget=DATE_WIDGET())
    is_research = forms.BooleanField(label="科研类项目", required=False)
    scope_kind = forms.ChoiceField(label="立项性质", choices=ScopeKind.choices, initial=ScopeKind.NEW, required=False,
                                   help_text="新出台、重大调整或到期延续的政策和项目须按门槛开展事前绩效评估")
    government_investment = AmountField(label="政府投资项目总投资(元)", required=False,
                                        help_text="政府投资项目填写，用于判断是否须开展事前评估")

    def __init__(self, *args, departments, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        self.fields["unit"].queryset = units
        years = list(FiscalYear.objects.values_list("year", flat=True))
        self.fields["fiscal_year"].widget = forms.Select(choices=[(y, f"{y}年") for y in years])

    def clean_fiscal_year(self):
        year = self.cleaned_data["fiscal_year"]
        fy = FiscalYear.objects.filter(year=year).first()
        if fy is None:
            raise forms.ValidationError(f"预算年度{year}年尚未设立")
        return fy

    def clean_code(self):
        return self.cleaned_data["code"].strip()

    def service_data(self) -> dict:
        return dict(self.cleaned_data)


class SubjectEditForm(SubjectForm):
    lock_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def subject_initial(subject) -> dict:
    """A subject's values as form data (for the edit page and for merging an API PATCH)."""
    def money(m):
        return None if m is None else str(m.yuan)

    return {
        "fiscal_year": subject.fiscal_year.year, "code": subject.code, "name": subject.name, "kind": subject.kind,
        "project_category": subject.project_category, "budget_kind": subject.budget_kind,
        "special_category": subject.special_category, "department": subject.department_id,
        "unit": subject.unit_id, "is_new": subject.is_new, "start_date": subject.start_date,
        "end_date": subject.end_date, "functional_class": subject.functional_class,
        "functional_class_name": subject.functional_class_name, "sector": subject.sector,
        "description": subject.description, "annual_amount": money(subject.annual_amount),
        "total_amount": money(subject.total_amount), "adjusted_amount": money(subject.adjusted_amount),
        "is_classified": subject.is_classified, "classified_reason": subject.classified_reason,
        "classified_filed_at": subject.classified_filed_at, "is_research": subject.is_research,
        "scope_kind": subject.scope_kind, "government_investment": money(subject.government_investment),
        "lock_version": subject.lock_version,
    }


IMPORT_KINDS = [("subjects", "项目及预算指标"), ("execution", "月度执行数据")]


class ImportForm(forms.Form):
    file = forms.FileField(label="导入文件", help_text="支持 .xlsx、.xls、.csv（UTF-8 或 GBK 编码）")
    region = forms.TypedChoiceField(label="区划", coerce=int)
    year = forms.IntegerField(label="默认预算年度", required=False, min_value=2000, max_value=2100,
                              help_text="文件中没有“预算年度”列时使用")

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(r.pk, r.name) for r in regions]
        if len(regions) == 1:
            self.fields["region"].initial = regions[0].pk

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"文件过大（{upload.size / 1024 / 1024:.1f}MB），上限为{limit // 1024 // 1024}MB")
        name = upload.name.lower()
        if not name.endswith((".xlsx", ".xls", ".csv")):
            raise forms.ValidationError("只支持 .xlsx、.xls、.csv 文件")
        return upload
