from django.urls import path

from jixiao.organisations import views

app_name = "organisations"
urlpatterns = [
    path("", views.browse, name="browse"),
    path("regions/<int:parent_pk>/children/new/", views.region_create, name="region_create"),
    path("regions/<int:pk>/edit/", views.region_edit, name="region_edit"),
    path("regions/<int:pk>/move/", views.region_move, name="region_move"),
    path("regions/<int:region_pk>/departments/new/", views.department_create, name="department_create"),
    path("departments/<int:pk>/edit/", views.department_edit, name="department_edit"),
    path("departments/<int:pk>/toggle/", views.department_toggle, name="department_toggle"),
    path("departments/<int:department_pk>/units/new/", views.unit_create, name="unit_create"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("units/<int:pk>/move/", views.unit_move, name="unit_move"),
    path("units/<int:pk>/toggle/", views.unit_toggle, name="unit_toggle"),
    path("agencies/new/", views.agency_create, name="agency_create"),
    path("agencies/<int:pk>/edit/", views.agency_edit, name="agency_edit"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("users/<int:pk>/edit/", views.user_edit, name="user_edit"),
    path("users/<int:pk>/password/", views.user_password, name="user_password"),
    path("users/<int:pk>/unlock/", views.user_unlock, name="user_unlock"),
    path("users/<int:pk>/deactivate/", views.user_deactivate, name="user_deactivate"),
    path("users/<int:pk>/activate/", views.user_activate, name="user_activate"),
    path("users/<int:pk>/roles/new/", views.role_add, name="role_add"),
    path("roles/<int:pk>/revoke/", views.role_revoke, name="role_revoke"),
    path("account/password/", views.own_password, name="own_password"),
    path("import/organisations/", views.import_organisations, name="import_organisations"),
    path("import/users/", views.import_users, name="import_users"),
    path("import/samples/<slug:name>/", views.sample, name="sample"),
    path("import/jobs/<int:pk>/passwords/", views.import_passwords, name="import_passwords"),
]
