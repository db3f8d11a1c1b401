from django.urls import path

from jixiao.budget import views

app_name = "budget"
urlpatterns = [
    path("subjects/", views.subject_list, name="subject_list"),
    path("subjects/new/", views.subject_create, name="subject_create"),
    path("subjects/<int:pk>/", views.subject_detail, name="subject_detail"),
    path("subjects/<int:pk>/edit/", views.subject_edit, name="subject_edit"),
    path("subjects/<int:pk>/delete/", views.subject_delete, name="subject_delete"),
    path("subjects/<int:pk>/transition/", views.subject_transition, name="subject_transition"),
    path("import/", views.subject_import, {"kind": "subjects"}, name="import_subjects"),
    path("import/execution/", views.subject_import, {"kind": "execution"}, name="import_execution"),
    path("samples/<str:kind>/", views.sample, name="sample"),
    path("year/", views.select_year, name="select_year"),
]
