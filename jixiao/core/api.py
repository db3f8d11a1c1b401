"""Shared pieces of the REST API: authentication (token or session with CSRF), structured errors, the actor."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer, SessionAuth

from jixiao.core.permissions import Actor, actor_for
from jixiao.core.workflow import ConcurrentEditError
from jixiao.organisations.models import ApiToken


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`, a token from POST /api/auth/token."""

    def authenticate(self, request, token):
        token_row = (ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash_key(token)).first())
        if token_row is None or not token_row.user.is_active:
            return None
        now = timezone.now()
        if token_row.expires_at and token_row.expires_at < now:
            return None
        if token_row.last_used_at is None or (now - token_row.last_used_at).total_seconds() > 300:
            ApiToken.objects.filter(pk=token_row.pk).update(last_used_at=now)
        request.user = token_row.user
        return token_row.user


AUTH = [TokenAuth(), SessionAuth()]


class ChineseJSONRenderer(JSONRenderer):
    """UTF-8 JSON with Chinese as characters, not \\u escapes (smaller, readable in logs and by integrators)."""

    json_dumps_params = {"ensure_ascii": False}


class ErrorOut(Schema):
    """Every error: {"error": {"code": ..., "message": ..., "fields": {field: [messages]}}}."""

    error: dict


def api_actor(request) -> Actor:
    return actor_for(request.auth if getattr(request, "auth", None) is not None else request.user)


def _error(api: NinjaAPI, request, status: int, code: str, message: str, fields: dict | None = None):
    body = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return api.create_response(request, body, status=status)


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(NinjaValidationError)
    def on_schema_error(request, exc):
        fields: dict[str, list[str]] = {}
        for err in exc.errors:
            loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload")]
            fields.setdefault(".".join(loc) or "_", []).append(_translate(err))
        return _error(api, request, 400, "invalid", "提交的数据有误", fields)

    @api.exception_handler(ConcurrentEditError)
    def on_conflict(request, exc):
        return _error(api, request, 409, "conflict", exc.messages[0])

    @api.exception_handler(ValidationError)
    def on_validation(request, exc):
        if hasattr(exc, "error_dict"):
            fields = {k: [str(m) for m in v.messages] if hasattr(v, "messages") else [str(e) for e in v]
                      for k, v in exc.message_dict.items()}
            first = next(iter(fields.values()), ["提交的数据有误"])[0]
            return _error(api, request, 400, "invalid", first, fields)
        return _error(api, request, 400, "invalid", "；".join(exc.messages))

    @api.exception_handler(PermissionDenied)
    def on_forbidden(request, exc):
        return _error(api, request, 403, "forbidden", str(exc) or "您没有执行此操作的权限")

    @api.exception_handler(Http404)
    def on_not_found(request, exc):
        return _error(api, request, 404, "not_found", str(exc) or "未找到该记录")

    @api.exception_handler(AuthenticationError)
    def on_unauthenticated(request, exc):
        return _error(api, request, 401, "unauthenticated", "请先登录或提供有效的令牌")

    @api.exception_handler(HttpError)
    def on_http_error(request, exc):
        return _error(api, request, exc.status_code, "error", str(exc))


_PYDANTIC_MESSAGES = {
    "missing": "必填",
    "string_too_long": "内容过长",
    "string_too_short": "内容过短",
    "int_parsing": "应为整数",
    "decimal_parsing": "应为数字",
    "float_parsing": "应为数字",
    "bool_parsing": "应为是/否",
    "date_from_datetime_parsing": "应为日期(YYYY-MM-DD)",
    "date_parsing": "应为日期(YYYY-MM-DD)",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "json_invalid": "不是有效的 JSON",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
}


def _translate(err: dict) -> str:
    msg = _PYDANTIC_MESSAGES.get(err.get("type", ""))
    if msg:
        return msg
    text = str(err.get("msg", "数据有误"))
    return text.removeprefix("Value error, ")


def no_float(value, example: str = "1234.56"):
    """A pydantic `mode="before"` check for decimal fields: strings pass, ints become strings, floats (and booleans)
    are refused with a Chinese message giving `example` as the expected form (amounts and scores stay exact)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise ValueError(f"应为十进制字符串，如 \"{example}\"")
    if isinstance(value, int):
        return str(value)
    raise ValueError(f"数值应以十进制字符串传递（如 \"{example}\"），不接受浮点数")


def exact_text(value):
    """An exact value as the API carries it: Money as yuan text, a Decimal as its text, None as None."""
    from decimal import Decimal

    from jixiao.core.money import Money

    if isinstance(value, Money):
        return value.to_json()
    if isinstance(value, Decimal):
        return str(value)
    return value


class SubjectOrgOut(Schema):
    """The subject and organisation columns every scoped document's list item carries (its subject, department and
    unit selected with it)."""

    subject_id: int
    subject_code: str
    subject_name: str
    department_id: int | None
    department_name: str | None
    unit_id: int | None
    unit_name: str | None

    @staticmethod
    def resolve_subject_code(obj):
        return obj.subject.code

    @staticmethod
    def resolve_subject_name(obj):
        return obj.subject.name

    @staticmethod
    def resolve_department_name(obj):
        return obj.department.name if obj.department_id else None

    @staticmethod
    def resolve_unit_name(obj):
        return obj.unit.name if obj.unit_id else None


def choice_param(value, allowed, field: str, label: str) -> None:
    """Refuse a filter value outside its choices (a TextChoices class or a collection of values), naming the field."""
    values = getattr(allowed, "values", allowed)
    if value and value not in values:
        raise ValidationError({field: [f"{label}“{value}”无效"]})


def page_of(qs, page: int, page_size: int) -> dict:
    """One page of a list endpoint: its items, the total count and the page figures (page 1 of 1 when empty)."""
    count = qs.count()
    offset = (page - 1) * page_size
    return {"items": list(qs[offset:offset + page_size]), "count": count, "page": page, "page_size": page_size,
            "pages": max(1, -(-count // page_size))}
