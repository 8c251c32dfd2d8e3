from __future__ import annotations

from django.urls import path

from access import fullmakt_views, integration_views, order_views, views

app_name = "access"

urlpatterns = [
    path("min-side/", views.my_page, name="my_page"),
    path("min-side/tilganger.xlsx", views.grants_export, name="grants_export"),
    path("min-side/integrasjoner/", integration_views.integrations, name="integrations"),
    path(
        "min-side/integrasjoner/ny/",
        integration_views.register_client,
        name="integration_register",
    ),
    path(
        "min-side/integrasjoner/<int:pk>/endre/",
        integration_views.change_client,
        name="integration_change",
    ),
    path(
        "min-side/integrasjoner/<int:pk>/trekk-tilbake/",
        integration_views.withdraw_client,
        name="integration_withdraw",
    ),
    path("tilganger/bestillere/", views.orderers_page, name="orderers"),
    path("tilganger/bestill/", order_views.order, name="order"),
    path(
        "tilganger/bestill/utkast/<int:pk>/forkast/",
        order_views.discard_draft,
        name="discard_draft",
    ),
    path("skjema/fullmakt.xlsx", views.fullmakt_form, name="fullmakt_form"),
    path("skjema/fullmakt/send/", fullmakt_views.upload, name="fullmakt_upload"),
    path("skjema/fullmakt/send/se-over/", fullmakt_views.review, name="fullmakt_review"),
]
