from django.urls import path  # noqa: F401

from jixiao.costs import views  # noqa: F401

app_name = "costs"
urlpatterns: list = []
