"""The URL map: the composition root, the one module of ``portal`` that may name the apps above."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal import views

portal_patterns = (
    [
        path("", views.start, name="start"),
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
    path("", include(portal_patterns)),
    path("admin/", admin.site.urls),
]
