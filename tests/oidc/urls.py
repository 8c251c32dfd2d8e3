"""The portal's URLs as they are with OpenID Connect configured (portal/urls.py adds the
provider routes only when OIDC_ENABLED is set at start-up, which tests cannot do)."""

from __future__ import annotations

from django.urls import include, path

from portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [*portal_urlpatterns, path("oidc/", include("mozilla_django_oidc.urls"))]
