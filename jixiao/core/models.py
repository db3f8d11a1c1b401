"""What every domain app shares: the organisation columns of scoped documents, the audit trail, workflow history,
document versions and background-job progress."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class OrgScoped(models.Model):
    """A document that belongs to a place in the organisation tree.

    Every scoped document carries its region, department and unit (denormalised), so that one permission filter
    (`jixiao.core.permissions.scope`) serves every list, export and API call, and each column can be indexed.
    """

    region = models.ForeignKey("organisations.Region", on_delete=models.PROTECT, related_name="+", verbose_name="区划")
    department = models.ForeignKey(
        "organisations.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="主管部门",
    )
    unit = models.ForeignKey(
        "organisations.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="预算单位"
    )

    class Meta:
        abstract = True


class WorkflowDocument(models.Model):
    """A document that moves through a workflow (see `jixiao.core.workflow`).

    `lock_version` guards concurrent edits: every write says which version it started from, and a write from a stale
    version is refused instead of silently overwriting. `revision` counts adjustments after approval (1 = original).
    """

    state = models.CharField("状态", max_length=32, db_index=True)
    lock_version = models.PositiveIntegerField("并发版本", default=1)
    revision = models.PositiveIntegerField("版本号", default=1)

    workflow = None  # set on the concrete class: a jixiao.core.workflow.Workflow

    class Meta:
        abstract = True


class FiledDocument(models.Model):
    """A document filed with a case (an evaluation step's material, a commission's deliverable): its title, content
    or summary, reference number, who filed it and when. The concrete class adds its case, stage and kind."""

    title = models.CharField("标题", max_length=200)
    content = models.TextField("内容或摘要", blank=True)
    reference = models.CharField("文号或存档编号", max_length=100, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class AuditEvent(models.Model):
    """One row per create, change or delete of any document, with before and after."""

    class Action(models.TextChoices):
        CREATE = "create", "新增"
        UPDATE = "update", "修改"
        DELETE = "delete", "删除"
        TRANSITION = "transition", "流转"
        IMPORT = "import", "导入"
        LOGIN = "login", "登录"
        LOGIN_FAILED = "login_failed", "登录失败"

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name="操作人",
    )
    actor_name = models.CharField("操作人姓名", max_length=150, blank=True)
    action = models.CharField("操作", max_length=20, choices=Action.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField("对象", max_length=300, blank=True)
    region_id_value = models.BigIntegerField(null=True, blank=True, db_index=True)
    before = models.JSONField("修改前", null=True, blank=True)
    after = models.JSONField("修改后", null=True, blank=True)
    comment = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "审计记录"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"])]

    def changes(self) -> list[tuple[str, object, object]]:
        before, after = self.before or {}, self.after or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class WorkflowStep(models.Model):
    """One transition of one document: who, when, from which state to which, and why."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.BigIntegerField()
    document = GenericForeignKey("content_type", "object_id")
    workflow = models.CharField(max_length=50)
    transition = models.CharField("操作", max_length=50)
    transition_label = models.CharField("操作名称", max_length=50)
    from_state = models.CharField("原状态", max_length=32)
    to_state = models.CharField("新状态", max_length=32)
    revision = models.PositiveIntegerField("版本号", default=1)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_role = models.CharField("身份", max_length=30, blank=True)
    comment = models.TextField("意见", blank=True)
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "流转记录"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"])]


class DocumentVersion(models.Model):
    """A frozen copy of a document at approval, so that later adjustments keep every version and can be diffed."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.BigIntegerField()
    revision = models.PositiveIntegerField("版本号")
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "文档版本"
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id", "revision"], name="uniq_document_revision")
        ]


class Job(models.Model):
    """A long piece of work (an import, a batch) run by the background worker, with progress the user can watch."""

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "进行中"
        SUCCEEDED = "succeeded", "已完成"
        FAILED = "failed", "失败"

    kind = models.CharField("任务类型", max_length=50, db_index=True)
    label = models.CharField("任务名称", max_length=200)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="jobs")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress = models.PositiveIntegerField("已处理", default=0)
    total = models.PositiveIntegerField("总数", default=0)
    message = models.CharField("说明", max_length=500, blank=True)
    params = models.JSONField(default=dict, blank=True)
    errors = models.JSONField("错误", default=list, blank=True)
    result = models.JSONField("结果", default=dict, blank=True)
    input_file = models.FileField(upload_to="jobs/%Y/%m/", blank=True)

    class Meta:
        verbose_name = "后台任务"
        ordering = ["-created_at", "-id"]

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        return int(self.progress * 100 / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)
