from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "jixiao.core"
    label = "core"
    verbose_name = "公共"

    def ready(self):
        from jixiao.core.models import AuditEvent
        from jixiao.core.permissions import DocType, register

        register(AuditEvent, DocType(region="region_id_value", department=None, unit=None, region_path=None))
