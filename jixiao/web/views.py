"""Login, logout, the home page with each role's to-do list, and background-job progress."""

from __future__ import annotations

from django import forms
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from jixiao.core import audit
from jixiao.core.models import Job
from jixiao.core.permissions import Action, actor_for
from jixiao.organisations.auth import check_credentials
from jixiao.web import todo
from jixiao.web.audit import AuditFilterForm, audit_events


class LoginForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    password = forms.CharField(label="密码", widget=forms.PasswordInput, max_length=128)


@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated:
        return redirect("web:home")
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = check_credentials(form.cleaned_data["username"], form.cleaned_data["password"])
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            login(request, user, backend="jixiao.organisations.auth.LockoutModelBackend")
            audit.record(actor=user, action="login", obj=user, object_repr=user.username)
            next_url = request.GET.get("next", "")
            if next_url.startswith("/") and not next_url.startswith("//"):
                return redirect(next_url)
            return redirect("web:home")
    return render(request, "web/login.html", {"form": form})


@require_POST
def logout_view(request):
    logout(request)
    return redirect("web:login")


@login_required
def home(request):
    actor = actor_for(request.user)
    return render(request, "web/home.html", {"todos": todo.todos_for(actor), "grants": actor.grants})


def _visible_job(request, pk):
    try:
        return Job.objects.get(pk=pk, created_by=request.user)
    except Job.DoesNotExist:
        raise Http404("未找到该任务") from None


@login_required
def job_list(request):
    jobs = Job.objects.filter(created_by=request.user)[:50]
    return render(request, "web/job_list.html", {"jobs": jobs})


@login_required
def job_detail(request, pk):
    job = _visible_job(request, pk)
    if request.headers.get("Accept") == "application/json" or request.GET.get("format") == "json":
        return JsonResponse({
            "id": job.pk, "status": job.status, "status_label": job.get_status_display(), "progress": job.progress,
            "total": job.total, "percent": job.percent, "message": job.message, "finished": job.finished,
            "errors": job.errors[:200], "error_count": len(job.errors), "result": job.result,
        }, json_dumps_params={"ensure_ascii": False})
    return render(request, "web/job_detail.html", {"job": job})


@login_required
def placeholder(request, title):
    """Stands in for a page an app has not built yet."""
    return render(request, "web/placeholder.html", {"title": title})


@login_required
def audit_list(request):
    actor = actor_for(request.user)
    if not actor.may(Action.AUDIT):
        raise PermissionDenied("您没有查看审计日志的权限")
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    page = Paginator(audit_events(actor, filters), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "web/audit_list.html", {"form": form, "page": page, "query": query.urlencode()})
