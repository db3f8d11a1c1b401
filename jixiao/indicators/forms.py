"""Forms of the library screens. They only shape input; the rules live in `rules.clean_indicator` and the services,
whose ValidationError messages are put back on the form fields (`apply_errors`)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from jixiao.indicators.defaults import level2_choices
from jixiao.indicators.models import Comparator, Direction, IndicatorStatus, Level1, ValueBasis
from jixiao.indicators.selectors import STATUS_ALL, LibraryFilters

BLANK = [("", "全部")]
NO_SECTOR = 0  # the filter value for indicators without a sector (the common ones)
GOAL_FIRST = [Level1.OUTPUT, Level1.BENEFIT, Level1.SATISFACTION, Level1.COST, Level1.DECISION, Level1.PROCESS,
              Level1.INPUT, Level1.EFFECT]


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def level2_grouped() -> list:
    return [(Level1(value).label, [(n, n) for n in level2_choices(value)]) for value in GOAL_FIRST
            if level2_choices(value)]


def sector_choices(tree) -> list:
    return [(s.pk, f"{s.code} {s.name}") for s in tree]


def domain_grouped(tree) -> list:
    return [(s.name, [(d.pk, f"{d.code} {d.name}") for d in s.domains.all()]) for s in tree]


class FilterForm(forms.Form):
    q = forms.CharField(label="关键词", required=False, max_length=100,
                        widget=forms.TextInput(attrs={"placeholder": "指标名称、解释或编码，如：资助学生",
                                                      "type": "search", "autofocus": True}))
    sector = forms.TypedChoiceField(label="行业", required=False, coerce=int, empty_value=None)
    domain = forms.TypedChoiceField(label="领域", required=False, coerce=int, empty_value=None)
    level1 = forms.ChoiceField(label="一级指标", required=False, choices=BLANK + list(Level1.choices))
    level2 = forms.ChoiceField(label="二级指标", required=False)
    common = forms.ChoiceField(label="共性/个性", required=False,
                               choices=BLANK + [("1", "共性指标"), ("0", "个性指标")])
    status = forms.ChoiceField(label="状态", required=False, choices=[
        (IndicatorStatus.ACTIVE, "启用"), (IndicatorStatus.DRAFT, "待审核"), (IndicatorStatus.RETIRED, "停用"),
        (STATUS_ALL, "全部")])
    sort = forms.ChoiceField(label="排序", required=False,
                             choices=[("", "相关度/编码"), ("usage", "使用次数"), ("code", "编码"), ("name", "名称")])

    def __init__(self, *args, sectors=(), curator=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].choices = BLANK + [(NO_SECTOR, "通用(未分行业)")] + sector_choices(sectors)
        self.fields["domain"].choices = BLANK + domain_grouped(sectors)
        self.fields["level2"].choices = BLANK + level2_grouped()
        if not curator:
            del self.fields["status"]

    def filters(self) -> LibraryFilters:
        data = {}
        if self.is_bound:
            self.is_valid()  # cleaned_data then holds the valid fields: a bad value drops that filter only
            data = self.cleaned_data
        common = data.get("common")
        return LibraryFilters(
            q=(data.get("q") or "").strip(), sector_id=data.get("sector"), domain_id=data.get("domain"),
            level1=data.get("level1") or None, level2=data.get("level2") or None,
            is_common=None if common in (None, "") else common == "1",
            status=data.get("status") or IndicatorStatus.ACTIVE, sort=data.get("sort") or "",
        )


class IndicatorForm(forms.Form):
    """Create, edit and propose. Field names are the definition keys of the services (sector/domain → *_id)."""

    code = forms.CharField(label="指标编码", required=False, max_length=40, help_text="新增时可留空，系统自动编码")
    name = forms.CharField(label="三级指标(指标名称)", max_length=200)
    sector = forms.TypedChoiceField(label="行业", required=False, coerce=int, empty_value=None)
    domain = forms.TypedChoiceField(label="领域", required=False, coerce=int, empty_value=None)
    level1 = forms.ChoiceField(label="一级指标", choices=[(v, Level1(v).label) for v in GOAL_FIRST],
                               initial=Level1.OUTPUT)
    level2 = forms.ChoiceField(label="二级指标")
    explanation = forms.CharField(label="指标解释", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    unit = forms.CharField(label="计量单位", required=False, max_length=40,
                           help_text="计算符号为定性或定量(其他)时可不填")
    comparator = forms.ChoiceField(label="计算符号", choices=Comparator.choices)
    direction = forms.ChoiceField(label="指标方向", required=False,
                                  choices=[("", "按计算符号自动确定")] + list(Direction.choices))
    value_basis = forms.ChoiceField(label="指标值设定依据", required=False,
                                    choices=[("", "—")] + list(ValueBasis.choices))
    formula = forms.CharField(label="计算公式", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    data_source = forms.CharField(label="数据来源", required=False, max_length=200)
    evidence_type = forms.CharField(label="佐证材料", required=False, max_length=200)
    scoring_rule = forms.CharField(label="评(扣)分标准", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reference_value = forms.CharField(label="参考值", required=False, max_length=200)
    is_common = forms.BooleanField(label="共性指标", required=False)
    source_document = forms.CharField(label="出处", required=False, max_length=400)
    region = forms.ChoiceField(label="所属指标库", required=False)
    comment = forms.CharField(label="修改说明", required=False, max_length=200)
    lock_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    FIELD_MAP = {"sector_id": "sector", "domain_id": "domain", "is_quantitative": "comparator"}

    def __init__(self, *args, sectors=(), region_choices=None, mode="create", **kwargs):
        super().__init__(*args, **kwargs)
        self.mode = mode
        self.fields["sector"].choices = [("", "—（不分行业）")] + sector_choices(sectors)
        self.fields["domain"].choices = [("", "—")] + domain_grouped(sectors)
        self.fields["level2"].choices = level2_grouped()
        if region_choices and mode == "create" and len(region_choices) > 1:
            self.fields["region"].choices = region_choices
        else:
            del self.fields["region"]
        if mode == "propose":
            del self.fields["is_common"]
            del self.fields["code"]
            self.fields["comment"].label = "提议理由"
        if mode == "edit":
            self.fields["code"].help_text = ""
        if mode != "edit":
            del self.fields["lock_version"]

    def definition(self) -> dict:
        d = dict(self.cleaned_data)
        for key in ("comment", "lock_version", "region"):
            d.pop(key, None)
        d["sector_id"] = d.pop("sector", None)
        d["domain_id"] = d.pop("domain", None)
        if not d.get("direction"):
            d["direction"] = None
        if self.mode == "edit" and not d.get("code"):
            d.pop("code", None)
        return d

    def region_id(self):
        value = self.cleaned_data.get("region") if "region" in self.fields else None
        return _int_or_none(value)

    def apply_errors(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for key, errors in exc.message_dict.items():
                name = self.FIELD_MAP.get(key, key)
                for msg in errors:
                    self.add_error(name if name in self.fields else None, msg)
        else:
            for msg in exc.messages:
                self.add_error(None, msg)


def initial_from(indicator) -> dict:
    return {
        "code": indicator.code, "name": indicator.name, "sector": indicator.sector_id, "domain": indicator.domain_id,
        "level1": indicator.level1, "level2": indicator.level2, "explanation": indicator.explanation,
        "unit": indicator.unit, "comparator": indicator.comparator, "direction": indicator.direction,
        "value_basis": indicator.value_basis, "formula": indicator.formula, "data_source": indicator.data_source,
        "evidence_type": indicator.evidence_type, "scoring_rule": indicator.scoring_rule,
        "reference_value": indicator.reference_value, "is_common": indicator.is_common,
        "source_document": indicator.source_document, "lock_version": indicator.lock_version,
    }


class StatusForm(forms.Form):
    comment = forms.CharField(label="意见", required=False, max_length=500)
    lock_version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ImportForm(forms.Form):
    file = forms.FileField(label="指标库文件(.xlsx/.xls/.csv)")
    region = forms.ChoiceField(label="导入到", required=False)

    def __init__(self, *args, region_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if region_choices and len(region_choices) > 1:
            self.fields["region"].choices = region_choices
        else:
            del self.fields["region"]

    def region_id(self):
        return _int_or_none(self.cleaned_data.get("region")) if "region" in self.fields else None


class SectorForm(forms.Form):
    code = forms.CharField(label="编码", max_length=20)
    name = forms.CharField(label="名称", max_length=60)
    parent = forms.TypedChoiceField(label="所属行业", required=False, coerce=int, empty_value=None)

    def __init__(self, *args, sectors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", "—（新建行业）")] + sector_choices(sectors)
