"""Background jobs of monitoring: creating a round's tasks and computing its warnings (a province's round has
hundreds of thousands of reports; the user watches the job's progress)."""

from __future__ import annotations

from jixiao.core.jobs import job_progress, job_start, runner

GENERATE_JOB = "monitoring_generate"
COMPUTE_JOB = "monitoring_compute"


def start_generate(*, actor, rnd):
    return job_start(user=actor.user, kind=GENERATE_JOB, label=f"生成监控任务：{rnd}"[:200],
                     params={"round": rnd.pk})


def start_compute(*, actor, rnd):
    return job_start(user=actor.user, kind=COMPUTE_JOB, label=f"计算监控预警：{rnd}"[:200],
                     params={"round": rnd.pk})


def _round(job):
    from jixiao.monitoring.models import MonitoringRound

    return MonitoringRound.objects.select_related("fiscal_year", "region").get(pk=job.params["round"])


@runner(GENERATE_JOB)
def run_generate(job) -> dict:
    from jixiao.monitoring import services

    rnd = _round(job)
    created = services.round_generate(rnd, progress=lambda done, total: job_progress(
        job, done, total, f"已生成 {done}/{total} 个监控任务"))
    res = services.compute_reports(rnd)
    return {"created": created, "computed": res.reports, "message": f"已生成 {created} 个监控任务"}


@runner(COMPUTE_JOB)
def run_compute(job) -> dict:
    from jixiao.core.permissions import actor_for
    from jixiao.monitoring import services

    rnd = _round(job)
    job_progress(job, 0, 1, "正在读取执行数并计算预警")
    services.round_refresh_spending(rnd)
    res = services.round_compute(actor=actor_for(job.created_by) if job.created_by_id else None, rnd=rnd)
    job_progress(job, 1, 1)
    return {"reports": res.reports, "rows": res.rows, "needs_disposition": res.needs_disposition,
            "message": f"已计算 {res.reports} 个项目、{res.rows} 条指标的预警，{res.needs_disposition} 个须处置"}
