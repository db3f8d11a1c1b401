"""Background jobs of the organisations app: the organisation and user imports (progress on web:job_detail)."""

from __future__ import annotations

from jixiao.core.jobs import job_progress, runner
from jixiao.core.models import Job
from jixiao.organisations.imports import import_organisations, import_users

IMPORT_ORGANISATIONS = "organisations.import_organisations"
IMPORT_USERS = "organisations.import_users"


def _read(job: Job) -> bytes:
    with job.input_file.open("rb") as f:
        return f.read()


def _outcome(result, what: str) -> dict:
    if not result.ok:
        return {"errors": [e.as_dict() for e in result.errors]}
    outcome = {"message": f"{what}完成：{result.summary()}", "created": dict(result.created),
               "updated": dict(result.updated), "unchanged": dict(result.unchanged)}
    return outcome


@runner(IMPORT_ORGANISATIONS)
def run_import_organisations(job: Job) -> dict:
    result = import_organisations(actor=job.created_by, data=_read(job), filename=job.params.get("filename", ""),
                                  progress=lambda n, total: job_progress(job, n, total))
    return _outcome(result, "组织机构导入")


@runner(IMPORT_USERS)
def run_import_users(job: Job) -> dict:
    result = import_users(actor=job.created_by, data=_read(job), filename=job.params.get("filename", ""),
                          progress=lambda n, total: job_progress(job, n, total))
    outcome = _outcome(result, "用户导入")
    if result.ok and result.passwords:
        # Shown once: the download view removes them from the job after serving them.
        outcome["passwords"] = result.passwords
        outcome["message"] += (f"；{len(result.passwords)} 个用户的初始密码为自动生成，"
                               "请在“用户导入”页面下载（仅可下载一次）")
    return outcome
