from __future__ import annotations

from django.urls import path

from access import order_views, views

app_name = "access"

urlpatterns = [
    path("min-side/", views.my_page, name="my_page"),
    path("min-side/tilganger.xlsx", views.grants_export, name="grants_export"),
    path("tilganger/bestillere/", views.orderers_page, name="orderers"),
    path("tilganger/bestill/", order_views.order, name="order"),
    path("skjema/fullmakt.xlsx", views.fullmakt_form, name="fullmakt_form"),
]
