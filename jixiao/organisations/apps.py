from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "jixiao.organisations"
    label = "organisations"
    verbose_name = "组织机构"

    def ready(self):
        from jixiao.core.permissions import DocType, register
        from jixiao.organisations.models import Agency, Department, Region, RoleAssignment, Unit

        register(Region, DocType(region="pk", department=None, unit=None, region_path="path"))
        # A classified department (涉密部门) and its units are withheld from outsiders like classified subjects.
        register(Department, DocType(region="region_id", department="pk", unit=None, classified="is_classified"))
        register(Unit, DocType(region="region_id", department="department_id", unit="pk",
                               classified="department__is_classified"))
        # Agencies hang off the region where they are registered; an agency's own people see it through their
        # membership (see selectors.agencies_for), not through a reach.
        register(Agency, DocType(region="region_id", department=None, unit=None, agency="pk"))
        # A role assignment sits at its node: who may manage it (and so the user holding it) follows Action.MANAGE.
        register(RoleAssignment, DocType(region="region_id", department="department_id", unit="unit_id"))

        from jixiao.organisations import tasks  # noqa: F401  (registers the import job runners)
