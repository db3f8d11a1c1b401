"""Screens of the policy profile (政策配置): the effective profile by stage with sources, version history with
diffs, the generated edit form, creating from a preset, comparing with a preset, and year locks."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from jixiao.core.permissions import actor_for
from jixiao.core.workflow import ConcurrentEditError
from jixiao.organisations.models import Region
from jixiao.policy import selectors, services
from jixiao.policy.forms import ParamsForm, PresetForm, SaveForm
from jixiao.policy.presets import PRESETS, get_preset
from jixiao.policy.rules import ParamsInvalid
from jixiao.policy.schema import STAGES
from jixiao.policy.widgets import display_section

NATIONAL = "national"


class Where:
    """The region (or national default) and year a page is about, read from the query string and checked."""

    def __init__(self, request, *, source=None):
        source = source if source is not None else request.GET
        self.actor = actor_for(request.user)
        if not self.actor.grants:
            raise PermissionDenied("您的账号尚未分配角色，无法查看政策配置")
        raw = (source.get("region") or "").strip()
        if raw == NATIONAL:
            self.region = None
        elif raw:
            try:
                self.region = Region.objects.get(pk=int(raw))
            except (ValueError, Region.DoesNotExist):
                raise Http404("未找到该区划") from None
        else:
            self.region = selectors.default_region(self.actor)
        selectors.authorize_read(self.actor, self.region)
        try:
            self.year = int(source.get("year") or selectors.current_year())
        except ValueError:
            self.year = selectors.current_year()
        if not services.MIN_YEAR <= self.year <= services.MAX_YEAR:
            raise Http404("年度超出范围")

    @property
    def region_key(self) -> str:
        return str(self.region.pk) if self.region is not None else NATIONAL

    @property
    def name(self) -> str:
        return self.region.name if self.region is not None else "全国默认"

    @property
    def query(self) -> str:
        return f"region={self.region_key}&year={self.year}"

    def url(self, name: str, **extra) -> str:
        tail = "".join(f"&{k}={v}" for k, v in extra.items())
        return f"{reverse(f'policy:{name}')}?{self.query}{tail}"

    def context(self) -> dict:
        regions = list(selectors.readable_regions(self.actor).values_list("pk", "name"))
        years = sorted({self.year - 1, self.year, self.year + 1, selectors.current_year()}, reverse=True)
        return {"where": self, "regions": regions, "years": years, "national_key": NATIONAL,
                "can_configure": selectors.can_configure(self.actor, self.region)}


def _stages(params: dict):
    return [(name, title, display_section(params, name)) for name, title in STAGES]


@login_required
def profile(request):
    """The effective profile of the user's region (or a chosen one) for a year, grouped by stage."""
    where = Where(request)
    eff = selectors.effective_profile(where.region, where.year)
    ctx = where.context()
    ctx.update({"eff": eff, "stages": _stages(eff.params.to_json()),
                "lock": selectors.year_lock(where.region, where.year),
                "presets": PRESETS.values(), "preset_name": PRESETS[eff.preset].name if eff.preset in PRESETS else ""})
    return render(request, "policy/profile.html", ctx)


@login_required
def history(request):
    """Every version of the region's own profile for the year, newest first, each with what it changed."""
    where = Where(request)
    versions = list(selectors.profile_versions(where.actor, where.region, where.year))
    rows = []
    for i, row in enumerate(versions):
        previous = versions[i + 1] if i + 1 < len(versions) else None
        rows.append({"row": row, "previous": previous,
                     "changes": selectors.profile_diff(previous, row) if previous else None})
    ctx = where.context()
    ctx.update({"rows": rows, "eff": selectors.effective_profile(where.region, where.year)})
    return render(request, "policy/history.html", ctx)


@login_required
def version_detail(request, pk: int):
    actor = actor_for(request.user)
    row = selectors.profile_for(actor, pk)
    return render(request, "policy/version.html", {
        "row": row, "stages": _stages(row.params), "title": f"{row.where} {row.fiscal_year}年 第{row.version}版",
        "region_key": str(row.region_id) if row.region_id else NATIONAL})


@login_required
def diff(request):
    """Differences between two versions (?a=<id>&b=<id>), or a version and a preset (?a=<id>&preset=<code>)."""
    actor = actor_for(request.user)
    a = selectors.profile_for(actor, request.GET.get("a"))
    if request.GET.get("preset"):
        try:
            preset = get_preset(request.GET["preset"])
        except KeyError:
            raise Http404("未找到该预设") from None
        b_params, b_label = preset.params(), f"预设：{preset.name}"
    else:
        b = selectors.profile_for(actor, request.GET.get("b"))
        b_params, b_label = b.params, f"{b.where} {b.fiscal_year}年 第{b.version}版"
    return render(request, "policy/diff.html", {
        "a_label": f"{a.where} {a.fiscal_year}年 第{a.version}版", "b_label": b_label,
        "changes": selectors.profile_diff(a, b_params)})


@login_required
def compare(request):
    """The effective profile compared with a preset."""
    where = Where(request)
    code = request.GET.get("preset") or "national_2020"
    try:
        preset = get_preset(code)
    except KeyError:
        raise Http404("未找到该预设") from None
    eff = selectors.effective_profile(where.region, where.year)
    ctx = where.context()
    ctx.update({"eff": eff, "preset": preset, "presets": PRESETS.values(),
                "a_label": f"{where.name}{where.year}年现行配置（{eff.origin_label}）",
                "b_label": f"预设：{preset.name}",
                "changes": selectors.profile_diff(eff, preset.params())})
    return render(request, "policy/compare.html", ctx)


@login_required
def presets(request):
    actor = actor_for(request.user)
    if not actor.grants:
        raise PermissionDenied("您的账号尚未分配角色，无法查看政策配置")
    code = request.GET.get("code")
    if code:
        try:
            preset = get_preset(code)
        except KeyError:
            raise Http404("未找到该预设") from None
        return render(request, "policy/preset_detail.html", {"preset": preset,
                                                             "stages": _stages(preset.to_json())})
    return render(request, "policy/presets.html", {"presets": PRESETS.values()})


@login_required
@require_http_methods(["GET", "POST"])
def edit(request):
    """The generated form over the whole parameter set; saving creates a new version."""
    where = Where(request)
    selectors.authorize_configure(where.actor, where.region)
    latest = selectors.latest_version(where.region, where.year)
    if request.method == "POST":
        form = ParamsForm(data=request.POST)
        save_form = SaveForm(request.POST)
        if save_form.is_valid() and form.is_valid():
            try:
                row = services.profile_save(
                    actor=where.actor, region=where.region, fiscal_year=where.year, params=form.cleaned,
                    comment=save_form.cleaned_data["comment"], base_version=save_form.cleaned_data["base_version"])
            except ConcurrentEditError as exc:
                save_form.add_error(None, exc.messages[0])
            except ParamsInvalid as exc:  # pragma: no cover - the form validated the same data
                form.param_errors = exc.param_errors
            except ValidationError as exc:
                save_form.add_error(None, "；".join(exc.messages))
            else:
                messages.success(request, f"已保存为第{row.version}版")
                return redirect(where.url("profile"))
        base_version = request.POST.get("base_version") or 0
        source = None
    else:
        if latest is not None:
            values, base_version = latest.params, latest.version
            source = f"本级第{latest.version}版"
        else:
            eff = selectors.effective_profile(where.region, where.year)
            values, base_version, source = eff.params.to_json(), 0, eff.origin_label
        form = ParamsForm(initial=values)
        save_form = SaveForm(initial={"base_version": base_version})
    sections, unplaced = form.render()
    ctx = where.context()
    ctx.update({"sections": sections, "unplaced": unplaced, "form": form, "save_form": save_form,
                "param_errors": form.param_errors, "latest": latest, "source": source,
                "base_version": base_version})
    return render(request, "policy/edit.html", ctx, status=400 if form.param_errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def from_preset(request):
    where = Where(request)
    selectors.authorize_configure(where.actor, where.region)
    latest = selectors.latest_version(where.region, where.year)
    if request.method == "POST":
        form = PresetForm(request.POST)
        if form.is_valid():
            try:
                row = services.profile_create_from_preset(
                    actor=where.actor, region=where.region, fiscal_year=where.year,
                    preset=form.cleaned_data["preset"], comment=form.cleaned_data["comment"],
                    base_version=form.cleaned_data["base_version"])
            except ValidationError as exc:
                form.add_error(None, "；".join(exc.messages))
            else:
                messages.success(request, f"已按预设保存为第{row.version}版")
                return redirect(where.url("profile"))
    else:
        form = PresetForm(initial={"base_version": latest.version if latest else 0,
                                   "preset": request.GET.get("preset") or "national_2020"})
    ctx = where.context()
    ctx.update({"form": form, "latest": latest, "presets": PRESETS.values()})
    return render(request, "policy/from_preset.html", ctx)


@login_required
@require_POST
def lock(request):
    """Lock or unlock the year of the region's own profile (results final)."""
    where = Where(request, source=request.POST)
    selectors.authorize_configure(where.actor, where.region)
    try:
        if request.POST.get("unlock"):
            services.profile_year_unlock(actor=where.actor, region=where.region, fiscal_year=where.year,
                                         comment=request.POST.get("reason", ""))
            messages.success(request, f"已解除{where.year}年度锁定")
        else:
            services.profile_year_lock(actor=where.actor, region=where.region, fiscal_year=where.year,
                                       reason=request.POST.get("reason", ""))
            messages.success(request, f"已锁定{where.year}年度")
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect(where.url("profile"))
