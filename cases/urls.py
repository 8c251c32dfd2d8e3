from __future__ import annotations

from django.urls import path

from cases import views

app_name = "cases"

urlpatterns = [
    path("ny/", views.new_case, name="new"),
    path("<str:number>/", views.case_detail, name="detail"),
    path("<str:number>/folg/", views.toggle_follow, name="follow"),
    path("<str:number>/vedlegg/<int:attachment_id>/", views.download_attachment, name="attachment"),
]
