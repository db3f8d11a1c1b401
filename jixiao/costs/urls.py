from django.urls import path

from jixiao.costs import views

app_name = "costs"
urlpatterns = [
    path("standards/", views.standard_list, name="standard_list"),
    path("standards/<int:pk>/edit/", views.standard_edit, name="standard_edit"),
    path("standards/<int:pk>/active/", views.standard_active, name="standard_active"),
]
