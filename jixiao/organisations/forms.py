"""Forms of the organisation and user screens. They only parse input; the services validate and write, and their
ValidationErrors come back onto the fields with `apply_errors`."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from jixiao.core.permissions import Action, Actor
from jixiao.organisations import selectors
from jixiao.organisations.models import Region, Role
from jixiao.organisations.policy import manage_breadth


def apply_errors(form: forms.Form, exc: ValidationError, mapping: dict[str, str] | None = None) -> None:
    """Put a service's ValidationError onto the form's fields (unknown fields become form-level errors)."""
    mapping = mapping or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, messages in exc.message_dict.items():
        name = mapping.get(key, key)
        if name == NON_FIELD_ERRORS or name not in form.fields:
            form.add_error(None, [m for m in messages])
        else:
            form.add_error(name, messages)


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return f"{obj.code} {obj.name}"


def _region_field(queryset, label="区划", required=True) -> RegionChoiceField:
    return RegionChoiceField(label=label, queryset=queryset, required=required, empty_label="请选择",
                             error_messages={"invalid_choice": "请从列表中选择区划", "required": "请选择区划"})


class RegionForm(forms.Form):
    code = forms.CharField(label="区划代码", max_length=12, help_text="6位县级及以上区划代码，乡镇为9或12位")
    name = forms.CharField(label="区划名称", max_length=100)
    level = forms.TypedChoiceField(label="层级", choices=Region.Level.choices, coerce=int)
    bureau_name = forms.CharField(label="财政部门名称", max_length=100, required=False,
                                  help_text="如：通辽市财政局；留空按区划名称生成")


class RegionMoveForm(forms.Form):
    def __init__(self, *args, actor: Actor, region: Region, **kwargs):
        super().__init__(*args, **kwargs)
        choices = selectors.regions_for_manage(actor).exclude(path__startswith=region.path)
        self.fields["parent"] = _region_field(choices, label="新的上级区划")


class DepartmentForm(forms.Form):
    code = forms.CharField(label="部门编码", max_length=30)
    name = forms.CharField(label="部门名称", max_length=100)
    sector = forms.CharField(label="所属行业", max_length=50, required=False)
    is_classified = forms.BooleanField(label="涉密部门", required=False,
                                       help_text="涉密部门及其单位不向第三方机构、专家和监督部门展示")


class UnitForm(forms.Form):
    code = forms.CharField(label="单位编码", max_length=30)
    name = forms.CharField(label="单位名称", max_length=100)


class UnitMoveForm(forms.Form):
    def __init__(self, *args, actor: Actor, unit, **kwargs):
        super().__init__(*args, **kwargs)
        qs = (selectors.departments_for_manage(actor).filter(region_id=unit.region_id, is_active=True)
              .exclude(pk=unit.department_id))
        self.fields["department"] = forms.ModelChoiceField(
            label="新的主管部门", queryset=qs, empty_label="请选择",
            error_messages={"invalid_choice": "请从列表中选择主管部门", "required": "请选择主管部门"})


class AgencyForm(forms.Form):
    name = forms.CharField(label="机构名称", max_length=150)
    credit_code = forms.CharField(label="统一社会信用代码", max_length=18, min_length=18,
                                  error_messages={"min_length": "统一社会信用代码应为18位"})

    def __init__(self, *args, actor: Actor | None = None, with_region: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if with_region:
            self.fields["region"] = _region_field(selectors.regions_for_manage(actor), label="登记区划")
            self.order_fields(["region", "name", "credit_code"])


def grantable_roles(actor: Actor) -> list[tuple[str, str]]:
    """Roles the actor could grant somewhere: those managing no more than the actor's widest MANAGE grant."""
    widest = max((manage_breadth(g.role) for g, _ in actor.grants_for(Action.MANAGE)), default=0)
    return [(r.value, r.label) for r in Role if manage_breadth(r.value) <= widest] if widest else []


class RoleFieldsForm(forms.Form):
    """The fields of one role assignment: the role and the node it is held at, nodes named by code."""

    role = forms.ChoiceField(label="角色", error_messages={
        "invalid_choice": "请从列表中选择角色（列表中只有您有权分配的角色）", "required": "请选择角色"})
    region = RegionChoiceField(label="所属区划", queryset=Region.objects.none(), empty_label="请选择", required=False,
                               error_messages={"invalid_choice": "请从列表中选择区划"},
                               help_text="部门、单位编码在区划内唯一，填写编码时须选择区划；第三方机构角色可不选")
    department_code = forms.CharField(label="部门编码", max_length=30, required=False,
                                      help_text="主管部门角色填写；预算单位角色可不填")
    unit_code = forms.CharField(label="单位编码", max_length=30, required=False, help_text="预算单位角色填写")
    agency_code = forms.CharField(label="机构统一社会信用代码", max_length=18, required=False,
                                  help_text="第三方机构角色填写")
    department_codes = forms.CharField(label="分管部门编码", max_length=2000, required=False,
                                       help_text="预算业务科室填写，多个用逗号分隔")

    FIELD_MAP = {"region": "region", "department": "department_code", "unit": "unit_code",
                 "agency": "agency_code", "departments": "department_codes", "role": "role"}

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["role"].choices = [("", "请选择")] + grantable_roles(actor)
        regions = selectors.regions_for_manage(actor)
        self.fields["region"].queryset = regions
        if not self.is_bound and "region" not in self.initial:
            only = list(regions[:2])
            if len(only) == 1:  # a finance admin manages one region: nothing to choose
                self.initial["region"] = only[0].pk

    def clean(self):
        from jixiao.organisations.services import assignment_from_codes

        data = super().clean()
        if not data.get("role") or "region" in self.errors:
            return data
        try:
            data["spec"] = assignment_from_codes(
                role=data["role"], region=data.get("region"), department_code=data.get("department_code", ""),
                unit_code=data.get("unit_code", ""), agency_code=data.get("agency_code", ""),
                department_codes=data.get("department_codes", ""), actor=self.actor)
        except ValidationError as exc:
            apply_errors(self, exc, self.FIELD_MAP)
        return data


class UserCreateForm(RoleFieldsForm):
    username = forms.CharField(label="用户名", max_length=150)
    full_name = forms.CharField(label="姓名", max_length=60)
    phone = forms.CharField(label="电话", max_length=30, required=False)
    email = forms.CharField(label="电子邮箱", max_length=254, required=False)
    password = forms.CharField(label="初始密码", required=False, max_length=128,
                               widget=forms.PasswordInput(render_value=False),
                               help_text="留空则自动生成，创建后仅显示一次")

    field_order = ["username", "full_name", "phone", "email", "password", "role", "region", "department_code",
                   "unit_code", "agency_code", "department_codes"]

    def clean_username(self):
        from jixiao.organisations.services import clean_username

        errors: dict = {}
        username = clean_username(self.cleaned_data["username"], errors)
        if errors:  # checked here too, so that it shows together with the other fields' errors
            raise ValidationError(errors["username"])
        return username


class UserEditForm(forms.Form):
    full_name = forms.CharField(label="姓名", max_length=60)
    phone = forms.CharField(label="电话", max_length=30, required=False)
    email = forms.CharField(label="电子邮箱", max_length=254, required=False)


class PasswordResetForm(forms.Form):
    password = forms.CharField(label="新密码", required=False, max_length=128, widget=forms.PasswordInput,
                               help_text="留空则自动生成，仅显示一次")


class OwnPasswordForm(forms.Form):
    old_password = forms.CharField(label="原密码", max_length=128, widget=forms.PasswordInput)
    new_password = forms.CharField(label="新密码", max_length=128, widget=forms.PasswordInput)
    new_password2 = forms.CharField(label="确认新密码", max_length=128, widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password2") and data["new_password"] != data["new_password2"]:
            self.add_error("new_password2", "两次输入的新密码不一致")
        return data


YES_NO = [("", "全部"), ("yes", "是"), ("no", "否")]


class UserFilterForm(forms.Form):
    q = forms.CharField(label="用户名或姓名", max_length=100, required=False)
    role = forms.ChoiceField(label="角色", required=False, choices=[("", "全部")] + list(Role.choices))
    region = RegionChoiceField(label="区划", queryset=Region.objects.none(), required=False, empty_label="全部",
                               error_messages={"invalid_choice": "请从列表中选择区划"})
    org = forms.CharField(label="所属机构(名称或编码)", max_length=100, required=False)
    locked = forms.ChoiceField(label="已锁定", required=False, choices=YES_NO)
    active = forms.ChoiceField(label="启用", required=False, choices=YES_NO)

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = selectors.regions_for_manage(actor)


class BrowseForm(forms.Form):
    q = forms.CharField(label="名称或编码", max_length=100, required=False)
    region = forms.IntegerField(required=False, min_value=1)
    department = forms.IntegerField(required=False, min_value=1)
    inactive = forms.BooleanField(label="含已停用", required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label="Excel 文件", error_messages={"required": "请选择要导入的文件",
                                                               "empty": "上传的文件是空的"})

    def clean_file(self):
        from django.conf import settings

        from jixiao.core.tabular import TableFormatError, sniff_format

        f = self.cleaned_data["file"]
        if f.size > settings.IMPORT_MAX_BYTES:
            raise ValidationError(f"文件过大，上限为{settings.IMPORT_MAX_BYTES // 1024 // 1024}MB")
        head = f.read(4096)
        f.seek(0)
        try:
            sniff_format(head, f.name)
        except TableFormatError as exc:
            raise ValidationError(str(exc)) from None
        return f
