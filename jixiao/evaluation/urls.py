from django.urls import path

from jixiao.evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("trial/", views.trial_upload, name="trial"),
]
