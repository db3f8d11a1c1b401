"""Background jobs with progress: a `Job` row the user can watch, run by Django's tasks API (database backend)."""

from __future__ import annotations

import logging
import traceback

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from jixiao.core.models import Job

logger = logging.getLogger(__name__)

_RUNNERS: dict[str, object] = {}


def runner(kind: str):
    """Register `func(job) -> dict` as the runner of jobs of this kind. It reports progress with `job_progress`."""

    def decorator(func):
        _RUNNERS[kind] = func
        return func

    return decorator


def job_start(*, user, kind: str, label: str, params: dict | None = None, input_file=None, total: int = 0) -> Job:
    """Create a job and enqueue it after the surrounding transaction commits."""
    job = Job.objects.create(created_by=user, kind=kind, label=label, params=params or {}, total=total)
    if input_file is not None:
        job.input_file.save(getattr(input_file, "name", "upload.bin"), input_file, save=True)
    transaction.on_commit(lambda: run_job.enqueue(job.pk))
    return job


def job_progress(job: Job, progress: int, total: int | None = None, message: str | None = None) -> None:
    fields = {"progress": progress}
    if total is not None:
        fields["total"] = total
    if message is not None:
        fields["message"] = message[:500]
    Job.objects.filter(pk=job.pk).update(**fields)
    for k, v in fields.items():
        setattr(job, k, v)


@task()
def run_job(job_id: int) -> None:
    job = Job.objects.get(pk=job_id)
    if job.finished:
        return
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, started_at=timezone.now())
    func = _RUNNERS.get(job.kind)
    try:
        if func is None:
            raise LookupError(f"no runner for job kind {job.kind!r}")
        outcome = func(job) or {}
        errors = outcome.pop("errors", [])
        status = Job.Status.FAILED if errors else Job.Status.SUCCEEDED
        Job.objects.filter(pk=job.pk).update(
            status=status, finished_at=timezone.now(), result=outcome, errors=errors,
            message=outcome.get("message", "")[:500] or ("未导入：文件有错误" if errors else "已完成"),
        )
    except Exception as exc:  # the job records the failure for the user; the worker keeps going
        logger.exception("job %s failed", job.pk)
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.FAILED, finished_at=timezone.now(), message=f"任务失败：{exc}"[:500],
            errors=[{"message": "系统错误，请联系管理员", "detail": traceback.format_exc()[-2000:]}],
        )
