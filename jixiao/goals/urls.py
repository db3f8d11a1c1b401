from django.urls import path

from jixiao.goals import views

app_name = "goals"
urlpatterns = [
    path("", views.sheet_list, name="sheet_list"),
    path("new/<int:subject_pk>/", views.sheet_create, name="sheet_create"),
    path("blank/<int:subject_pk>.xlsx", views.blank_download, name="blank_download"),
    path("approve/", views.sheet_approve_many, name="sheet_approve_many"),
    path("export/", views.department_export, name="department_export"),
    path("check/", views.check_upload, name="check_upload"),
    path("coverage/", views.coverage, name="coverage"),
    path("<int:pk>/", views.sheet_detail, name="sheet_detail"),
    path("<int:pk>/edit/", views.sheet_edit, name="sheet_edit"),
    path("<int:pk>/check/", views.sheet_check, name="sheet_check"),
    path("<int:pk>/transition/", views.sheet_transition, name="sheet_transition"),
    path("<int:pk>/review/", views.sheet_review, name="sheet_review"),
    path("<int:pk>/approve/", views.sheet_approve, name="sheet_approve"),
    path("<int:pk>/issue/", views.sheet_issue, name="sheet_issue"),
    path("<int:pk>/adjust/", views.sheet_adjust, name="sheet_adjust"),
    path("<int:pk>/download.xlsx", views.sheet_download, name="sheet_download"),
    path("<int:pk>/upload/", views.sheet_upload, name="sheet_upload"),
]
