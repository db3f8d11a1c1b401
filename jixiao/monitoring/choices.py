"""The fixed vocabularies of the monitoring form (RULES §5.3, 136号 附件 / 河南 附件1)."""

from django.db import models


class DeviationCause(models.TextChoices):
    """偏差原因分析: tick one or more."""

    FUNDING = "funding", "经费保障"
    INSTITUTION = "institution", "制度保障"
    STAFFING = "staffing", "人员保障"
    FACILITIES = "facilities", "硬件条件保障"
    OTHER = "other", "其他"


class Likelihood(models.TextChoices):
    """完成目标可能性."""

    CERTAIN = "certain", "确定能"
    POSSIBLE = "possible", "有可能"
    IMPOSSIBLE = "impossible", "完全不可能"


class Achievement(models.TextChoices):
    """Progress of a qualitative indicator (FASP indexval: 达成/部分达成/未达成)."""

    ACHIEVED = "achieved", "达成"
    PARTIAL = "partial", "部分达成并具有一定效果"
    NOT_ACHIEVED = "not_achieved", "未达成且效果较差"


class RoundKind(models.TextChoices):
    POINT = "point", "监控节点"
    BOND_MONTHLY = "bond_monthly", "专项债券月度监控"
