from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "jixiao.evaluation"
    label = "evaluation"
    verbose_name = "绩效评价"

    def ready(self):
        from jixiao.core.permissions import DocType, register
        from jixiao.evaluation import tasks  # noqa: F401  (registers the job runners)
        from jixiao.evaluation.models import (
            Evaluation,
            SelfEvaluation,
            SelfEvaluationRound,
            SpotCheck,
            SpotCheckItem,
        )
        from jixiao.evaluation.workflows import SELF_EVALUATION_WORKFLOW, SPOT_CHECK_WORKFLOW, EvaluationStep

        classified = ("subject__is_classified", "department__is_classified")
        register(SelfEvaluation, DocType(subject="subject_id", classified=classified,
                                         editable_states=SELF_EVALUATION_WORKFLOW.editable_states))
        # A round belongs to its region only: the bureau of the region opens and scores it (Action.APPROVE).
        register(SelfEvaluationRound, DocType(department=None, unit=None))
        register(SpotCheck, DocType(department=None, unit=None))
        # agencies reach the items of the subjects they were commissioned for (SubjectGrant, purpose 抽查复核)
        # an evaluation is the department's own document (unit empty) or the bureau's; agencies reach it by grant
        register(Evaluation, DocType(subject="subject_id", classified=classified,
                                     editable_states=frozenset(s for s in EvaluationStep if s != "archived")))
        register(SpotCheckItem, DocType(subject="subject_id", classified=classified,
                                        editable_states=SPOT_CHECK_WORKFLOW.editable_states))
