"""Screens of the organisation tree and of user management. Thin: parse with a form, read with a selector, write
with a service; a service's ValidationError goes back onto the form's fields and nothing is written."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from jixiao.core import audit
from jixiao.core.jobs import job_start
from jixiao.core.models import Job
from jixiao.core.permissions import Action, actor_for, can
from jixiao.organisations import excel, forms, selectors, services, tasks
from jixiao.organisations.models import Region, RoleAssignment, Unit
from jixiao.organisations.policy import may_manage_assignment, may_manage_region_at

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _posted(request):
    """The submitted data of a POST (bound even when empty, so that an empty submission is validated), else None."""
    return request.POST if request.method == "POST" else None


def _actor(request):
    return actor_for(request.user)


def _require_manage(actor):
    if not actor.may(Action.MANAGE):
        raise PermissionDenied("您没有管理组织机构和用户的权限")


def _browse_url(**params) -> str:
    query = urlencode({k: v for k, v in params.items() if v})
    return reverse("organisations:browse") + (f"?{query}" if query else "")


def _form_page(request, form, *, title, back, submit="保存", intro="", status=200):
    return render(request, "organisations/form.html",
                  {"form": form, "title": title, "back": back, "submit": submit, "intro": intro}, status=status)


# ---- the organisation browser -------------------------------------------------------------------------------------

@login_required
def browse(request):
    """Region tree → departments → units, with counts, search by name or code, pinyin order."""
    actor = _actor(request)
    form = forms.BrowseForm(request.GET or None)
    params = form.cleaned_data if form.is_bound and form.is_valid() else {}
    q = (params.get("q") or "").strip()
    inactive = bool(params.get("inactive"))
    tree = selectors.region_tree(actor)
    by_id = {node.region.pk: node for node in tree}
    department = None
    if params.get("department"):
        department = selectors.department_get(actor, params["department"])
    region = None
    if params.get("region"):
        node = by_id.get(params["region"])
        if node is None:
            raise Http404("未找到该区划")
        region = node.region
    elif department is not None:
        region = department.region if department.region_id in by_id else None
    elif tree and not q:
        own = [g.region_id for g in actor.grants if g.region_id in by_id]
        region = by_id[own[0]].region if own else tree[0].region

    departments = units = None
    results = None
    if q:
        results = {
            "departments": list(selectors.department_rows(actor, q=q, include_inactive=inactive)[:100]),
            "units": list(selectors.unit_rows(actor, q=q, include_inactive=inactive)[:200]),
        }
    else:
        if region is not None or not tree:
            dept_qs = selectors.department_rows(actor, region=region, include_inactive=inactive)
            departments = Paginator(dept_qs, 100).get_page(request.GET.get("dpage"))
            if department is None and not tree and departments.paginator.count == 1:
                department = departments[0]
        if department is not None:
            unit_qs = selectors.unit_rows(actor, department=department, include_inactive=inactive)
        elif departments is None or departments.paginator.count == 0:
            unit_qs = selectors.unit_rows(actor, region=region, include_inactive=inactive)
        else:
            unit_qs = None
        if unit_qs is not None:
            units = Paginator(unit_qs, 100).get_page(request.GET.get("upage"))
    for obj in [*(departments or []), *(units or []), *((results or {}).get("departments", [])),
                *((results or {}).get("units", []))]:
        obj.manageable = can(actor, Action.MANAGE, obj)
    region_manageable = region is not None and can(actor, Action.MANAGE, region)
    agencies = list(selectors.agencies_for(actor)[:50])
    for a in agencies:
        a.manageable = can(actor, Action.MANAGE, a)
    return render(request, "organisations/browse.html", {
        "form": form, "tree": tree, "region": region, "department": department, "departments": departments,
        "units": units, "results": results, "q": q, "inactive": inactive, "agencies": agencies,
        "region_manageable": region_manageable,
        "can_add_child": region is not None and may_manage_region_at(actor, region),
        # the parent is in the tree whenever it is readable, and only a readable parent can be managed
        "can_move": region_manageable and region.parent_id in by_id
        and can(actor, Action.MANAGE, by_id[region.parent_id].region),
        "can_manage": actor.may(Action.MANAGE),
        "department_manageable": department is not None and can(actor, Action.MANAGE, department),
    })


# ---- regions ------------------------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def region_create(request, parent_pk):
    actor = _actor(request)
    parent = selectors.region_get(actor, parent_pk)
    if not may_manage_region_at(actor, parent):
        raise PermissionDenied("您无权在该区划下新建区划")
    initial = {"level": min(parent.level + 1, Region.Level.TOWN)}
    form = forms.RegionForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            region = services.region_create(actor=actor, parent=parent, **form.cleaned_data)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, f"已新建区划“{region.name}”")
            return redirect(_browse_url(region=region.pk))
    return _form_page(request, form, title=f"新建下级区划 · {parent.name}", back=_browse_url(region=parent.pk))


@login_required
@require_http_methods(["GET", "POST"])
def region_edit(request, pk):
    actor = _actor(request)
    region = selectors.region_get(actor, pk, Action.MANAGE)
    initial = {"code": region.code, "name": region.name, "level": region.level, "bureau_name": region.bureau_name}
    form = forms.RegionForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.region_update(actor=actor, region=region, **form.cleaned_data)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, "区划信息已保存")
            return redirect(_browse_url(region=region.pk))
    return _form_page(request, form, title=f"修改区划 · {region.name}", back=_browse_url(region=region.pk))


@login_required
@require_http_methods(["GET", "POST"])
def region_move(request, pk):
    actor = _actor(request)
    region = selectors.region_get(actor, pk, Action.MANAGE)
    form = forms.RegionMoveForm(_posted(request), actor=actor, region=region)
    if request.method == "POST" and form.is_valid():
        try:
            services.region_move(actor=actor, region=region, parent=form.cleaned_data["parent"])
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, f"已将“{region.name}”移至“{form.cleaned_data['parent'].name}”之下")
            return redirect(_browse_url(region=region.pk))
    current = region.parent.name if region.parent_id else "无（顶级区划）"
    return _form_page(request, form, title=f"移动区划 · {region.name}", back=_browse_url(region=region.pk),
                      submit="移动", intro=f"当前上级区划：{current}。移动后其全部下级区划随之移动。")


# ---- departments --------------------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def department_create(request, region_pk):
    actor = _actor(request)
    region = selectors.region_get(actor, region_pk, Action.MANAGE)
    form = forms.DepartmentForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            department = services.department_create(actor=actor, region=region, **form.cleaned_data)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, f"已新建主管部门“{department.name}”")
            return redirect(_browse_url(region=region.pk, department=department.pk))
    return _form_page(request, form, title=f"新建主管部门 · {region.name}", back=_browse_url(region=region.pk))


@login_required
@require_http_methods(["GET", "POST"])
def department_edit(request, pk):
    actor = _actor(request)
    department = selectors.department_get(actor, pk, Action.MANAGE)
    initial = {"code": department.code, "name": department.name, "sector": department.sector,
               "is_classified": department.is_classified}
    form = forms.DepartmentForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.department_update(actor=actor, department=department, **form.cleaned_data)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, "主管部门信息已保存")
            return redirect(_browse_url(region=department.region_id, department=department.pk))
    return _form_page(request, form, title=f"修改主管部门 · {department.name}",
                      back=_browse_url(region=department.region_id, department=department.pk))


def _toggle_active(request, actor, obj, arg: str, label: str, activate, deactivate) -> None:
    """Switch a department or unit on or off through its service, reporting the outcome as a message."""
    service = activate if not obj.is_active else deactivate
    try:
        service(actor=actor, **{arg: obj})
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已{'启用' if obj.is_active else '停用'}{label}“{obj.name}”")


@login_required
@require_POST
def department_toggle(request, pk):
    actor = _actor(request)
    department = selectors.department_get(actor, pk, Action.MANAGE)
    _toggle_active(request, actor, department, "department", "主管部门",
                   services.department_activate, services.department_deactivate)
    return redirect(_browse_url(region=department.region_id, department=department.pk, inactive="on"))


# ---- units --------------------------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def unit_create(request, department_pk):
    actor = _actor(request)
    department = selectors.department_get(actor, department_pk)
    if not can(actor, Action.MANAGE, Unit(department=department, region_id=department.region_id)):
        raise PermissionDenied("您无权在该部门下新建预算单位")
    form = forms.UnitForm(_posted(request))
    back = _browse_url(region=department.region_id, department=department.pk)
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.unit_create(actor=actor, department=department, **form.cleaned_data)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, f"已新建预算单位“{unit.name}”")
            return redirect(back)
    return _form_page(request, form, title=f"新建预算单位 · {department.name}", back=back)


@login_required
@require_http_methods(["GET", "POST"])
def unit_edit(request, pk):
    actor = _actor(request)
    unit = selectors.unit_get(actor, pk, Action.MANAGE)
    form = forms.UnitForm(_posted(request), initial={"code": unit.code, "name": unit.name})
    back = _browse_url(region=unit.region_id, department=unit.department_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_update(actor=actor, unit=unit, **form.cleaned_data)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, "预算单位信息已保存")
            return redirect(back)
    return _form_page(request, form, title=f"修改预算单位 · {unit.name}", back=back)


@login_required
@require_http_methods(["GET", "POST"])
def unit_move(request, pk):
    actor = _actor(request)
    unit = selectors.unit_get(actor, pk, Action.MANAGE)
    form = forms.UnitMoveForm(_posted(request), actor=actor, unit=unit)
    back = _browse_url(region=unit.region_id, department=unit.department_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_move(actor=actor, unit=unit, department=form.cleaned_data["department"])
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, f"已将“{unit.name}”迁至“{unit.department.name}”")
            return redirect(_browse_url(region=unit.region_id, department=unit.department_id))
    return _form_page(request, form, title=f"迁移预算单位 · {unit.name}", back=back, submit="迁移",
                      intro=f"当前主管部门：{unit.department.name}。单位用户的角色随之调整；已有业务数据仍保留在原部门名下。")


@login_required
@require_POST
def unit_toggle(request, pk):
    actor = _actor(request)
    unit = selectors.unit_get(actor, pk, Action.MANAGE)
    _toggle_active(request, actor, unit, "unit", "预算单位", services.unit_activate, services.unit_deactivate)
    return redirect(_browse_url(region=unit.region_id, department=unit.department_id, inactive="on"))


# ---- agencies -----------------------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def agency_create(request):
    actor = _actor(request)
    _require_manage(actor)
    form = forms.AgencyForm(_posted(request), actor=actor, with_region=True)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            agency = services.agency_create(actor=actor, **data)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, f"已登记第三方机构“{agency.name}”")
            return redirect(_browse_url(region=agency.region_id))
    return _form_page(request, form, title="登记第三方机构", back=_browse_url())


@login_required
@require_http_methods(["GET", "POST"])
def agency_edit(request, pk):
    actor = _actor(request)
    agency = selectors.agency_get(actor, pk, Action.MANAGE)
    form = forms.AgencyForm(_posted(request), initial={"name": agency.name, "credit_code": agency.credit_code})
    if request.method == "POST" and form.is_valid():
        try:
            services.agency_update(actor=actor, agency=agency, **form.cleaned_data)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, "第三方机构信息已保存")
            return redirect(_browse_url(region=agency.region_id))
    return _form_page(request, form, title=f"修改第三方机构 · {agency.name}", back=_browse_url(region=agency.region_id))


# ---- users --------------------------------------------------------------------------------------------------------

@login_required
def user_list(request):
    actor = _actor(request)
    _require_manage(actor)
    form = forms.UserFilterForm(request.GET or None, actor=actor)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    page = Paginator(selectors.user_list(actor, filters), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "organisations/user_list.html", {"form": form, "page": page, "query": query.urlencode()})


@login_required
@require_http_methods(["GET", "POST"])
def user_create(request):
    actor = _actor(request)
    _require_manage(actor)
    initial = {k: request.GET[k] for k in ("role", "department_code", "unit_code", "agency_code")
               if k in request.GET}
    if request.GET.get("region"):
        initial["region"] = request.GET["region"]
    form = forms.UserCreateForm(_posted(request), actor=actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, generated = services.user_create(
                actor=actor, username=data["username"], full_name=data["full_name"], phone=data["phone"],
                email=data["email"], password=data["password"] or None, assignments=[data["spec"]])
        except ValidationError as exc:
            forms.apply_errors(form, exc, forms.RoleFieldsForm.FIELD_MAP)
        else:
            if generated:
                return render(request, "organisations/password_shown.html",
                              {"target": user, "password": generated, "created": True})
            messages.success(request, f"已创建用户“{user.username}”")
            return redirect("organisations:user_detail", pk=user.pk)
    return render(request, "organisations/user_form.html", {"form": form, "title": "新建用户",
                                                            "back": reverse("organisations:user_list"),
                                                            "role_help": excel.ROLE_NODE_HELP})


@login_required
def user_detail(request, pk):
    actor = _actor(request)
    _require_manage(actor)
    target = selectors.user_get_for_manage(actor, pk)
    assignments = list(target.role_assignments.select_related("region", "department", "unit", "agency")
                       .prefetch_related("departments").order_by("id"))
    for ra in assignments:
        ra.revocable = len(assignments) > 1 and target.pk != actor.user_id and may_manage_assignment(actor, ra)
    history = list(audit.history_for(target).order_by("-at", "-id")[:20])
    return render(request, "organisations/user_detail.html", {
        "target": target, "assignments": assignments, "history": history, "is_self": target.pk == actor.user_id,
        "locked": target.is_locked(), "role_form": forms.RoleFieldsForm(actor=actor),
    })


@login_required
@require_http_methods(["GET", "POST"])
def user_edit(request, pk):
    actor = _actor(request)
    _require_manage(actor)
    target = selectors.user_get_for_manage(actor, pk)
    initial = {"full_name": target.full_name, "phone": target.phone, "email": target.email}
    form = forms.UserEditForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(actor=actor, user=target, **form.cleaned_data)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, "用户信息已保存")
            return redirect("organisations:user_detail", pk=target.pk)
    return _form_page(request, form, title=f"修改用户 · {target.username}",
                      back=reverse("organisations:user_detail", args=[target.pk]))


@login_required
@require_http_methods(["GET", "POST"])
def user_password(request, pk):
    actor = _actor(request)
    _require_manage(actor)
    target = selectors.user_get_for_manage(actor, pk)
    form = forms.PasswordResetForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            generated = services.user_set_password(actor=actor, user=target, password=form.cleaned_data["password"])
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            if generated:
                return render(request, "organisations/password_shown.html", {"target": target, "password": generated})
            messages.success(request, f"已重置“{target.username}”的密码")
            return redirect("organisations:user_detail", pk=target.pk)
    return _form_page(request, form, title=f"重置密码 · {target.username}", submit="重置密码",
                      back=reverse("organisations:user_detail", args=[target.pk]),
                      intro="重置后该账号的锁定解除，已发放的接口令牌失效。")


def _user_action(request, pk, service, done: str):
    actor = _actor(request)
    _require_manage(actor)
    target = selectors.user_get_for_manage(actor, pk)
    try:
        service(actor=actor, user=target)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"{done}：{target.username}")
    return redirect("organisations:user_detail", pk=target.pk)


@login_required
@require_POST
def user_unlock(request, pk):
    return _user_action(request, pk, services.user_unlock, "已解除锁定")


@login_required
@require_POST
def user_deactivate(request, pk):
    return _user_action(request, pk, services.user_deactivate, "已停用账号")


@login_required
@require_POST
def user_activate(request, pk):
    return _user_action(request, pk, services.user_activate, "已启用账号")


@login_required
@require_http_methods(["GET", "POST"])
def role_add(request, pk):
    actor = _actor(request)
    _require_manage(actor)
    target = selectors.user_get_for_manage(actor, pk)
    form = forms.RoleFieldsForm(_posted(request), actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            services.role_assign(actor=actor, user=target, spec=form.cleaned_data["spec"])
        except ValidationError as exc:
            forms.apply_errors(form, exc, forms.RoleFieldsForm.FIELD_MAP)
        else:
            messages.success(request, "已添加角色")
            return redirect("organisations:user_detail", pk=target.pk)
    return render(request, "organisations/user_form.html", {
        "form": form, "title": f"添加角色 · {target.username}", "role_help": excel.ROLE_NODE_HELP,
        "back": reverse("organisations:user_detail", args=[target.pk])})


@login_required
@require_POST
def role_revoke(request, pk):
    actor = _actor(request)
    _require_manage(actor)
    try:
        assignment = RoleAssignment.objects.select_related("user").get(
            pk=pk, user__in=selectors.users_for_manage(actor))
    except (RoleAssignment.DoesNotExist, ValueError):
        raise Http404("未找到该角色") from None
    try:
        services.role_revoke(actor=actor, assignment=assignment)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已撤销角色")
    return redirect("organisations:user_detail", pk=assignment.user_id)


@login_required
@require_http_methods(["GET", "POST"])
def own_password(request):
    actor = _actor(request)
    form = forms.OwnPasswordForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_change_own_password(actor=actor, old_password=form.cleaned_data["old_password"],
                                                     new_password=form.cleaned_data["new_password"])
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, "密码已修改")
            return redirect("web:home")
    return _form_page(request, form, title="修改密码", back=reverse("web:home"))


# ---- imports ------------------------------------------------------------------------------------------------------

IMPORTS = {
    "organisations": {"kind": tasks.IMPORT_ORGANISATIONS, "title": "导入组织机构", "sample": "organisations",
                      "notes": excel.ORGANISATION_NOTES},
    "users": {"kind": tasks.IMPORT_USERS, "title": "导入用户", "sample": "users", "notes": excel.USER_NOTES},
}
SAMPLES = {"organisations": ("组织机构导入样例.xlsx", "organisations.xlsx"),
           "users": ("用户导入样例.xlsx", "users.xlsx")}


def _import_page(request, what: str):
    actor = _actor(request)
    _require_manage(actor)
    spec = IMPORTS[what]
    form = forms.ImportForm(_posted(request), request.FILES if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        with transaction.atomic():
            job = job_start(user=request.user, kind=spec["kind"], label=f"{spec['title']}：{upload.name}"[:200],
                            params={"filename": upload.name}, input_file=upload)
        return redirect("web:job_detail", pk=job.pk)
    jobs = list(Job.objects.filter(created_by=request.user, kind=spec["kind"])[:10])
    for job in jobs:
        job.has_passwords = bool(job.result.get("passwords"))
    return render(request, "organisations/import.html", {"form": form, "what": what, **spec, "jobs": jobs})


@login_required
@require_http_methods(["GET", "POST"])
def import_organisations(request):
    return _import_page(request, "organisations")


@login_required
@require_http_methods(["GET", "POST"])
def import_users(request):
    return _import_page(request, "users")


@login_required
def sample(request, name):
    if name not in SAMPLES:
        raise Http404("没有该样例文件")
    from pathlib import Path

    display, filename = SAMPLES[name]
    data = (Path(__file__).parent / "samples" / filename).read_bytes()
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(display)}"
    return response


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


@login_required
@require_POST
def import_passwords(request, pk):
    """The generated initial passwords of one users import, downloadable once by whoever ran the import."""
    with transaction.atomic():
        try:
            job = Job.objects.get(pk=pk, created_by=request.user, kind=tasks.IMPORT_USERS)
        except (Job.DoesNotExist, ValueError):
            raise Http404("未找到该任务") from None
        rows = job.result.get("passwords") or []
        if not rows:
            messages.error(request, "初始密码已下载过或没有自动生成的密码")
            return redirect("organisations:import_users")
        result = dict(job.result)
        result.pop("passwords")
        result["passwords_downloaded"] = len(rows)
        Job.objects.filter(pk=job.pk).update(result=result)
    response = HttpResponse(excel.passwords_workbook(rows), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(f'初始密码-任务{job.pk}.xlsx')}"
    return response
