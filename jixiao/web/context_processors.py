"""The navigation menu, built from what the actor may do."""

from jixiao.core.permissions import Action, actor_for
from jixiao.organisations.models import Role


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    actor = actor_for(user)
    items = [("web:home", "工作台")]
    if actor.may(Action.VIEW):
        items.append(("budget:subject_list", "项目库"))
        items.append(("exante:assessment_list", "事前评估"))
        items.append(("goals:sheet_list", "绩效目标"))
        items.append(("monitoring:report_list" if not actor.may(Action.AGGREGATE) else "monitoring:dashboard",
                      "绩效监控"))
        items.append(("evaluation:evaluation_list", "绩效评价"))
        items.append(("agencies:commission_list", "第三方机构"))
    items.append(("indicators:browse", "指标库"))
    if actor.may(Action.APPROVE) or actor.may(Action.CONFIGURE):
        items.append(("costs:standard_list", "支出标准"))
    if actor.may(Action.VIEW):
        items.append(("organisations:browse", "组织机构"))
    if actor.may(Action.CONFIGURE) or actor.may(Action.VIEW):
        items.append(("policy:profile", "政策配置"))
    if actor.may(Action.IMPORT):
        items.append(("web:jobs", "导入任务"))
    if actor.may(Action.MANAGE):
        items.append(("organisations:user_list", "用户管理"))
    if actor.may(Action.AUDIT):
        items.append(("web:audit", "审计日志"))
    role_label = Role(actor.primary.role).label if actor.primary else ""
    return {"nav_items": items, "actor": actor, "role_label": role_label}
