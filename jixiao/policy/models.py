"""The policy profile (政策配置): every rule number per region and year, typed, validated and versioned.

A profile row is immutable once saved: a change creates a new version, and results computed in a year record the
version they used, so a later change never alters a past year's results. The typed schema lives in
`jixiao.policy.schema`; presets in `jixiao.policy.presets`; writes go through `jixiao.policy.services` and reads
through `jixiao.policy.selectors` (`effective_profile`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ImmutableRowError(RuntimeError):
    """A saved profile version was about to be changed in place."""


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

    def save(self, *args, **kwargs):
        # Versions are facts that past results point to: never rewrite one (services create a new version instead).
        if not self._state.adding:
            raise ImmutableRowError("政策配置的已保存版本不可修改，请保存为新版本")
        super().save(*args, **kwargs)

    @property
    def where(self) -> str:
        return self.region.name if self.region_id else "全国默认"

    @property
    def preset_label(self) -> str:
        from jixiao.policy.presets import PRESETS

        return PRESETS[self.preset].name if self.preset in PRESETS else self.preset

    def typed(self):
        """The stored parameters as a validated `PolicyParams`."""
        from jixiao.policy.schema import PolicyParams

        return PolicyParams.model_validate(self.params)


class PolicyYearLock(models.Model):
    """A region's year whose results are final: its own profile for that year may no longer get new versions.

    Results already store the profile version they used, so a lock is not needed for correctness; it stops a
    bureau from publishing a rule change for a year that is closed (and so from confusing readers)."""

    region = models.ForeignKey("organisations.Region", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name="区划", help_text="为空表示全国默认")
    fiscal_year = models.PositiveSmallIntegerField("年度")
    reason = models.CharField("锁定原因", max_length=200)
    locked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    locked_at = models.DateTimeField("锁定时间", auto_now_add=True)

    class Meta:
        verbose_name = "年度锁定"
        verbose_name_plural = "年度锁定"
        constraints = [
            models.UniqueConstraint(fields=["region", "fiscal_year"], name="uniq_policy_year_lock"),
            models.UniqueConstraint(fields=["fiscal_year"], condition=models.Q(region__isnull=True),
                                    name="uniq_national_policy_year_lock"),
        ]

    def __str__(self) -> str:
        where = self.region.name if self.region_id else "全国默认"
        return f"{where} {self.fiscal_year}年（已锁定）"
