from django.urls import path

from jixiao.monitoring import views

app_name = "monitoring"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("rounds/", views.round_list, name="round_list"),
    path("rounds/<int:pk>/compute/", views.round_compute, name="round_compute"),
    path("rounds/<int:pk>/generate/", views.round_generate, name="round_generate"),
    path("rounds/<int:pk>/report.docx", views.round_document, name="round_document"),
    path("reports/", views.report_list, name="report_list"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/edit/", views.report_edit, name="report_edit"),
    path("reports/<int:pk>/transition/", views.report_transition, name="report_transition"),
    path("reports/<int:pk>/key/", views.report_key, name="report_key"),
    path("reports/<int:pk>/download.xlsx", views.report_download, name="report_download"),
    path("reports/<int:pk>/upload/", views.report_upload, name="report_upload"),
    path("dispositions/", views.disposition_list, name="disposition_list"),
    path("dispositions/<int:pk>/", views.disposition_detail, name="disposition_detail"),
    path("dispositions/<int:pk>/transition/", views.disposition_transition, name="disposition_transition"),
    path("sweep/", views.sweep, name="sweep"),
]
