from django.urls import path

from jixiao.agencies import views

app_name = "agencies"
urlpatterns = [
    path("", views.commission_list, name="commission_list"),
    path("registry/", views.registry, name="registry"),
    path("registry/<int:pk>/", views.agency_detail, name="agency_detail"),
    path("ranking/", views.ranking, name="ranking"),
    path("commissions/<int:pk>/", views.commission_detail, name="commission_detail"),
    path("commissions/<int:pk>/transition/", views.commission_transition, name="commission_transition"),
    path("inspections/", views.inspections, name="inspections"),
]
