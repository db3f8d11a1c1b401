from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "jixiao.policy"
    label = "policy"
    verbose_name = "政策配置"
