"""Background work of the indicator library: the Excel import job (`indicators.import`) and warming the search
index after bulk changes."""

from __future__ import annotations

from django_tasks import task

from jixiao.core.jobs import job_progress, runner
from jixiao.core.permissions import actor_for

IMPORT_KIND = "indicators.import"


@runner(IMPORT_KIND)
def run_import(job) -> dict:
    """Import the uploaded library file as the user who started the job (their rights are checked again here)."""
    from jixiao.indicators.excel import import_indicators

    actor = actor_for(job.created_by)
    with job.input_file.open("rb") as fh:
        data = fh.read()
    region_id = job.params.get("region_id")
    filename = job.params.get("filename") or job.input_file.name

    def progress(n, total):
        job_progress(job, n, total)

    outcome = import_indicators(data, filename=filename, actor=actor, region_id=region_id, progress=progress)
    if not outcome.ok:
        return {"errors": [e.as_dict() for e in outcome.errors], "rows": outcome.rows}
    result = outcome.result
    return {"message": f"导入完成：{result.message}", "created": result.created, "updated": result.updated,
            "unchanged": result.unchanged, "rows": outcome.rows}


@task()
def warm_search_index() -> None:
    """After a bulk change: build this worker's search index and leave a snapshot file (search.snapshots), so the
    web workers load the new index in a second instead of each analysing the whole library on a user's search."""
    from jixiao.indicators.search import library_search

    library_search.ensure_fresh()
