"""The URL map: the composition root, the one module of ``portal`` that may name the apps above."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from access import api as access_api
from cases import api as case_api
from cases import views as case_views
from portal import api_docs, login_views, views
from portal.api import api, gated_urls

api.add_router("/", case_api.router)
api.add_router("/", access_api.router)

portal_patterns = (
    [
        path("logg-inn/", views.LoginView.as_view(), name="login"),
        path("logg-ut/", login_views.logout, name="logout"),
        path("logg-inn/virksomhet/", views.organisation_link, name="organisation_link"),
        path("versjon/", views.version_choice, name="version_choice"),
        path("versjon/bytt/", views.switch_version, name="switch_version"),
        path("virksomhet/bytt/", views.switch_organisation, name="switch_organisation"),
        path("sprak/", views.set_language, name="set_language"),
        path("tilbakemelding/", views.feedback, name="feedback"),
        path("kontakt/", views.contact, name="contact"),
        path("tilgjengelighet/", views.accessibility, name="accessibility"),
        path("helse/", views.health, name="health"),
        # The API's documentation, at the address ninja's own page had (docs_url=None).
        path("api/v1/docs", api_docs.api_docs, name="api_docs"),
    ],
    "portal",
)

urlpatterns = [
    path("", case_views.start, name="start"),
    path("", include(portal_patterns)),
    path("inn/<slug:slug>/", login_views.direct_link, name="direct_link"),
    path("ingen-virksomhet/", login_views.no_membership, name="no_membership"),
    path("saker/", include("cases.urls")),
    path("gammel/", include("cases.old_urls")),
    path("", include("access.urls")),
    # Before the admin's own: staff log in through the portal's throttled form.
    path("admin/login/", views.admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("api/v1/", gated_urls()),
]

handler400 = "portal.views.bad_request"

if settings.OIDC_ENABLED:
    # Login at the OpenID Connect provider: oidc/authenticate/, oidc/callback/, oidc/logout/.
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))
