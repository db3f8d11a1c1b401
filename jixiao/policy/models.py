"""The policy profile (政策配置): every rule number per region and year, typed, validated and versioned.

A profile row is immutable once saved: a change creates a new version, and results computed in a year record the
version they used, so a later change never alters a past year's results. The typed schema lives in
`jixiao.policy.schema`; presets in `jixiao.policy.presets`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PolicyProfile(models.Model):
    region = models.ForeignKey("organisations.Region", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="policy_profiles", verbose_name="区划", help_text="为空表示全国默认")
    fiscal_year = models.PositiveSmallIntegerField("适用年度")
    version = models.PositiveIntegerField("版本")
    preset = models.CharField("基于预设", max_length=50, blank=True)
    name = models.CharField("名称", max_length=100)
    params = models.JSONField("参数")
    comment = models.TextField("修改说明", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "政策配置"
        verbose_name_plural = "政策配置"
        ordering = ["region", "-fiscal_year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["region", "fiscal_year", "version"], name="uniq_profile_version"),
            models.UniqueConstraint(fields=["fiscal_year", "version"], condition=models.Q(region__isnull=True),
                                    name="uniq_national_profile_version"),
        ]

    def __str__(self) -> str:
        where = self.region.name if self.region_id else "全国默认"
        return f"{where} {self.fiscal_year}年 v{self.version}"
