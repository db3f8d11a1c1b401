from django.urls import path

from jixiao.web.views import placeholder

app_name = "policy"
urlpatterns = [
    path("", placeholder, {"title": "政策配置"}, name="profile"),
]
