"""Forms of the policy screens: the generated parameter form, and the small forms around it."""

from __future__ import annotations

from django import forms

from jixiao.policy.presets import preset_choices
from jixiao.policy.rules import ParamsInvalid, validate_params
from jixiao.policy.schema import STAGES, PolicyParams
from jixiao.policy.widgets import FormRenderer, parse_post


class ParamsForm:
    """The whole parameter set as one form, generated from the schema. Invalid input is re-shown as typed, with a
    Chinese message next to each offending field; nothing is saved until every field is valid."""

    def __init__(self, *, initial: dict | None = None, data=None):
        self.is_bound = data is not None
        self.values = parse_post(data) if data is not None else (initial or PolicyParams().to_json())
        self.cleaned: PolicyParams | None = None
        self.param_errors = []

    def is_valid(self) -> bool:
        try:
            self.cleaned = validate_params(self.values)
        except ParamsInvalid as exc:
            self.param_errors = exc.param_errors
            return False
        return True

    def render(self):
        """(sections as (name, title, html), errors not shown next to any field)."""
        errors: dict[str, list[str]] = {}
        for e in self.param_errors:
            errors.setdefault(e.path, []).append(e.message)
        renderer = FormRenderer(self.values, errors)
        sections = [(name, title, renderer.section(name)) for name, title in STAGES]
        return sections, renderer.unplaced_errors()


class SaveForm(forms.Form):
    comment = forms.CharField(label="修改说明", max_length=500, widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
                              error_messages={"required": "请填写修改说明"})
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)


class PresetForm(forms.Form):
    preset = forms.ChoiceField(label="预设", choices=preset_choices)
    comment = forms.CharField(label="说明", max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 2, "cols": 80}))
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)
