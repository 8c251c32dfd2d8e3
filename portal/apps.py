from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_reference_data(sender: AppConfig, **kwargs: Any) -> None:
    # After every migrate and every flush (transactional tests flush the
    # database): reference data is idempotent, so making sure costs little.
    from portal.models import ContactCentre, RoleType
    from portal.seed import ensure_contact_centres, ensure_role_types

    ensure_role_types(RoleType)
    ensure_contact_centres(ContactCentre)


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from portal.oidc_provider import check_configuration

        checks.register(check_configuration, "oidc")
        post_migrate.connect(
            _ensure_reference_data, sender=self, dispatch_uid="portal.reference_data"
        )
