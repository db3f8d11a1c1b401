from django.apps import AppConfig


class AgenciesConfig(AppConfig):
    name = "jixiao.agencies"
    label = "agencies"
    verbose_name = "第三方机构"

    def ready(self):
        from jixiao.agencies.models import Commission, Inspection
        from jixiao.agencies.workflows import OPEN_STAGES
        from jixiao.core.permissions import DocType, register

        # The commissioner reaches a commission by its region (the bureau) or department; the agency only its own
        # commissions (never a classified subject: those are never commissioned); an expert by subject grant.
        register(Commission, DocType(unit=None, subject="subject_id", agency="agency_id",
                                     classified=("subject__is_classified", "subject__department__is_classified"),
                                     editable_states=frozenset(OPEN_STAGES)))
        register(Inspection, DocType(department=None, unit=None))
