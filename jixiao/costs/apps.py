from django.apps import AppConfig


class CostsConfig(AppConfig):
    name = "jixiao.costs"
    label = "costs"
    verbose_name = "成本与支出标准"

    def ready(self):
        from jixiao.core.permissions import DocType, register
        from jixiao.costs.models import SpendingStandard

        # Standards are region-wide reference data: read by everyone in the region, kept by the finance bureau.
        register(SpendingStandard, DocType(department=None, unit=None))
