"""Pages of the spending standards (支出标准): the list with filters and, for the finance bureau, the create form,
edit and deactivate. Thin: selectors read, services write."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from jixiao.core.permissions import actor_for
from jixiao.costs import selectors, services
from jixiao.costs.forms import StandardCreateForm, StandardFilterForm, StandardForm, standard_initial
from jixiao.organisations.models import Region


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
@require_http_methods(["GET", "POST"])
def standard_list(request):
    actor = actor_for(request.user)
    regions = selectors.manageable_regions(actor)
    create_form = None
    if regions:
        if request.method == "POST":
            create_form = StandardCreateForm(request.POST, regions=regions)
            if create_form.is_valid():
                data = dict(create_form.cleaned_data)
                region = Region.objects.get(pk=data.pop("region"))
                try:
                    standard = services.standard_create(actor=actor, region=region, data=data)
                except ValidationError as exc:
                    _apply_errors(create_form, exc)
                else:
                    messages.success(request, f"已新增支出标准“{standard.name}”")
                    return redirect("costs:standard_list")
        else:
            create_form = StandardCreateForm(regions=regions)
    elif request.method == "POST":
        raise PermissionDenied("只有财政部门可以维护支出标准")
    form = StandardFilterForm(request.GET)
    filters = form.filters()
    qs = selectors.standard_list(actor, filters)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "costs/standard_list.html", {
        "form": form, "filters": filters, "page": page, "create_form": create_form,
        "manageable": selectors.manageable_ids(actor, qs) if regions else set(),
        "filter_regions": selectors.filter_regions(actor), "query": query.urlencode(),
    })


@login_required
@require_http_methods(["GET", "POST"])
def standard_edit(request, pk):
    actor = actor_for(request.user)
    standard = selectors.standard_get(actor, pk)
    if not selectors.can_manage(actor, standard):
        raise PermissionDenied("只有本级财政部门可以维护支出标准")
    if request.method == "POST":
        form = StandardForm(request.POST)
        if form.is_valid():
            try:
                services.standard_update(actor=actor, standard=standard, data=form.cleaned_data)
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, "已保存")
                return redirect("costs:standard_list")
    else:
        form = StandardForm(initial=standard_initial(standard))
    return render(request, "costs/standard_form.html", {"form": form, "standard": standard})


@login_required
@require_POST
def standard_active(request, pk):
    actor = actor_for(request.user)
    standard = selectors.standard_get(actor, pk)
    active = request.POST.get("active") == "1"
    services.standard_set_active(actor=actor, standard=standard, active=active,
                                 comment=request.POST.get("comment", "")[:500])
    messages.success(request, f"已{'启用' if active else '停用'}支出标准“{standard.name}”")
    return redirect("costs:standard_list")
