from django.apps import AppConfig


class AgenciesConfig(AppConfig):
    name = "jixiao.agencies"
    label = "agencies"
    verbose_name = "第三方机构"
