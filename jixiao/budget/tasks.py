"""Background jobs of the project library: the two imports from the integrated budget system."""

from jixiao.budget.imports import EXECUTION_JOB, SUBJECT_JOB, run_import_job
from jixiao.core.jobs import runner


@runner(SUBJECT_JOB)
def run_subject_import(job) -> dict:
    return run_import_job(job)


@runner(EXECUTION_JOB)
def run_execution_import(job) -> dict:
    return run_import_job(job)
