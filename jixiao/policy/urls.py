from django.urls import path

from jixiao.policy import views

app_name = "policy"
urlpatterns = [
    path("", views.profile, name="profile"),
    path("history/", views.history, name="history"),
    path("versions/<int:pk>/", views.version_detail, name="version"),
    path("diff/", views.diff, name="diff"),
    path("compare/", views.compare, name="compare"),
    path("presets/", views.presets, name="presets"),
    path("edit/", views.edit, name="edit"),
    path("from-preset/", views.from_preset, name="from_preset"),
    path("lock/", views.lock, name="lock"),
]
