from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "jixiao.policy"
    label = "policy"
    verbose_name = "政策配置"

    def ready(self):
        from jixiao.core.permissions import DocType, register
        from jixiao.policy.models import PolicyProfile, PolicyYearLock

        # Profiles hang on a region only (national rows have none): reach by region and region subtree.
        doc_type = DocType(region="region_id", department=None, unit=None, region_path="region__path")
        register(PolicyProfile, doc_type)
        register(PolicyYearLock, doc_type)
