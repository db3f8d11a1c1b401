"""Forms of the spending standards (the same forms read the screens' POSTs and the list's query string)."""

from __future__ import annotations

from django import forms

from jixiao.core.money import MoneyFormField
from jixiao.costs.models import CostCategory

ALL = [("", "全部")]


class StandardFilterForm(forms.Form):
    region = forms.CharField(label="区划", required=False, max_length=20)
    year = forms.IntegerField(label="适用年度", required=False, min_value=2000, max_value=2100)
    category = forms.ChoiceField(label="成本类别", required=False, choices=ALL + list(CostCategory.choices))
    active = forms.ChoiceField(label="状态", required=False,
                               choices=[("yes", "启用"), ("no", "停用"), ("all", "全部")])
    q = forms.CharField(label="编码、名称或关键词", required=False, max_length=100)

    def clean_region(self):
        value = (self.cleaned_data.get("region") or "").strip()
        if value in ("", "national"):
            return value
        if not value.isdigit():
            raise forms.ValidationError("区划无效")
        return int(value)

    def filters(self) -> dict:
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class StandardForm(forms.Form):
    code = forms.CharField(label="标准编码", max_length=40)
    name = forms.CharField(label="标准名称", max_length=200, help_text="如“中小学校舍维修每平方米”")
    output_unit = forms.CharField(label="计量单位", max_length=20, help_text="每单位产出，如“平方米”“人·年”")
    amount = MoneyFormField(label="标准金额(元/单位)")
    category = forms.ChoiceField(label="成本类别", required=False,
                                 choices=[("", "（不限）")] + list(CostCategory.choices))
    sector = forms.CharField(label="所属行业", max_length=50, required=False)
    keywords = forms.CharField(label="匹配关键词", max_length=200, required=False,
                               help_text="以逗号分隔；成本项目或指标名称含任一关键词时按本标准比较")
    valid_from = forms.IntegerField(label="起始年度", min_value=2000, max_value=2100)
    valid_to = forms.IntegerField(label="截止年度", min_value=2000, max_value=2100, required=False)
    source = forms.CharField(label="依据文件", max_length=200, required=False)


class StandardCreateForm(StandardForm):
    region = forms.TypedChoiceField(label="区划", coerce=int)

    field_order = ["region"]

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(r.pk, r.name) for r in regions]
        if len(regions) == 1:
            self.fields["region"].initial = regions[0].pk


def standard_initial(standard) -> dict:
    return {
        "code": standard.code, "name": standard.name, "output_unit": standard.output_unit,
        "amount": str(standard.amount.yuan), "category": standard.category, "sector": standard.sector,
        "keywords": standard.keywords, "valid_from": standard.valid_from, "valid_to": standard.valid_to,
        "source": standard.source,
    }
