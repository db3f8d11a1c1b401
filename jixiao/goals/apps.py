from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "jixiao.goals"
    label = "goals"
    verbose_name = "绩效目标"

    def ready(self):
        from jixiao.core.permissions import DocType, register
        from jixiao.goals.models import GoalSheet
        from jixiao.goals.workflows import GOAL_WORKFLOW

        register(GoalSheet, DocType(
            subject="subject_id", classified=("subject__is_classified", "department__is_classified"),
            editable_states=GOAL_WORKFLOW.editable_states))
        from jixiao.goals import gate

        gate.install()
