from django.urls import path

from jixiao.indicators import views

app_name = "indicators"
urlpatterns = [
    path("", views.browse, name="browse"),
    path("new/", views.create, name="create"),
    path("propose/", views.propose, name="propose"),
    path("import/", views.import_view, name="import"),
    path("export.xlsx", views.export, name="export"),
    path("sample.xlsx", views.sample, name="sample"),
    path("sectors/", views.sectors, name="sectors"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/retire/", views.retire, name="retire"),
    path("<int:pk>/restore/", views.restore, name="restore"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/reject/", views.reject, name="reject"),
]
