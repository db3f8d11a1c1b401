from django.apps import AppConfig


class BudgetConfig(AppConfig):
    name = "jixiao.budget"
    label = "budget"
    verbose_name = "预算与项目库"

    def ready(self):
        from jixiao.budget.models import PerformanceSubject
        from jixiao.budget.workflows import SUBJECT_WORKFLOW
        from jixiao.core.permissions import DocType, register

        register(PerformanceSubject, DocType(subject="pk", classified=("is_classified", "department__is_classified"),
                                             editable_states=SUBJECT_WORKFLOW.editable_states))

        from jixiao.budget import tasks  # noqa: F401  (registers the import job runners)
