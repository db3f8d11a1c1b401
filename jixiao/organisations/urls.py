from django.urls import path

from jixiao.web.views import placeholder

app_name = "organisations"
urlpatterns = [
    path("", placeholder, {"title": "组织机构"}, name="browse"),
    path("users/", placeholder, {"title": "用户管理"}, name="user_list"),
]
