"""The URL map: the composition root, the one module of ``portal`` that may name the apps above."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from cases import views as case_views
from portal import views

portal_patterns = (
    [
        path("logg-inn/", views.LoginView.as_view(), name="login"),
        path("logg-ut/", auth_views.LogoutView.as_view(), name="logout"),
        path("virksomhet/bytt/", views.switch_organisation, name="switch_organisation"),
        path("sprak/", views.set_language, name="set_language"),
        path("tilbakemelding/", views.feedback, name="feedback"),
        path("kontakt/", views.contact, name="contact"),
        path("tilgjengelighet/", views.accessibility, name="accessibility"),
        path("helse/", views.health, name="health"),
    ],
    "portal",
)

urlpatterns = [
    path("", case_views.start, name="start"),
    path("", include(portal_patterns)),
    path("saker/", include("cases.urls")),
    path("", include("access.urls")),
    path("admin/", admin.site.urls),
]
