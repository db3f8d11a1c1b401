from django import forms
from django.conf import settings


class TrialUploadForm(forms.Form):
    """Trial scoring: a workbook of self-evaluation tables, and whose rules to apply."""

    file = forms.FileField(label="自评表（Excel 或 CSV，可含多张表）",
                           error_messages={"required": "请选择要试算的文件"})
    year = forms.IntegerField(label="按哪一年度的政策配置", required=False, min_value=2000, max_value=2100,
                              error_messages={"min_value": "年度应在2000至2100之间",
                                              "max_value": "年度应在2000至2100之间", "invalid": "年度应为整数"})
    preset = forms.ChoiceField(label="或按预设规则", required=False)

    def __init__(self, *args, presets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["preset"].choices = [("", "本地区政策配置")] + list(presets)

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not (f.name or "").lower().endswith((".xlsx", ".xlsm", ".xls", ".csv")):
            raise forms.ValidationError("请上传 Excel 或 CSV 文件（.xlsx、.xls 或 .csv）")
        if f.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(f"文件过大（不超过 {settings.IMPORT_MAX_BYTES // 1024 // 1024} MB）")
        return f
