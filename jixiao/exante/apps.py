from django.apps import AppConfig


class ExAnteConfig(AppConfig):
    name = "jixiao.exante"
    label = "exante"
    verbose_name = "事前绩效评估"

    def ready(self):
        from jixiao.core.permissions import DocType, register
        from jixiao.exante.models import ExAnteAssessment
        from jixiao.exante.workflows import ASSESSMENT_WORKFLOW

        register(ExAnteAssessment, DocType(
            subject="subject_id", classified=("subject__is_classified", "department__is_classified"),
            editable_states=ASSESSMENT_WORKFLOW.editable_states))
