"""The REST API: one router per app, OpenAPI at /api/openapi.json, interactive docs at /api/docs (served locally)."""

import datetime

from django.core.exceptions import PermissionDenied
from ninja import NinjaAPI, Query, Schema
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate

from jixiao.agencies.api import router as agencies_router
from jixiao.budget.api import router as budget_router
from jixiao.core.api import AUTH, ChineseJSONRenderer, api_actor, install_error_handlers
from jixiao.core.permissions import Action
from jixiao.costs.api import router as costs_router
from jixiao.evaluation.api import router as evaluation_router
from jixiao.exante.api import router as exante_router
from jixiao.goals.api import router as goals_router
from jixiao.goals.api_check import router as goals_check_router
from jixiao.indicators.api import router as indicators_router
from jixiao.monitoring.api import router as monitoring_router
from jixiao.organisations.api import router as organisations_router
from jixiao.organisations.auth import check_credentials
from jixiao.organisations.models import ApiToken
from jixiao.policy.api import router as policy_router
from jixiao.web.audit import audit_events

api = NinjaAPI(
    title="Jixiao 预算绩效管理信息系统 API",
    version="1",
    description="与界面相同的权限。认证：先 POST /api/auth/token 获取令牌，再以 `Authorization: Bearer <令牌>` 调用。",
    auth=AUTH,
    renderer=ChineseJSONRenderer(),
    urls_namespace="api",
)
install_error_handlers(api)


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"
    username: str


@api.post("/auth/token", auth=None, response=TokenOut, tags=["认证"], summary="用用户名和密码获取令牌")
def obtain_token(request, payload: TokenIn):
    try:
        user = check_credentials(payload.username, payload.password)
    except PermissionDenied as exc:
        raise HttpError(401, str(exc)) from None
    _, key = ApiToken.issue(user, name="api")
    return {"token": key, "username": user.username}


api.add_router("/organisations", organisations_router, tags=["组织机构"])
api.add_router("/budget", budget_router, tags=["预算与项目库"])
api.add_router("/indicators", indicators_router, tags=["指标库"])
api.add_router("/policy", policy_router, tags=["政策配置"])
api.add_router("/exante", exante_router, tags=["事前绩效评估"])
api.add_router("/goals/check", goals_check_router, tags=["绩效目标校验（不保存）"])
api.add_router("/goals", goals_router, tags=["绩效目标"])
api.add_router("/costs", costs_router, tags=["支出标准"])
api.add_router("/monitoring", monitoring_router, tags=["绩效运行监控"])
api.add_router("/evaluation", evaluation_router, tags=["绩效评价"])
api.add_router("/agencies", agencies_router, tags=["第三方机构"])


class AuditEventOut(Schema):
    id: int
    at: datetime.datetime
    actor_name: str
    action: str
    object_type: str | None
    object_id: str
    object_repr: str
    before: dict | None
    after: dict | None
    comment: str

    @staticmethod
    def resolve_object_type(obj):
        return obj.content_type.model if obj.content_type_id else None


class AuditFilter(Schema):
    q: str | None = None
    actor: str | None = None
    action: str | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


@api.get("/audit/events", response=list[AuditEventOut], tags=["审计"], summary="审计日志（按权限范围）")
@paginate(PageNumberPagination, page_size=50)
def audit_event_list(request, filters: Query[AuditFilter]):
    actor = api_actor(request)
    if not actor.may(Action.AUDIT):
        raise PermissionDenied("您没有查看审计日志的权限")
    return audit_events(actor, filters.dict(exclude_none=True))
