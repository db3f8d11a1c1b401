from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "jixiao.indicators"
    label = "indicators"
    verbose_name = "指标库"

    def ready(self):
        # Registers the job runner of the Excel import. Permissions are decided in selectors.library_access (the
        # library's reach rule is not a DocType reach: everyone reads national and higher-region indicators).
        from jixiao.indicators import tasks  # noqa: F401
