from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "jixiao.organisations"
    label = "organisations"
    verbose_name = "组织机构"

    def ready(self):
        from jixiao.core.permissions import DocType, register
        from jixiao.organisations.models import Department, Region, Unit

        register(Region, DocType(region="pk", department=None, unit=None, region_path="path"))
        register(Department, DocType(region="region_id", department="pk", unit=None))
        register(Unit, DocType(region="region_id", department="department_id", unit="pk"))
