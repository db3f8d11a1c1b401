"""Screens of the indicator library: browse and search, detail with versions and history, create/edit/propose,
status actions, Excel import and export, sectors. Thin: selectors read, services write."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from jixiao.core import audit
from jixiao.core.permissions import actor_for
from jixiao.core.workflow import diff_versions
from jixiao.indicators import excel, selectors, services
from jixiao.indicators.forms import FilterForm, ImportForm, IndicatorForm, SectorForm, StatusForm, initial_from
from jixiao.indicators.models import IndicatorStatus
from jixiao.indicators.rules import FIELD_LABELS
from jixiao.indicators.search import highlight_html, normalise

PAGE_SIZE = 20
SAMPLE_FILE = Path(__file__).resolve().parent / "samples" / "指标库导入样例.xlsx"


def _region_choices(access) -> list[tuple[str, str]]:
    from jixiao.organisations.models import Region

    names = dict(Region.objects.filter(pk__in=access.curate_region_ids).values_list("pk", "name"))
    out = [("", "全国通用指标库")] if access.curate_national else []
    return out + [(str(pk), f"{names.get(pk, pk)}指标库") for pk in sorted(access.curate_region_ids)]


def _snippet(text: str, query, width: int = 90) -> str:
    """The part of an explanation around the first match, highlighted."""
    if not text:
        return ""
    start = 0
    if query is not None:
        norm = normalise(text)
        positions = [norm.find(t) for t in (query.terms or [query.short]) if t and norm.find(t) >= 0]
        if positions:
            start = max(0, min(positions) - 20)
    piece = text[start:start + width]
    prefix = "…" if start else ""
    suffix = "…" if start + width < len(text) else ""
    return prefix + highlight_html(piece, query) + suffix


@login_required
def browse(request):
    actor = actor_for(request.user)
    access = selectors.library_access(actor)
    tree = selectors.sector_tree()
    form = FilterForm(request.GET or None, sectors=tree, curator=access.may_curate)
    filters = form.filters()
    try:
        page_no = int(request.GET.get("page") or 1)
    except ValueError:
        page_no = 1
    prefer = selectors.preferred_sector_id(actor) if filters.q else None
    page = selectors.indicator_search(actor, filters, page=page_no, page_size=PAGE_SIZE, prefer_sector_id=prefer)
    for ind in page.items:
        ind.name_html = highlight_html(ind.name, page.query)
        ind.snippet_html = _snippet(ind.explanation, page.query)
    query = request.GET.copy()
    query.pop("page", None)
    base = request.GET.copy()
    for key in ("page", "sector", "domain", "level1", "level2"):
        base.pop(key, None)
    return render(request, "indicators/browse.html", {
        "form": form, "page": page, "filters": filters, "query": query.urlencode(),
        "tree_base": base.urlencode(), "tree": selectors.classification_tree(
            actor, status=filters.status if access.may_curate else IndicatorStatus.ACTIVE),
        "access": access,
    })


@login_required
def detail(request, pk):
    actor = actor_for(request.user)
    ind = selectors.indicator_get(actor, pk)
    access = selectors.library_access(actor)
    versions = list(selectors.indicator_versions(ind))
    for newer, older in zip(versions, versions[1:] + [None], strict=True):
        newer.changes = [] if older is None else [
            (FIELD_LABELS.get(k, k), old, new) for k, old, new in diff_versions(older.data, newer.data)
            if k not in ("sector_id", "domain_id", "region_id")]
    history = list(audit.history_for(ind).select_related("actor"))
    return render(request, "indicators/detail.html", {
        "ind": ind, "versions": versions, "history": history, "access": access,
        "can_curate": access.can_curate_region(ind.region_id),
        "can_edit": services._may_edit(actor, ind),
        "status_form": StatusForm(initial={"lock_version": ind.lock_version}),
    })


@login_required
@require_http_methods(["GET", "POST"])
def create(request):
    actor = actor_for(request.user)
    access = selectors.library_access(actor)
    if not access.may_curate:
        raise PermissionDenied("只有财政部门的指标库管理员可以新增指标；部门可以“提议新增指标”")
    tree = selectors.sector_tree()
    form = IndicatorForm(request.POST or None, sectors=tree, region_choices=_region_choices(access), mode="create")
    if request.method == "POST" and form.is_valid():
        region = form.region_id() if "region" in form.fields else services.AUTO
        try:
            ind = services.indicator_create(actor=actor, data=form.definition(), region_id=region,
                                            comment=form.cleaned_data.get("comment") or "")
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, f"已新增指标“{ind.name}”（{ind.code}）")
            return redirect("indicators:detail", pk=ind.pk)
    return render(request, "indicators/form.html", {"form": form, "title": "新增指标", "mode": "create"})


@login_required
@require_http_methods(["GET", "POST"])
def propose(request):
    actor = actor_for(request.user)
    access = selectors.library_access(actor)
    if not access.may_propose:
        raise PermissionDenied("只有主管部门和预算单位可以提议新增指标")
    tree = selectors.sector_tree()
    form = IndicatorForm(request.POST or None, sectors=tree, mode="propose")
    if request.method == "POST" and form.is_valid():
        try:
            ind = services.indicator_propose(actor=actor, data=form.definition(),
                                             comment=form.cleaned_data.get("comment") or "")
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, f"已提交提议“{ind.name}”，待财政部门审核后纳入指标库")
            return redirect("indicators:detail", pk=ind.pk)
    return render(request, "indicators/form.html", {"form": form, "title": "提议新增指标", "mode": "propose"})


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, pk):
    actor = actor_for(request.user)
    ind = selectors.indicator_get(actor, pk)
    if not services._may_edit(actor, ind):
        raise PermissionDenied("您没有修改该指标的权限")
    tree = selectors.sector_tree()
    form = IndicatorForm(request.POST or None, initial=initial_from(ind), sectors=tree, mode="edit")
    if request.method == "POST" and form.is_valid():
        expected = form.cleaned_data.get("lock_version") or 0  # no version from the page: refused as stale
        try:
            before = ind.current_version
            ind = services.indicator_update(actor=actor, indicator=ind, data=form.definition(),
                                            expected_lock_version=expected,
                                            comment=form.cleaned_data.get("comment") or "")
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            if ind.current_version == before:
                messages.info(request, "内容没有变化，未生成新版本")
            else:
                messages.success(request, f"已保存为第{ind.current_version}版")
            return redirect("indicators:detail", pk=ind.pk)
    return render(request, "indicators/form.html", {"form": form, "title": f"修改指标：{ind.name}", "mode": "edit",
                                                    "ind": ind})


def _status_action(service, done: str):
    @login_required
    @require_POST
    def view(request, pk):
        actor = actor_for(request.user)
        ind = selectors.indicator_get(actor, pk)
        form = StatusForm(request.POST)
        form.is_valid()
        try:
            service(actor=actor, indicator=ind, comment=form.cleaned_data.get("comment") or "",
                    expected_lock_version=form.cleaned_data.get("lock_version") or ind.lock_version)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, done)
        return redirect("indicators:detail", pk=pk)

    return view


retire = _status_action(services.indicator_retire, "已停用该指标")
restore = _status_action(services.indicator_restore, "已重新启用该指标")
approve = _status_action(services.indicator_approve, "已审核通过，指标已纳入指标库")
reject = _status_action(services.indicator_reject, "已退回该提议")


@login_required
@require_http_methods(["GET", "POST"])
def import_view(request):
    actor = actor_for(request.user)
    access = selectors.library_access(actor)
    if not access.may_curate:
        raise PermissionDenied("您没有导入指标库的权限")
    form = ImportForm(request.POST or None, request.FILES or None, region_choices=_region_choices(access))
    if request.method == "POST" and form.is_valid():
        region = form.region_id() if "region" in form.fields else services.AUTO
        try:
            job = services.indicator_import_start(actor=actor, upload=form.cleaned_data["file"], region_id=region)
        except ValidationError as exc:
            for msg in exc.messages:
                form.add_error(None, msg)
        else:
            return redirect("web:job_detail", pk=job.pk)
    return render(request, "indicators/import.html", {"form": form, "layout": excel.LAYOUT})


@login_required
def export(request):
    actor = actor_for(request.user)
    access = selectors.library_access(actor)
    form = FilterForm(request.GET or None, sectors=selectors.sector_tree(), curator=access.may_curate)
    filters = form.filters()
    qs = selectors.indicator_export_queryset(actor, filters)
    if qs.count() > excel.EXPORT_MAX_ROWS:
        messages.error(request, f"导出条数超过{excel.EXPORT_MAX_ROWS}条，请先按行业或领域筛选")
        return redirect(f"{reverse('indicators:browse')}?{request.GET.urlencode()}")
    data = excel.export_indicators(qs)
    name = f"指标库导出_{timezone.localdate():%Y%m%d}.xlsx"
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@login_required
def sample(request):
    if not SAMPLE_FILE.exists():
        raise Http404("样例文件不存在")
    return FileResponse(SAMPLE_FILE.open("rb"), as_attachment=True, filename=SAMPLE_FILE.name)


@login_required
@require_http_methods(["GET", "POST"])
def sectors(request):
    actor = actor_for(request.user)
    access = selectors.library_access(actor)
    tree = selectors.sector_tree()
    form = SectorForm(request.POST or None, sectors=tree) if access.may_curate else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("您没有维护行业领域的权限")
        if form.is_valid():
            parent = next((s for s in tree if s.pk == form.cleaned_data["parent"]), None)
            try:
                services.sector_create(actor=actor, code=form.cleaned_data["code"], name=form.cleaned_data["name"],
                                       parent=parent)
            except ValidationError as exc:
                for key, errs in exc.message_dict.items():
                    for msg in errs:
                        form.add_error(key if key in form.fields else None, msg)
            else:
                messages.success(request, "已保存")
                return redirect(reverse("indicators:sectors"))
    return render(request, "indicators/sectors.html", {"tree": tree, "form": form})
