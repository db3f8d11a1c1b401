from django.urls import include, path

from jixiao.api import api

urlpatterns = [
    path("api/", api.urls),
    path("", include("jixiao.web.urls")),
    path("organisations/", include("jixiao.organisations.urls")),
    path("budget/", include("jixiao.budget.urls")),
    path("indicators/", include("jixiao.indicators.urls")),
    path("policy/", include("jixiao.policy.urls")),
    path("exante/", include("jixiao.exante.urls")),
    path("goals/", include("jixiao.goals.urls")),
    path("costs/", include("jixiao.costs.urls")),
    path("monitoring/", include("jixiao.monitoring.urls")),
    path("evaluation/", include("jixiao.evaluation.urls")),
    path("agencies/", include("jixiao.agencies.urls")),
]
