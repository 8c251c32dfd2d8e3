from __future__ import annotations

from django.urls import path

from cases import list_views, views

app_name = "cases"

urlpatterns = [
    path("", list_views.case_list, name="list"),
    path("kolonner/", list_views.choose_columns, name="columns"),
    path("eksport.xlsx", list_views.export, name="export"),
    path("eksport/<uuid:job_id>/", list_views.export_status, name="export_status"),
    path("eksport/<uuid:job_id>/fil/", list_views.export_download, name="export_download"),
    path("ny/", views.new_case, name="new"),
    path("<str:number>/", views.case_detail, name="detail"),
    path("<str:number>/folg/", views.toggle_follow, name="follow"),
    path("<str:number>/vedlegg/<int:attachment_id>/", views.download_attachment, name="attachment"),
]
