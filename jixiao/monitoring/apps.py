from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "jixiao.monitoring"
    label = "monitoring"
    verbose_name = "绩效运行监控"

    def ready(self):
        from jixiao.core.permissions import DocType, register
        from jixiao.monitoring import tasks  # noqa: F401  (registers the job runners)
        from jixiao.monitoring.models import MonitoringDisposition, MonitoringReport, MonitoringRound
        from jixiao.monitoring.workflows import DISPOSITION_WORKFLOW, REPORT_WORKFLOW

        classified = ("subject__is_classified", "department__is_classified")
        register(MonitoringReport, DocType(subject="subject_id", classified=classified,
                                           editable_states=REPORT_WORKFLOW.editable_states))
        # A round belongs to its region only: the bureau of the region opens and computes it (Action.APPROVE).
        register(MonitoringRound, DocType(department=None, unit=None))
        register(MonitoringDisposition, DocType(subject="subject_id", classified=classified,
                                                editable_states=DISPOSITION_WORKFLOW.editable_states))
