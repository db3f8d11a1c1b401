from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "jixiao.demo"
    label = "demo"
    verbose_name = "演示与规模数据"
