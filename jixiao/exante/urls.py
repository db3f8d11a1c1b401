from django.urls import path

from jixiao.exante import views

app_name = "exante"
urlpatterns = [
    path("", views.assessment_list, name="assessment_list"),
    path("requirements/", views.requirement_list, name="requirement_list"),
    path("statistics/", views.statistics, name="statistics"),
    path("new/", views.assessment_create, name="assessment_create"),
    path("<int:pk>/", views.assessment_detail, name="assessment_detail"),
    path("<int:pk>/edit/", views.assessment_edit, name="assessment_edit"),
    path("<int:pk>/delete/", views.assessment_delete, name="assessment_delete"),
    path("<int:pk>/transition/", views.assessment_transition, name="assessment_transition"),
    path("<int:pk>/expert-score/", views.expert_score, name="expert_score"),
    path("<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.attachment_download, name="attachment_download"),
    path("<int:pk>/attachments/<int:attachment_pk>/delete/", views.attachment_delete, name="attachment_delete"),
    path("<int:pk>/report.docx", views.report_docx, name="report_docx"),
]
