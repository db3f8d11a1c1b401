"""Screens' side of the workflow: the POST of a workflow button, shared by every document's detail page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect

from jixiao.core.permissions import actor_for
from jixiao.core.views import int_or_none as _int
from jixiao.core.workflow import ConcurrentEditError


def run_transition(request, *, doc, names, service, flow, what: str, detail: str):
    """POST of a workflow button on a document: run it and say what happened, back to the detail page."""
    actor = actor_for(request.user)
    name = request.POST.get("transition", "")
    if name not in names:
        messages.error(request, "操作未执行：未知操作")
        return redirect(detail, pk=doc.pk)
    try:
        service(actor=actor, name=name, comment=request.POST.get("comment", "")[:2000],
                expected_lock_version=_int(request.POST.get("lock_version")))
    except ConcurrentEditError:
        messages.error(request, f"操作未执行：该{what}已被他人修改或已流转，请查看最新状态后再操作。")
    except ValidationError as exc:
        messages.error(request, "操作未执行：" + "；".join(str(m) for m in exc.messages))
    else:
        messages.success(request, f"已{flow.get(name).label}，当前状态：{doc.get_state_display()}")
    return redirect(detail, pk=doc.pk)


def save_then_submit(request, *, save, submit, detail: str, edit: str, pk, stale: str):
    """The POST of a document's form: `save()` writes it and returns what submission still needs; with
    then=submit and nothing missing, `submit()` follows. Returns (a redirect, None), or (None, the field errors) when
    nothing was saved and the form is shown again with them."""
    try:
        problems = save()
    except ConcurrentEditError:
        messages.error(request, stale)
        return redirect(edit, pk=pk), None
    except ValidationError as exc:
        errors = exc.message_dict
        messages.error(request, "未保存：" + "；".join(m for ms in errors.values() for m in ms))
        return None, errors
    if request.POST.get("then") == "submit" and not problems:
        try:
            state = submit()
        except ValidationError as exc:
            messages.error(request, "已保存，但未提交：" + "；".join(str(m) for m in exc.messages))
        else:
            messages.success(request, f"已保存并提交，当前状态：{state}")
        return redirect(detail, pk=pk), None
    if problems:
        messages.error(request, "已保存。提交前还须处理：" + "；".join(m for ms in problems.values() for m in ms))
    else:
        messages.success(request, "已保存，可以提交")
    return redirect(edit, pk=pk), None
