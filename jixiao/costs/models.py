"""Spending standards (支出标准/定额标准): what one unit of an output should cost. Cost targets of goal sheets may not
exceed them (101号 三(三)); ex-ante cost analysis compares unit costs with them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from jixiao.core.money import MoneyField


class CostCategory(models.TextChoices):
    """Cost categories of a cost breakdown (RULES §11, implementable model)."""

    PERSONNEL = "personnel", "人员成本"
    GOODS_SERVICES = "goods_services", "商品和服务成本"
    CAPITAL = "capital", "资本性成本"
    INDIRECT = "indirect", "间接/分摊成本"
    EXTERNAL = "external", "外部成本（社会、生态）"


class SpendingStandard(models.Model):
    """One spending standard of a region (national ones have no region), valid from a year on."""

    region = models.ForeignKey("organisations.Region", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name="区划")
    code = models.CharField("标准编码", max_length=40)
    name = models.CharField("标准名称", max_length=200, help_text="如“中小学校舍维修每平方米”")
    output_unit = models.CharField("计量单位", max_length=20, help_text="每单位产出，如“平方米”“人·年”")
    amount = MoneyField("标准金额(元/单位)")
    category = models.CharField("成本类别", max_length=20, choices=CostCategory.choices, blank=True)
    sector = models.CharField("所属行业", max_length=50, blank=True)
    keywords = models.CharField("匹配关键词", max_length=200, blank=True,
                                help_text="以逗号分隔；成本指标名称含任一关键词时按本标准校验")
    valid_from = models.PositiveSmallIntegerField("起始年度")
    valid_to = models.PositiveSmallIntegerField("截止年度", null=True, blank=True)
    source = models.CharField("依据文件", max_length=200, blank=True)
    is_active = models.BooleanField("启用", default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "支出标准"
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["region", "code", "valid_from"], name="uniq_standard_code")]
        indexes = [models.Index(fields=["region", "is_active", "valid_from"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.amount.yuan}元/{self.output_unit}）"
