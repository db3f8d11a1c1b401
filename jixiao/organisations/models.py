"""Organisations and people: regions with their finance bureaus, departments, units, agencies, users and the roles
they hold at a node of the organisation tree."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from pypinyin import Style, lazy_pinyin


def pinyin_sort_key(text: str) -> str:
    """A stored key that sorts Chinese names the way a Chinese reader expects (by pinyin), on every database."""
    return " ".join(lazy_pinyin(text or "", style=Style.TONE3, errors="default")).lower()[:200]


class Region(models.Model):
    """A level of government with its own budget and finance bureau (province, city, county/district, town)."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, "省"
        CITY = 2, "市"
        COUNTY = 3, "县(区)"
        TOWN = 4, "乡镇(街道)"

    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("区划名称", max_length=100)
    level = models.PositiveSmallIntegerField("层级", choices=Level.choices)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name="上级区划")
    # Materialised path of ids ("/1/5/23/"): a subtree is one indexed prefix filter.
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    bureau_name = models.CharField("财政部门名称", max_length=100, help_text="如：通辽市财政局")
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "区划"
        verbose_name_plural = "区划"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        path = self.compute_path()
        if path != self.path:
            # Moving a region must also re-path its subtree: see organisations.services.region_move.
            self.path = path
            Region.objects.filter(pk=self.pk).update(path=path)

    def compute_path(self) -> str:
        prefix = self.parent.path if self.parent_id else "/"
        return f"{prefix}{self.pk}/"

    def ancestors_and_self_ids(self) -> list[int]:
        return [int(x) for x in self.path.strip("/").split("/") if x]


class Department(models.Model):
    """A government department with a budget of its own (主管部门/一级预算单位), e.g. 教育局."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="departments", verbose_name="区划")
    code = models.CharField("部门编码", max_length=30)
    name = models.CharField("部门名称", max_length=100)
    sector = models.CharField("所属行业", max_length=50, blank=True)
    sort_key = models.CharField(max_length=200, editable=False, default="", db_index=True)
    is_classified = models.BooleanField("涉密部门", default=False)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "主管部门"
        verbose_name_plural = "主管部门"
        ordering = ["region", "code"]
        constraints = [models.UniqueConstraint(fields=["region", "code"], name="uniq_department_code")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.sort_key = pinyin_sort_key(self.name)
        super().save(*args, **kwargs)


class Unit(models.Model):
    """A budget unit under a department (预算单位): a school, a clinic, the department's own office."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="units", verbose_name="主管部门")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="units", verbose_name="区划")
    code = models.CharField("单位编码", max_length=30)
    name = models.CharField("单位名称", max_length=100)
    sort_key = models.CharField(max_length=200, editable=False, default="", db_index=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "预算单位"
        verbose_name_plural = "预算单位"
        ordering = ["region", "code"]
        constraints = [models.UniqueConstraint(fields=["region", "code"], name="uniq_unit_code")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.sort_key = pinyin_sort_key(self.name)
        if self.department_id and not self.region_id:
            self.region_id = self.department.region_id
        super().save(*args, **kwargs)


class AgencyStatus(models.TextChoices):
    NORMAL = "normal", "正常"
    SUSPENDED = "suspended", "暂停委托"
    DISQUALIFIED = "disqualified", "取消评价资格"


class Agency(models.Model):
    """A third-party institution (第三方机构) and its registry entry (财监〔2021〕4号 第八条). Its people, services,
    violations, commissions and inspections are in the agencies app; here it is an organisation its users belong
    to."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="agencies", verbose_name="登记区划")
    name = models.CharField("机构名称", max_length=150)
    credit_code = models.CharField("统一社会信用代码", max_length=18, unique=True)
    is_active = models.BooleanField("启用", default=True)
    status = models.CharField("执业状态", max_length=20, choices=AgencyStatus.choices, default=AgencyStatus.NORMAL,
                              db_index=True)
    legal_representative = models.CharField("法定代表人", max_length=60, blank=True)
    contact = models.CharField("联系人", max_length=60, blank=True)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    qualifications = models.TextField("机构资质", blank=True, help_text="资质证书、执业许可等，每行一项")
    platform_registered = models.BooleanField("已在第三方机构信用管理平台登记", default=False)
    registry_updated_on = models.DateField("登记信息最近更新日期", null=True, blank=True)

    class Meta:
        verbose_name = "第三方机构"
        verbose_name_plural = "第三方机构"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """The roles of SYSTEM.md section 1 (the public needs no account)."""

    SYSADMIN = "sysadmin", "系统管理员"
    FINANCE_ADMIN = "finance_admin", "财政绩效管理员"
    BUDGET_OFFICER = "budget_officer", "财政预算业务科室"
    DEPARTMENT = "department", "主管部门"
    UNIT = "unit", "预算单位"
    AGENCY = "agency", "第三方机构"
    EXPERT = "expert", "专家"
    OVERSEER = "overseer", "监督部门(人大/审计/纪检)"


class User(AbstractUser):
    """A person with a password login. What they may see and do comes from their role assignments."""

    full_name = models.CharField("姓名", max_length=60, blank=True)
    phone = models.CharField("电话", max_length=30, blank=True)
    failed_logins = models.PositiveSmallIntegerField("连续登录失败次数", default=0)
    locked_until = models.DateTimeField("锁定至", null=True, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    def is_locked(self, now=None) -> bool:
        now = now or timezone.now()
        return bool(self.locked_until and self.locked_until > now)


class RoleAssignment(models.Model):
    """A role held by a user at one node: a region (finance, overseers), a department, a unit or an agency.

    A budget officer is in charge of some departments of the region (`departments`); an expert works on what is
    assigned to them (see `jixiao.core.permissions`)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments", verbose_name="用户")
    role = models.CharField("角色", max_length=30, choices=Role.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name="区划")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name="主管部门")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name="预算单位")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name="第三方机构")
    departments = models.ManyToManyField(Department, blank=True, related_name="officers",
                                         verbose_name="分管部门")

    class Meta:
        verbose_name = "角色分配"
        verbose_name_plural = "角色分配"
        indexes = [models.Index(fields=["user", "role"])]

    def __str__(self) -> str:
        node = self.unit or self.department or self.agency or self.region
        return f"{self.get_role_display()} @ {node}"

    def node_name(self) -> str:
        return str(self.unit or self.department or self.agency or self.region.bureau_name)


class ApiToken(models.Model):
    """A token for the REST API, obtained with username and password. Only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "接口令牌"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, *, name: str = "", expires_at=None) -> tuple[ApiToken, str]:
        key = secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, key_hash=cls.hash_key(key), prefix=key[:8], name=name,
                                   expires_at=expires_at)
        return token, key
