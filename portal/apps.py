from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


def _ensure_reference_data(sender: AppConfig, **kwargs: Any) -> None:
    # After every migrate and every flush (transactional tests flush the
    # database): reference data is idempotent, so making sure costs little.
    from portal.models import ContactCentre, RoleType
    from portal.seed import ensure_contact_centres, ensure_role_types, fill_nynorsk

    ensure_role_types(RoleType)
    ensure_contact_centres(ContactCentre)
    fill_nynorsk(RoleType)
    fill_nynorsk(ContactCentre, ("name", "opening_hours"))


def _grant_to_app_role(sender: AppConfig, using: str, **kwargs: Any) -> None:
    # After every migrate, as the owner it runs as, so new tables are covered at
    # once (portal/db/roles.py). Transactional tests' flush sends this signal too.
    from portal.db.roles import grant_to_app_role, is_owner_connection

    if is_owner_connection(using):
        grant_to_app_role(using)


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from portal.oidc_provider import check_configuration

        checks.register(check_configuration, "oidc")
        post_migrate.connect(
            _ensure_reference_data, sender=self, dispatch_uid="portal.reference_data"
        )
        post_migrate.connect(_grant_to_app_role, sender=self, dispatch_uid="portal.grants")
        import portal.checks  # noqa: F401 - registers the database checks
        from portal.models import Membership, RoleAssignment
        from portal.request_memo import forget

        for model in (Membership, RoleAssignment):
            for signal in (post_save, post_delete):
                signal.connect(forget, sender=model, dispatch_uid=f"memo.{model.__name__}")
