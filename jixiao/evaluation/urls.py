from django.urls import path

from jixiao.evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("", views.evaluation_list, name="evaluation_list"),
    path("rounds/", views.round_list, name="round_list"),
    path("rounds/<int:pk>/score/", views.round_score, name="round_score"),
    path("rollup/", views.rollup, name="rollup"),
    path("plan/", views.evaluation_plan, name="plan"),
    path("rounds/<int:pk>/report.docx", views.rollup_document, name="rollup_document"),
    path("sheets/<int:pk>/", views.evaluation_detail, name="evaluation_detail"),
    path("sheets/<int:pk>/edit/", views.evaluation_edit, name="evaluation_edit"),
    path("sheets/<int:pk>/transition/", views.evaluation_transition, name="evaluation_transition"),
    path("sheets/<int:pk>/sheet.xlsx", views.evaluation_download, name="evaluation_download"),
    path("sheets/<int:pk>/upload/", views.evaluation_upload, name="evaluation_upload"),
    path("spot-check/", views.spot_check, name="spot_check"),
    path("spot-check/items/<int:pk>/", views.spot_check_item, name="spot_check_item"),
    path("spot-check/items/<int:pk>/assign/", views.spot_check_assign, name="spot_check_assign"),
    path("spot-check/items/<int:pk>/transition/", views.spot_check_transition, name="spot_check_transition"),
    path("evaluations/", views.evaluation_records, name="records"),
    path("evaluations/<int:pk>/", views.evaluation_record, name="record_detail"),
    path("evaluations/<int:pk>/report.docx", views.evaluation_record_document, name="record_document"),
    path("evaluations/<int:pk>/transition/", views.evaluation_record_transition, name="record_transition"),
    path("trial/", views.trial_upload, name="trial"),
]
