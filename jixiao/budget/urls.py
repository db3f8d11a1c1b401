from django.urls import path

from jixiao.web.views import placeholder

app_name = "budget"
urlpatterns = [
    path("subjects/", placeholder, {"title": "项目库"}, name="subject_list"),
]
