"""The old version's addresses, under /gammel/ (rule 8)."""

from __future__ import annotations

from django.urls import path, re_path

from cases import old_views

app_name = "old"

urlpatterns = [
    path("", old_views.home, name="home"),
    path("saker/", old_views.case_list, name="list"),
    path("saker/<str:number>/", old_views.case_detail, name="detail"),
    re_path(r"^(?P<rest>.+)$", old_views.other, name="other"),
]
