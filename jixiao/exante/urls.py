from django.urls import path  # noqa: F401

from jixiao.exante import views  # noqa: F401

app_name = "exante"
urlpatterns: list = []
