from django.urls import path

from jixiao.web.views import placeholder

app_name = "indicators"
urlpatterns = [
    path("", placeholder, {"title": "指标库"}, name="browse"),
]
