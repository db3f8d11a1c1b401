"""Writes to the indicator library. Each service takes a required `actor` (keyword-only), checks the actor's rights
(`selectors.library_access`), validates with `rules.clean_indicator`, writes in one transaction with its audit row,
and logs the change for the search index (`_library_changed`).

Versioning: an indicator's definition (rules.DEFINITION_FIELDS) is frozen as an `IndicatorVersion` at creation and at
every edit, and `current_version` points at the newest. Goal sheets keep the version they used, so editing the library
never changes a sheet. Status changes (approve, retire, restore) and usage counts are not definition changes and make
no version.

Functions other apps call:
* `indicator_index_rebuild()` — after bulk-inserting indicators outside these services (demo data): every process's
  search index rebuilds before its next search.
* `indicator_usage_add(indicator_ids=..., delta=1)` — when goal sheets start or stop using indicators.
* `indicator_propose(actor=..., data=...)` — "纳入指标库" from a goal sheet: a draft for the curators to approve.
* `sector_seed_defaults()` and `jixiao.indicators.seed.load_common_indicators()` — reference data.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest

from jixiao.core import audit
from jixiao.core.permissions import Actor
from jixiao.core.workflow import ConcurrentEditError, claim_lock
from jixiao.indicators import rules
from jixiao.indicators.models import (
    IndexChange,
    Indicator,
    IndicatorStatus,
    IndicatorVersion,
    LibraryState,
    Sector,
)
from jixiao.indicators.selectors import library_access

LOG_IDS_MAX = 2000  # a change touching more indicators than this asks every index to rebuild
LOG_KEEP = 5000  # revisions of the change log kept; an index further behind rebuilds
AUTO = object()


# ---- the change log for the search index ------------------------------------------------------------------------

def _library_changed(indicator_ids: Iterable[int] | None) -> int:
    """Inside the writer's transaction: bump the library revision and log which indicators changed (None: all).
    Call it last in the transaction, so the revision row is locked as briefly as possible."""
    ids = None if indicator_ids is None else sorted(set(indicator_ids))
    if ids is not None and len(ids) > LOG_IDS_MAX:
        ids = None
    LibraryState.objects.get_or_create(pk=1)
    LibraryState.objects.filter(pk=1).update(revision=F("revision") + 1)
    revision = LibraryState.objects.filter(pk=1).values_list("revision", flat=True).get()
    IndexChange.objects.create(revision=revision, token=secrets.token_hex(4), indicator_ids=ids)
    if ids is None:
        IndexChange.objects.filter(revision__lt=revision).delete()
        transaction.on_commit(_enqueue_warm_index)
    elif revision % 100 == 0:
        IndexChange.objects.filter(revision__lt=revision - LOG_KEEP).delete()
    return revision


def _enqueue_warm_index() -> None:
    from jixiao.indicators.tasks import warm_search_index

    try:
        warm_search_index.enqueue()
    except Exception:  # a missing task backend must not fail the write that already committed
        logging.getLogger(__name__).warning("could not enqueue the search index warm-up", exc_info=True)


def indicator_index_rebuild() -> int:
    """Ask every process to rebuild its search index before its next search (cheap: one log row), and the background
    worker to build it now and leave a snapshot the web workers load quickly. Call it after inserting or changing
    indicators in bulk without these services (e.g. `bulk_create` in a data generator). Returns the new revision."""
    with transaction.atomic():
        return _library_changed(None)


# ---- snapshots ------------------------------------------------------------------------------------------------------

def definition_of(ind: Indicator) -> dict:
    """The definition fields of an indicator as plain values (what a version freezes)."""
    return {f: getattr(ind, f) for f in rules.DEFINITION_FIELDS}


def version_data(ind: Indicator, sectors: dict[int, str] | None = None) -> dict:
    """The frozen copy: the definition plus labels a reader needs without joins (sector and domain names)."""
    data = audit.to_jsonable(definition_of(ind))
    names = sectors if sectors is not None else dict(
        Sector.objects.filter(pk__in=[x for x in (ind.sector_id, ind.domain_id) if x]).values_list("pk", "name"))
    data["sector_name"] = names.get(ind.sector_id, "") if ind.sector_id else ""
    data["domain_name"] = names.get(ind.domain_id, "") if ind.domain_id else ""
    data["region_id"] = ind.region_id
    return data


# ---- validation -----------------------------------------------------------------------------------------------------

def _check_classification(d: dict, errors: dict) -> None:
    sector_id, domain_id = d.get("sector_id"), d.get("domain_id")
    if not sector_id and not domain_id:
        d["sector_id"] = d["domain_id"] = None
        return
    found = {s.pk: s for s in Sector.objects.filter(pk__in=[x for x in (sector_id, domain_id) if x])}
    if sector_id and (sector_id not in found or found[sector_id].parent_id is not None):
        errors["sector_id"] = "行业不存在"
        return
    if domain_id:
        domain = found.get(domain_id)
        if domain is None or domain.parent_id is None:
            errors["domain_id"] = "领域不存在"
        elif sector_id and domain.parent_id != sector_id:
            errors["domain_id"] = f"领域“{domain.name}”不属于所选行业"
        else:
            d["sector_id"] = domain.parent_id


def _validate(merged: dict, *, exclude_pk=None) -> dict:
    clean, errors = rules.clean_indicator(merged)
    _check_classification(clean, errors)
    code = clean.get("code")
    if code and "code" not in errors:
        taken = Indicator.objects.filter(code=code)
        if exclude_pk:
            taken = taken.exclude(pk=exclude_pk)
        if taken.exists():
            errors["code"] = f"指标编码“{code}”已被使用"
    if errors:
        raise ValidationError(errors)
    return clean


def _next_code(region_code: str | None) -> str:
    """ZB + region code (or 000000 for the national library) + a six-digit sequence."""
    prefix = f"ZB{region_code or '000000'}"
    last = (Indicator.objects.filter(code__startswith=prefix, code__regex=rf"^{prefix}[0-9]{{6}}$")
            .order_by("-code").values_list("code", flat=True).first())
    n = int(last[len(prefix):]) + 1 if last else 1
    return f"{prefix}{n:06d}"


def _region_code(region_id: int | None) -> str | None:
    if region_id is None:
        return None
    from jixiao.organisations.models import Region

    return Region.objects.filter(pk=region_id).values_list("code", flat=True).first()


def _definition_input(data: dict) -> dict:
    """Only definition keys (plus the explicit 指标性质 `nature`) from caller data."""
    allowed = set(rules.DEFINITION_FIELDS) | {"nature"}
    unknown = set(data) - allowed - {"is_quantitative"}
    if unknown:
        raise ValidationError({k: "不能修改该字段" for k in sorted(unknown)})
    out = {k: v for k, v in data.items() if k in allowed}
    if "is_quantitative" in data and "nature" not in out:
        out["nature"] = data["is_quantitative"]
    return out


# ---- create, edit, status ----------------------------------------------------------------------------------------

def _default_region(actor: Actor, choices: list) -> int | None:
    primary = actor.primary
    if primary is not None and primary.region_id in choices:
        return primary.region_id
    return choices[0] if choices else None


def _create(*, actor: Actor, data: dict, region_id: int | None, department_id: int | None, status: str,
            comment: str, audit_comment: str) -> Indicator:
    d = _definition_input(data)
    d.setdefault("comparator", "ge")
    d.setdefault("direction", None)
    for key in ("level1", "level2", "name"):
        d.setdefault(key, "")
    with transaction.atomic():
        if not (d.get("code") or "").strip():
            d["code"] = _next_code(_region_code(region_id))
        clean = _validate(d)
        ind = Indicator(region_id=region_id, department_id=department_id, status=status, current_version=1,
                        created_by=actor.user if actor.user_id else None,
                        **{k: v for k, v in clean.items() if k in rules.DEFINITION_FIELDS})
        try:
            with transaction.atomic():
                ind.save()
        except IntegrityError:
            raise ValidationError({"code": f"指标编码“{ind.code}”已被使用"}) from None
        data_v1 = version_data(ind)
        IndicatorVersion.objects.create(indicator=ind, version=1, data=data_v1, comment=comment[:200] or "新建",
                                        created_by=ind.created_by)
        audit.record(actor=actor, action="create", obj=ind, after=data_v1, comment=audit_comment)
        _library_changed([ind.pk])
    return ind


def indicator_create(*, actor: Actor, data: dict, region_id=AUTO, department_id: int | None = None,
                     comment: str = "") -> Indicator:
    """A curator adds an active indicator to a library they curate (`region_id` None: the national library; by
    default the actor's own region). A blank code gets the next ZB<region code><000001>."""
    access = library_access(actor)
    if region_id is AUTO:
        region_id = _default_region(actor, access.curate_region_choices())
    if not access.can_curate_region(region_id):
        raise PermissionDenied("您没有维护该指标库的权限")
    if department_id is not None:
        from jixiao.organisations.models import Department

        if not Department.objects.filter(pk=department_id, region_id=region_id).exists():
            raise ValidationError({"department_id": "部门不属于该区划"})
    return _create(actor=actor, data=data, region_id=region_id, department_id=department_id,
                   status=IndicatorStatus.ACTIVE, comment=comment, audit_comment=comment or "新增指标")


def indicator_propose(*, actor: Actor, data: dict, department_id: int | None = None, comment: str = "") -> Indicator:
    """A department (or one of its units) proposes a new indicator: a draft in its region's library, visible to the
    department and the region's curators, until a curator approves (`indicator_approve`) or rejects it."""
    access = library_access(actor)
    targets = [t for t in access.propose_targets if department_id is None or t[1] == department_id]
    if not targets:
        raise PermissionDenied("您没有提议新增指标的权限")
    region_id, dept_id = targets[0]
    data = {**data, "is_common": False}
    return _create(actor=actor, data=data, region_id=region_id, department_id=dept_id, status=IndicatorStatus.DRAFT,
                   comment=comment or "部门提议", audit_comment=f"提议新增指标：{comment}".rstrip("："))


def _may_edit(actor: Actor, ind: Indicator) -> bool:
    access = library_access(actor)
    if access.can_curate_region(ind.region_id):
        return True
    # a proposer may still correct their own draft
    return ind.status == IndicatorStatus.DRAFT and ind.department_id in access.proposer_department_ids


def indicator_update(*, actor: Actor, indicator: Indicator, data: dict, expected_lock_version: int,
                     comment: str = "") -> Indicator:
    """Edit an indicator's definition. Refuses a stale edit (`expected_lock_version`, ConcurrentEditError); an edit
    that changes nothing writes nothing. A real change bumps `current_version` and freezes the new version."""
    if not _may_edit(actor, indicator):
        raise PermissionDenied("您没有修改该指标的权限")
    changes_in = _definition_input(data)
    if "comparator" in changes_in and "direction" not in changes_in:
        changes_in["direction"] = None  # let the new comparator imply the direction
    try:
        return _update(actor, indicator, changes_in, expected_lock_version, comment)
    except ValidationError:
        indicator.refresh_from_db()
        raise


def _update(actor: Actor, indicator: Indicator, changes_in: dict, expected_lock_version: int,
            comment: str) -> Indicator:
    with transaction.atomic():
        claim_lock(indicator, expected_lock_version)
        indicator.refresh_from_db()
        before = definition_of(indicator)
        merged = {**before, **changes_in}
        if not (merged.get("code") or "").strip():
            merged["code"] = before["code"]
        clean = _validate(merged, exclude_pk=indicator.pk)
        changed = {k: clean[k] for k in rules.DEFINITION_FIELDS if clean.get(k) != before.get(k)}
        if not changed:
            transaction.set_rollback(True)  # give the lock back: nothing changed
            indicator.lock_version = expected_lock_version
            return indicator
        for k, v in changed.items():
            setattr(indicator, k, v)
        indicator.current_version += 1
        indicator.save(update_fields=[*changed, "current_version", "updated_at"])
        IndicatorVersion.objects.create(indicator=indicator, version=indicator.current_version,
                                        data=version_data(indicator), comment=comment[:200] or "修改",
                                        created_by=actor.user if actor.user_id else None)
        audit.record(actor=actor, action="update", obj=indicator,
                     before=audit.to_jsonable({k: before[k] for k in changed}),
                     after=audit.to_jsonable(changed), comment=comment or f"修改为第{indicator.current_version}版")
        _library_changed([indicator.pk])
    return indicator


def _set_status(*, actor: Actor, indicator: Indicator, to: str, sources: tuple[str, ...], label: str, comment: str,
                expected_lock_version: int | None, comment_required: bool = False) -> Indicator:
    if not library_access(actor).can_curate_region(indicator.region_id):
        raise PermissionDenied("您没有维护该指标的权限")
    comment = (comment or "").strip()
    if comment_required and not comment:
        raise ValidationError({"comment": f"“{label}”必须填写意见"})
    if indicator.status not in sources:
        raise ValidationError(f"当前状态为“{indicator.get_status_display()}”，不能{label}")
    expected = indicator.lock_version if expected_lock_version is None else expected_lock_version
    with transaction.atomic():
        before = indicator.status
        changed = Indicator.objects.filter(pk=indicator.pk, lock_version=expected, status=before).update(
            status=to, lock_version=F("lock_version") + 1)
        if changed != 1:
            raise ConcurrentEditError()
        indicator.refresh_from_db(fields=["status", "lock_version", "updated_at"])
        audit.record(actor=actor, action="transition", obj=indicator, before={"status": before},
                     after={"status": to}, comment=f"{label}：{comment}".rstrip("："))
        _library_changed([indicator.pk])
    return indicator


def indicator_approve(*, actor: Actor, indicator: Indicator, comment: str = "",
                      expected_lock_version: int | None = None) -> Indicator:
    """A curator accepts a proposed indicator into the library (draft → active)."""
    return _set_status(actor=actor, indicator=indicator, to=IndicatorStatus.ACTIVE, sources=(IndicatorStatus.DRAFT,),
                       label="审核通过", comment=comment, expected_lock_version=expected_lock_version)


def indicator_reject(*, actor: Actor, indicator: Indicator, comment: str,
                     expected_lock_version: int | None = None) -> Indicator:
    """A curator turns a proposal down (draft → retired, with the reason)."""
    return _set_status(actor=actor, indicator=indicator, to=IndicatorStatus.RETIRED, sources=(IndicatorStatus.DRAFT,),
                       label="退回提议", comment=comment, expected_lock_version=expected_lock_version,
                       comment_required=True)


def indicator_retire(*, actor: Actor, indicator: Indicator, comment: str = "",
                     expected_lock_version: int | None = None) -> Indicator:
    """Stop offering an indicator for new goal sheets (active → retired). Sheets that use it keep their version."""
    return _set_status(actor=actor, indicator=indicator, to=IndicatorStatus.RETIRED,
                       sources=(IndicatorStatus.ACTIVE,), label="停用", comment=comment,
                       expected_lock_version=expected_lock_version)


def indicator_restore(*, actor: Actor, indicator: Indicator, comment: str = "",
                      expected_lock_version: int | None = None) -> Indicator:
    """Offer a retired indicator again (retired → active)."""
    return _set_status(actor=actor, indicator=indicator, to=IndicatorStatus.ACTIVE,
                       sources=(IndicatorStatus.RETIRED,), label="重新启用", comment=comment,
                       expected_lock_version=expected_lock_version)


def indicator_usage_add(*, indicator_ids: Iterable[int], delta: int = 1) -> None:
    """Count goal-sheet uses (search ranks often-used indicators higher). Call it inside the goal sheet's own
    transaction; the sheet's service writes the audit row for the sheet, a counter needs none."""
    ids = sorted(set(indicator_ids))
    if not ids or not delta:
        return
    with transaction.atomic():
        Indicator.objects.filter(pk__in=ids).update(usage_count=Greatest(F("usage_count") + delta, 0))
        _library_changed(ids)


# ---- sectors ------------------------------------------------------------------------------------------------------

_SECTOR_CODE = re.compile(r"[0-9A-Za-z]{1,20}")


def sector_create(*, actor: Actor, code: str, name: str, parent: Sector | None = None) -> Sector:
    """A curator adds a sector (行业) or a domain (领域) under one."""
    if not library_access(actor).may_curate:
        raise PermissionDenied("您没有维护行业领域的权限")
    code, name = (code or "").strip(), (name or "").strip()
    errors = {}
    if not _SECTOR_CODE.fullmatch(code):
        errors["code"] = "编码只能包含数字和字母，最长20位"
    elif Sector.objects.filter(code=code).exists():
        errors["code"] = f"编码“{code}”已被使用"
    if not name:
        errors["name"] = "名称不能为空"
    elif len(name) > 60:
        errors["name"] = "名称不能超过60个字符"
    if parent is not None and parent.parent_id is not None:
        errors["parent"] = "领域只能建在行业之下"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        sector = Sector.objects.create(code=code, name=name, parent=parent)
        audit.record(actor=actor, action="create", obj=sector, after=audit.snapshot(sector))
    return sector


def sector_seed_defaults(*, actor: Actor | None = None) -> int:
    """Create the default sector tree (defaults.DEFAULT_SECTORS) where a code is missing. Idempotent; returns the
    number of sectors and domains created."""
    from jixiao.indicators.defaults import DEFAULT_SECTORS

    created = 0
    with transaction.atomic():
        for code, name, domains in DEFAULT_SECTORS:
            sector, new = Sector.objects.get_or_create(code=code, defaults={"name": name})
            created += new
            if new:
                audit.record(actor=actor, action="create", obj=sector, after=audit.snapshot(sector),
                             comment="默认行业")
            for dcode, dname in domains:
                domain, new = Sector.objects.get_or_create(code=dcode, defaults={"name": dname, "parent": sector})
                created += new
                if new:
                    audit.record(actor=actor, action="create", obj=domain, after=audit.snapshot(domain),
                                 comment="默认领域")
    return created


# ---- bulk upsert (import, seeding) ---------------------------------------------------------------------------------

@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ids: list[int] = field(default_factory=list)

    @property
    def message(self) -> str:
        return f"新增{self.created}条，更新{self.updated}条，未变化{self.unchanged}条"


def existing_by_code(codes: Iterable[str]) -> dict[str, Indicator]:
    """Indicators with these codes (chunked: SQLite limits the number of parameters of one query)."""
    codes = sorted(set(codes))
    out: dict[str, Indicator] = {}
    step = _in_chunk()
    for i in range(0, len(codes), step):
        out.update({ind.code: ind for ind in Indicator.objects.filter(code__in=codes[i:i + step])})
    return out


def _in_chunk() -> int:
    """How many values one `IN (...)` may hold: SQLite limits bound parameters, PostgreSQL takes big arrays."""
    from django.db import connection

    return 900 if connection.vendor == "sqlite" else 20_000


def _version_payload(definition: dict, region_id: int | None, sector_names: dict[int, str]) -> dict:
    data = audit.to_jsonable({f: definition.get(f) for f in rules.DEFINITION_FIELDS})
    data["sector_name"] = sector_names.get(definition.get("sector_id"), "") if definition.get("sector_id") else ""
    data["domain_name"] = sector_names.get(definition.get("domain_id"), "") if definition.get("domain_id") else ""
    data["region_id"] = region_id
    return data


def _insert_many(model, fields: list[str], rows: list[tuple]) -> None:
    """Multi-row INSERTs: for tens of thousands of new rows, building a model instance and preparing every field
    through the ORM costs several times the database work, and one statement per row costs a round trip each on
    PostgreSQL. Values must already be database-ready."""
    from django.db import connection

    if not rows:
        return
    qn = connection.ops.quote_name
    columns = ", ".join(qn(model._meta.get_field(f).column) for f in fields)
    if connection.vendor == "postgresql":
        # COPY: no statement text to build and quote, the rows stream in one go
        with connection.cursor() as cursor, cursor.cursor.copy(
                f"COPY {qn(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    one = f"({', '.join(['%s'] * len(fields))})"
    per_statement = max(1, 8000 // len(fields))  # well under SQLite's limit on bound parameters
    with connection.cursor() as cursor:
        for i in range(0, len(rows), per_statement):
            chunk = rows[i:i + per_statement]
            sql = (f"INSERT INTO {qn(model._meta.db_table)} ({columns}) "  # noqa: S608 (names from the model)
                   f"VALUES {', '.join([one] * len(chunk))}")
            cursor.execute(sql, [v for row in chunk for v in row])


def bulk_upsert(*, actor: Actor | None, region_id: int | None, rows: list[dict], comment: str,
                existing: dict[str, Indicator] | None = None, progress=None) -> UpsertResult:
    """Write already validated definitions (`rules.clean_indicator` output with `code`, and optionally `status`),
    creating new codes and updating changed ones (a new version each). Inside the caller's transaction; the caller
    checked the rights and that no code belongs to another library. Writes one audit row for the batch, versions for
    every indicator written, and one change-log entry."""
    import json

    from django.db import connection
    from django.utils import timezone

    user = getattr(actor, "user", None) if actor is not None else None
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    user_id = user.pk if user is not None else None
    existing = existing_by_code(r["code"] for r in rows) if existing is None else existing
    sector_names = dict(Sector.objects.values_list("pk", "name"))
    now = timezone.now()
    db_now = connection.ops.adapt_datetimefield_value(now)
    comment = comment[:200]
    result = UpsertResult()
    new_rows: list[dict] = []
    to_update: list[Indicator] = []
    status_changed: list[Indicator] = []
    for n, row in enumerate(rows, start=1):
        definition = {k: row[k] for k in rules.DEFINITION_FIELDS if k in row}
        status = row.get("status") or None
        ind = existing.get(row["code"])
        if ind is None:
            new_rows.append({**{f: "" for f in rules.DEFINITION_FIELDS}, "sector_id": None, "domain_id": None,
                             "is_common": False, "is_quantitative": True, **definition,
                             "status": status or IndicatorStatus.ACTIVE})
        else:
            changed = {k: v for k, v in definition.items() if getattr(ind, k) != v}
            if changed:
                for k, v in changed.items():
                    setattr(ind, k, v)
                ind.current_version += 1
                ind.lock_version += 1
                ind.updated_at = now
                if status:
                    ind.status = status
                to_update.append(ind)
            elif status and status != ind.status:
                ind.status = status
                ind.lock_version += 1
                ind.updated_at = now
                status_changed.append(ind)
            else:
                result.unchanged += 1
        if progress is not None and n % 1000 == 0:
            progress(n // 2)
    if new_rows:
        fields = [*rules.DEFINITION_FIELDS, "status", "region", "current_version", "lock_version", "usage_count",
                  "history", "created_by", "created_at", "updated_at"]
        _insert_many(Indicator, fields, [
            tuple(r[f] for f in rules.DEFINITION_FIELDS) + (r["status"], region_id, 1, 1, 0, "[]", user_id, db_now,
                                                            db_now)
            for r in new_rows])
        if progress is not None:
            progress(len(rows) * 3 // 4)
        new_ids = {code: pk for pk, code in _ids_by_code([r["code"] for r in new_rows])}
    else:
        new_ids = {}
    if to_update:
        Indicator.objects.bulk_update(
            to_update, [*rules.DEFINITION_FIELDS, "status", "current_version", "lock_version", "updated_at"],
            batch_size=500)
    if status_changed:
        Indicator.objects.bulk_update(status_changed, ["status", "lock_version", "updated_at"], batch_size=500)
    versions = [(new_ids[r["code"]], 1, json.dumps(_version_payload(r, region_id, sector_names)), comment, db_now,
                 user_id) for r in new_rows]
    versions += [(ind.pk, ind.current_version, json.dumps(version_data(ind, sector_names)), comment, db_now, user_id)
                 for ind in to_update]
    _insert_many(IndicatorVersion, ["indicator", "version", "data", "comment", "created_at", "created_by"], versions)
    result.created, result.updated = len(new_rows), len(to_update) + len(status_changed)
    result.ids = [*new_ids.values(), *(ind.pk for ind in (*to_update, *status_changed))]
    if result.created or result.updated:
        audit.record(actor=actor, action="import", obj=None, region_id=region_id,
                     object_repr=f"指标库：{result.message}",
                     after={"created": [r["code"] for r in new_rows][:2000],
                            "updated": [i.code for i in (*to_update, *status_changed)][:2000],
                            "count": len(result.ids)},
                     comment=comment)
        _library_changed(result.ids)
    return result


def _ids_by_code(codes: list[str]):
    step = _in_chunk()
    for i in range(0, len(codes), step):
        yield from Indicator.objects.filter(code__in=codes[i:i + step]).values_list("pk", "code")


def indicator_bulk_load(*, definitions: Iterable[dict], region_id: int | None = None, actor: Actor | None = None,
                        comment: str = "批量载入") -> UpsertResult:
    """Validate and write many indicators at once (demo data, seeding, integrations): each definition is checked with
    `rules.clean_indicator` (a ValidationError names the first bad ones by code), then created or, for a known code,
    updated as a new version; one transaction, one audit row, and the search indexes are told to catch up.
    With `actor` None it runs as the system (no rights check); otherwise the actor must curate `region_id`."""
    if actor is not None and not library_access(actor).can_curate_region(region_id):
        raise PermissionDenied("您没有维护该指标库的权限")
    rows, errors = [], {}
    for d in definitions:
        d = {**d}
        d.setdefault("direction", None)
        clean, errs = rules.clean_indicator(d)
        if errs and len(errors) < 20:
            errors.update({f"{d.get('code') or d.get('name')}.{k}": v for k, v in errs.items()})
        rows.append(clean)
    if errors:
        raise ValidationError(errors)
    codes = [r["code"] for r in rows]
    if len(set(codes)) != len(codes):
        raise ValidationError("指标编码重复")
    with transaction.atomic():
        existing = existing_by_code(codes)
        foreign = [c for c, ind in existing.items() if ind.region_id != region_id]
        if foreign:
            raise ValidationError(f"编码已被其他指标库使用：{'、'.join(foreign[:20])}")
        return bulk_upsert(actor=actor, region_id=region_id, rows=rows, existing=existing, comment=comment)


# ---- import job --------------------------------------------------------------------------------------------------

def indicator_import_start(*, actor: Actor, upload, region_id=AUTO):
    """Check the rights and the size, store the upload and queue the import job (`indicators.import`). Returns the
    Job; its page is web:job_detail. The job checks the whole file and writes all of it or nothing."""
    from django.conf import settings

    from jixiao.core.jobs import job_start
    from jixiao.indicators.tasks import IMPORT_KIND

    access = library_access(actor)
    if region_id is AUTO:
        region_id = _default_region(actor, access.curate_region_choices())
    if not access.can_curate_region(region_id):
        raise PermissionDenied("您没有维护该指标库的权限")
    if upload is None:
        raise ValidationError({"file": "请选择要导入的文件"})
    size = getattr(upload, "size", None) or 0
    limit = getattr(settings, "IMPORT_MAX_BYTES", 50 * 1024 * 1024)
    if size > limit:
        raise ValidationError({"file": f"文件过大（{size // 1024 // 1024}MB），上限为{limit // 1024 // 1024}MB"})
    name = getattr(upload, "name", "upload.xlsx") or "upload.xlsx"
    with transaction.atomic():
        job = job_start(user=actor.user, kind=IMPORT_KIND, label=f"指标库导入：{name}"[:200],
                        params={"region_id": region_id, "filename": name}, input_file=upload)
        audit.record(actor=actor, action="import", obj=job, region_id=region_id,
                     comment=f"提交指标库导入：{name}")
    return job
