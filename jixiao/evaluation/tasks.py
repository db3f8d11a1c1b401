"""Background jobs of self-evaluation: creating a round's sheets and scoring a round (a province's round has hundreds
of thousands of sheets; the user watches the job's progress)."""

from __future__ import annotations

from jixiao.core.jobs import job_progress, job_start, runner

GENERATE_JOB = "self_evaluation_generate"
SCORE_JOB = "self_evaluation_score"


def start_generate(*, actor, rnd):
    return job_start(user=actor.user, kind=GENERATE_JOB, label=f"生成自评表：{rnd.region.name}{rnd}"[:200],
                     params={"round": rnd.pk})


def start_score(*, actor, rnd):
    return job_start(user=actor.user, kind=SCORE_JOB, label=f"重新计分：{rnd.region.name}{rnd}"[:200],
                     params={"round": rnd.pk})


def _round(job):
    from jixiao.evaluation.models import SelfEvaluationRound

    return SelfEvaluationRound.objects.select_related("fiscal_year", "region").get(pk=job.params["round"])


@runner(GENERATE_JOB)
def run_generate(job) -> dict:
    from jixiao.evaluation import services

    rnd = _round(job)
    created = services.round_generate(rnd, progress=lambda done, total: job_progress(
        job, done, total, f"已生成 {done}/{total} 张自评表"))
    return {"created": created, "message": f"已生成 {created} 张自评表"}


@runner(SCORE_JOB)
def run_score(job) -> dict:
    from jixiao.core.permissions import actor_for
    from jixiao.evaluation import services

    rnd = _round(job)
    job_progress(job, 0, 1, "正在按政策配置计分")
    res = services.round_score(actor=actor_for(job.created_by) if job.created_by_id else None, rnd=rnd)
    job_progress(job, 1, 1)
    return {"evaluations": res.evaluations, "lines": res.lines, "changed": res.changed,
            "message": f"已计分 {res.evaluations} 张自评表，{res.changed} 张得分有变化"}
